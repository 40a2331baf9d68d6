/** The customer fields the merge screen compares. */
import { formatMoney } from '../../format'

/** Fields a merge may take from any of the merged customers, in display order. */
export const MERGE_FIELDS = [
  'legal_name', 'short_name', 'tax_id', 'external_code', 'country', 'industry', 'industry_code', 'company_size', 'employees',
  'annual_revenue', 'main_products', 'website', 'phone', 'email', 'source_channel', 'owner_id', 'tags',
  'status', 'account_type', 'parent_id', 'addresses', 'notes',
]

export function isBlank(value) {
  return value === null || value === undefined || value === ''
    || (Array.isArray(value) && value.length === 0)
    || (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0)
}

function comparable(value) {
  if (isBlank(value)) return ''
  if (Array.isArray(value)) {
    return JSON.stringify(value.map((item) => {
      if (item && typeof item === 'object') {
        const { id, ...rest } = item // address ids differ between customers even for one address
        return rest
      }
      return item
    }))
  }
  return JSON.stringify(value)
}

export function sameValue(a, b) {
  return comparable(a) === comparable(b)
}

function addressText(address) {
  return [address.province, address.city, address.street, address.postal_code].filter(Boolean).join(' ')
}

/** A field's value as one line of text ('' when blank). */
export function fieldText(field, value) {
  if (isBlank(value)) return ''
  if (field === 'annual_revenue') return formatMoney(value)
  if (field === 'addresses') return value.map(addressText).filter(Boolean).join('; ')
  if (Array.isArray(value)) return value.join(', ')
  return String(value)
}
