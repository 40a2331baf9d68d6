/**
 * Colleagues' names from the user directory (GET /users/directory, open to every signed-in user).
 * Ids asked for during one tick are looked up in as few calls as possible and kept for the page
 * load; user administrators also read former or deactivated users by id.
 */
import { reactive } from 'vue'
import { api } from './api'
import { session } from './session'

const BATCH = 200
const names = reactive({})
const asked = new Set()
const waiting = new Set()
let timer = null

function label(user) {
  return user.display_name || user.username
}

/** Keep a user record's name (from any list that carries users). */
export function rememberUser(user) {
  if (user && user.id) names[user.id] = label(user)
}

async function askWaiting() {
  const ids = [...waiting]
  waiting.clear()
  timer = null
  for (let start = 0; start < ids.length; start += BATCH) {
    const batch = ids.slice(start, start + BATCH)
    try {
      const found = await api.get('/users/directory', { ids: batch, limit: BATCH })
      found.items.forEach(rememberUser)
    } catch (e) { /* unknown names stay unknown */ }
    if (session.can('users:admin')) {
      batch.filter((id) => !names[id]).forEach((id) => {
        api.get(`/users/${id}`).then(rememberUser).catch(() => {})
      })
    }
  }
}

/** The name of a user id, or null until (or unless) the directory knows it. Reactive. */
export function knownName(id) {
  if (!id) return null
  if (session.user && id === session.user.id) return label(session.user)
  if (!names[id] && !asked.has(id) && !id.includes(':')) {
    asked.add(id)
    waiting.add(id)
    if (!timer) timer = setTimeout(askWaiting, 0)
  }
  return names[id] || null
}

/** Colleagues whose user name or display name starts with `text` (all of them for no text). */
export async function searchColleagues(text, siteId, limit = 50) {
  const found = await api.get('/users/directory', {
    q: (text || '').trim() || undefined, site_id: siteId || undefined, limit,
  })
  found.items.forEach(rememberUser)
  return found.items
}
