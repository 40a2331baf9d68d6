/**
 * Names for ids shown in feedback: customers (GET /customers/{id}) and users (the colleague
 * directory, asked for many ids at once). Each id is asked once per page load.
 */
import { reactive } from 'vue'
import { api } from '../../api'
import { session } from '../../session'
import { DEFAULT_CATEGORIES } from './workflow'

const customers = reactive({})
const users = reactive({})
const asked = new Set()

function ask(kind, id, path, pick) {
  const key = `${kind}:${id}`
  if (!id || asked.has(key)) return
  asked.add(key)
  api.get(path).then((record) => {
    (kind === 'customer' ? customers : users)[id] = pick(record)
  }).catch(() => { /* the id itself stays shown */ })
}

export function rememberCustomer(customer) {
  if (customer && customer.id) customers[customer.id] = customer.short_name || customer.legal_name
}

export function rememberUser(user) {
  if (user && user.id) users[user.id] = user.display_name || user.username
}

export function customerName(id) {
  ask('customer', id, `/customers/${id}`, (c) => c.short_name || c.legal_name)
  return customers[id] || (id ? id.slice(0, 8) : '')
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
      found.items.forEach(rememberUser)
    } catch (e) { /* the ids themselves stay shown */ }
    // Former or deactivated users are not in the directory; user administrators may still read them.
    if (session.can('users:admin')) {
      batch.filter((id) => !users[id]).forEach((id) => ask('account', id, `/users/${id}`, (u) => u.display_name || u.username))
    }
  }
}

function askUser(id) {
  const key = `user:${id}`
  if (asked.has(key)) return
  asked.add(key)
  waitingUsers.add(id)
  if (!usersTimer) usersTimer = setTimeout(askWaitingUsers, 0)
}

export function userName(id) {
  if (!id) return ''
  if (session.user && id === session.user.id) return session.user.display_name || session.user.username
  if (id.includes(':')) return id
  if (!users[id]) askUser(id)
  return users[id] || id.slice(0, 8)
}

const categoryCache = {}

/** The feedback categories of a site (its settings), or the default ones when they cannot be read. */
export function siteCategories(siteId) {
  if (!siteId) return Promise.resolve([...DEFAULT_CATEGORIES])
  if (!categoryCache[siteId]) {
    categoryCache[siteId] = api.get(`/feedback/settings/${siteId}`)
      .then((s) => s.categories)
      .catch(() => { delete categoryCache[siteId]; return [...DEFAULT_CATEGORIES] })
  }
  return categoryCache[siteId]
}

/** Every category used at the user's sites (for filters). */
export async function knownCategories() {
  const sites = (session.user && session.user.sites) || []
  const lists = await Promise.all(sites.length ? sites.map(siteCategories) : [siteCategories(null)])
  return [...new Set([...DEFAULT_CATEGORIES, ...lists.flat()])]
}

let sitesCall = null

/** The sites the user may see (GET /sites, one short page). */
export function visibleSites() {
  if (!sitesCall) sitesCall = api.get('/sites').then((r) => r.items).catch(() => { sitesCall = null; return [] })
  return sitesCall
}
