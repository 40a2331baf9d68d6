/**
 * Readable names for ids shown on the 360 page (sites, users), fetched once and kept for the
 * session; users come from the colleague directory, many ids in one call. A name that cannot be
 * looked up stays empty and the caller says so.
 */
import { reactive, ref, onBeforeUnmount } from 'vue'
import { api } from '../../api'
import { session } from '../../session'

const sites = reactive({})
const users = reactive({})
let sitesLoading = null

export function siteName(id) {
  if (!id) return ''
  if (!sitesLoading) {
    sitesLoading = api.get('/sites', { limit: 500 })
      .then((data) => data.items.forEach((s) => { sites[s.id] = `${s.name} (${s.code})` }))
      .catch(() => { sitesLoading = null })
  }
  return sites[id] || ''
}

const DIRECTORY_BATCH = 200
const waitingUsers = new Set()
let usersTimer = null

/** Look up the users asked for during one tick in as few directory calls as possible. */
async function askWaitingUsers() {
  const ids = [...waitingUsers]
  waitingUsers.clear()
  usersTimer = null
  for (let start = 0; start < ids.length; start += DIRECTORY_BATCH) {
    const batch = ids.slice(start, start + DIRECTORY_BATCH)
    try {
      const found = await api.get('/users/directory', { ids: batch, limit: DIRECTORY_BATCH })
      found.items.forEach((u) => { users[u.id] = u.display_name || u.username })
    } catch (e) { /* the names stay empty */ }
    // Former or deactivated users are not in the directory; user administrators may still read them.
    if (session.can('users:admin')) {
      batch.filter((id) => !users[id]).forEach((id) => {
        api.get(`/users/${id}`).then((u) => { users[id] = u.display_name || u.username }).catch(() => {})
      })
    }
  }
}

export function userName(id) {
  if (!id) return ''
  if (session.user && id === session.user.id) return session.user.display_name || session.user.username
  if (!(id in users)) {
    users[id] = ''
    if (id.includes(':')) return '' // not a user: e.g. a contact answering a survey
    waitingUsers.add(id)
    if (!usersTimer) usersTimer = setTimeout(askWaitingUsers, 0)
  }
  return users[id]
}

/** Whether the window is narrower than `width` pixels (tablets), kept up to date. */
export function useNarrow(width = 900) {
  const narrow = ref(window.innerWidth < width)
  const update = () => { narrow.value = window.innerWidth < width }
  window.addEventListener('resize', update)
  onBeforeUnmount(() => window.removeEventListener('resize', update))
  return narrow
}
