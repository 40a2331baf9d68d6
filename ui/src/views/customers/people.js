/**
 * The people customers are assigned to: active colleagues at the user's sites, from the user
 * directory (open to every signed-in user). Names are kept per page load; the names of many ids
 * are asked for in one call.
 */
import { knownName, searchColleagues } from '../../directory'

/** Colleagues whose user name or display name starts with `text` (all of them for no text). */
export async function searchPeople(text, siteId) {
  const found = await searchColleagues(text, siteId)
  return found.map((user) => ({ id: user.id, label: user.display_name || user.username }))
}

/** The name of a user id (reactive: a short id first, the name once the directory answered). */
export function personName(id) {
  if (!id) return ''
  return knownName(id) || id.slice(0, 8)
}
