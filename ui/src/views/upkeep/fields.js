/** The customer fields the archive-upkeep screens show: import columns and merge comparison. */
import { formatMoney } from '../../format'

/** Columns an import reads, each with the Chinese header it also accepts (required ones first). */
export const IMPORT_COLUMNS = [
  { field: 'legal_name', header: '客户名称', required: true },
  { field: 'tax_id', header: '统一社会信用代码' },
  { field: 'external_code', header: '客户编码' },
  { field: 'short_name', header: '客户简称' },
  { field: 'industry', header: '行业' },
  { field: 'industry_code', header: '行业代码' },
  { field: 'company_size', header: '企业规模' },
  { field: 'employees', header: '从业人员' },
  { field: 'annual_revenue', header: '年营业额' },
  { field: 'main_products', header: '主要产品' },
  { field: 'phone', header: '电话' },
  { field: 'email', header: '邮箱' },
  { field: 'website', header: '网站' },
  { field: 'source_channel', header: '客户来源' },
  { field: 'tags', header: '标签' },
  { field: 'province', header: '省份' },
  { field: 'city', header: '城市' },
  { field: 'street', header: '地址' },
  { field: 'postal_code', header: '邮编' },
  { field: 'notes', header: '备注' },
]

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
