/**
 * Requests of which only the latest one's answer counts (a list reloaded, a search typed on): an
 * earlier answer arriving after a later request was made is dropped, so it never shows over the
 * later one, nor redraws a list under the user's pointer.
 *
 *   const requests = latestOnly()
 *   const current = requests.begin()   // when a request starts
 *   const page = await api.get(...)
 *   if (!current()) return             // a later request was made since
 */
export function latestOnly() {
  let latest = 0
  return {
    begin() {
      const mine = ++latest
      return () => mine === latest
    },
  }
}
