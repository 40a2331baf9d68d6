/**
 * Names for ids shown in feedback: customers (GET /customers/{id}) and users (the colleague
 * directory, asked for many ids at once). Each id is asked once per page load.
 */
import { reactive } from 'vue'
import { api } from '../../api'
import { session } from '../../session'
import { loadCatalogue } from '../../catalogues'
import { knownName } from '../../directory'

const customers = reactive({})
const asked = new Set()

function askCustomer(id) {
  if (!id || asked.has(id)) return
  asked.add(id)
  api.get(`/customers/${id}`).then((record) => {
    customers[id] = record.short_name || record.legal_name
  }).catch(() => { /* the id itself stays shown */ })
}

export function rememberCustomer(customer) {
  if (customer && customer.id) customers[customer.id] = customer.short_name || customer.legal_name
}

export function customerName(id) {
  askCustomer(id)
  return customers[id] || (id ? id.slice(0, 8) : '')
}

export function userName(id) {
  if (!id) return ''
  if (id.includes(':')) return id
  return knownName(id) || id.slice(0, 8)
}

const categoryCache = {}

/** The default feedback categories: the codes of the catalogue feedback_categories. */
function defaultCategories() {
  return loadCatalogue('feedback_categories').then((entries) => entries.map((entry) => entry.code)).catch(() => [])
}

/** The feedback categories of a site (its settings), or the default ones when they cannot be read. */
export function siteCategories(siteId) {
  if (!siteId) return defaultCategories()
  if (!categoryCache[siteId]) {
    categoryCache[siteId] = api.get(`/feedback/settings/${siteId}`)
      .then((s) => s.categories)
      .catch(() => { delete categoryCache[siteId]; return defaultCategories() })
  }
  return categoryCache[siteId]
}

/** Every category used at the user's sites (for filters). */
export async function knownCategories() {
  const sites = (session.user && session.user.sites) || []
  const lists = await Promise.all([defaultCategories(), ...sites.map(siteCategories)])
  return [...new Set(lists.flat())]
}

let sitesCall = null

/** The sites the user may see (GET /sites, one short page). */
export function visibleSites() {
  if (!sitesCall) sitesCall = api.get('/sites').then((r) => r.items).catch(() => { sitesCall = null; return [] })
  return sitesCall
}
