/**
 * Readable names for ids shown on the 360 page (sites, users, related customers), fetched once
 * and kept for the session. A name the user may not look up stays empty and the caller shows a dash.
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

export function userName(id) {
  if (!id) return ''
  if (session.user && id === session.user.id) return session.user.display_name || session.user.username
  if (!(id in users)) {
    users[id] = ''
    // Only administrators may read other users.
    if (session.can('users:admin')) {
      api.get(`/users/${id}`).then((u) => { users[id] = u.display_name || u.username }).catch(() => {})
    }
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
