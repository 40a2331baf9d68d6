/**
 * What the customer screens choose from: the sortable fields, the list's columns, and the sites the
 * user may pick (the API's enumerations come from its catalogues, ../../catalogues.js).
 */
import { api } from '../../api'

export const PAGE_SIZES = [20, 50, 100]

/** The filters GET /customers and GET /customers/export accept (besides sort and paging). */
export const FILTER_KEYS = ['q', 'tier', 'tag', 'industry', 'region', 'owner_id', 'lifecycle', 'churn_risk', 'site_id', 'status']

/** The columns a saved view may hold, in the API's order; legal_name is always shown. */
export const COLUMNS = ['legal_name', 'short_name', 'tax_id', 'industry', 'tier', 'tags', 'owner_id',
  'lifecycle_stage', 'churn_risk', 'site_id', 'completeness', 'next_followup_date', 'last_order_date', 'forecast', 'updated_at']
export const DEFAULT_COLUMNS = ['legal_name', 'short_name', 'tier', 'tags', 'industry', 'owner_id',
  'lifecycle_stage', 'churn_risk', 'completeness', 'updated_at']

/** Column → the server-side sort field (only those the API sorts by). */
export const SORT_FIELDS = {
  legal_name: 'legal_name',
  tier: 'tier_rank',
  completeness: 'completeness',
  next_followup_date: 'next_followup_date',
  last_order_date: 'last_order_date',
  updated_at: 'updated_at',
}
export const DEFAULT_SORT = '-updated_at'

export const TIER_TAG_TYPES = { vip: 'danger', key: 'warning', general: 'info' }
export const CHURN_TAG_TYPES = { none: 'success', low: 'warning', high: 'danger' }

/** A customer's industry as people read it: its code's name in `locale`, else the text typed. */
export function industryText(customer, locale) {
  const labels = customer.industry_labels
  return (labels && (labels[locale] || labels.en)) || customer.industry || ''
}

export function emptyFilters() {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, '']))
}

/** Only the filters that are set (what the API and a saved view get). */
export function activeFilters(filters) {
  const active = {}
  for (const key of FILTER_KEYS) {
    const value = typeof filters[key] === 'string' ? filters[key].trim() : filters[key]
    if (value !== '' && value !== null && value !== undefined) active[key] = value
  }
  return active
}

/** The sites the user works at (the API lists only those), disabled ones included. */
export async function loadSites() {
  try {
    const data = await api.get('/sites')
    return data.items.map((s) => ({ id: s.id, label: s.name || s.code, status: s.status }))
  } catch (e) {
    return []
  }
}
