/**
 * The people customers are assigned to: active colleagues at the user's sites, from the user
 * directory (open to every signed-in user). Names are kept per page load; the names of many ids
 * are asked for in one call.
 */
import { reactive } from 'vue'
import { api } from '../../api'
import { session } from '../../session'

const DIRECTORY_BATCH = 200
const names = reactive({})
const asked = new Set()
const waiting = new Set()
let timer = null

function label(user) {
  return user.display_name || user.username
}

function remember(user) {
  names[user.id] = label(user)
  return { id: user.id, label: names[user.id] }
}

/** Colleagues whose user name or display name starts with `text` (all of them for no text). */
export async function searchPeople(text, siteId) {
  const found = await api.get('/users/directory', {
    q: (text || '').trim() || undefined, site_id: siteId || undefined, limit: 50,
  })
  return found.items.map(remember)
}

async function askWaiting() {
  const ids = [...waiting]
  waiting.clear()
  timer = null
  for (let start = 0; start < ids.length; start += DIRECTORY_BATCH) {
    try {
      const found = await api.get('/users/directory', { ids: ids.slice(start, start + DIRECTORY_BATCH), limit: DIRECTORY_BATCH })
      found.items.forEach(remember)
    } catch (e) { /* the short id stays shown */ }
  }
}

/** The name of a user id (reactive: a short id first, the name once the directory answered). */
export function personName(id) {
  if (!id) return ''
  if (session.user && id === session.user.id) return label(session.user)
  if (!names[id] && !asked.has(id)) {
    asked.add(id)
    waiting.add(id)
    if (!timer) timer = setTimeout(askWaiting, 0)
  }
  return names[id] || id.slice(0, 8)
}
