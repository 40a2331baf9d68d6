/**
 * The mapping of an import file's columns to the fields of an entity: `{header: field or null}`,
 * null meaning the column is not imported. The preview answer suggests one; the user changes it.
 */

/**
 * What a whole XLSX workbook is imported as: each sheet named for a record type (客户, 联系人, Accounts,
 * Contacts…) with its suggested mapping, customers first. It has no mapping step.
 */
export const WORKBOOK = 'workbook'

/** Whether `file` may be sent as a workbook (an .xlsx file; the server checks its content too). */
export function isWorkbookFile(file) {
  return Boolean(file && /\.xlsx$/i.test(file.name || ''))
}

/** How the rows of a part entity name their customer: at least one of these must be mapped. */
export const LINK_FIELDS = ['customer_tax_id', 'customer_code', 'customer_name']

/** The select's value for "do not import" (a select treats null as no choice). */
export const SKIP = '__skip__'

/** The columns a mapping can name (a column without a header is never read). */
export function namedColumns(columns) {
  return (columns || []).filter((column) => column.header)
}

/** The suggested mapping of the preview's columns. */
export function suggestedMapping(columns) {
  return Object.fromEntries(namedColumns(columns).map((column) => [column.header, column.field || null]))
}

/** `current` with the headers `saved` names taken from it; the other columns keep their field. */
export function appliedMapping(columns, current, saved, fields) {
  const known = new Set((fields || []).map((field) => field.name))
  const result = { ...current }
  for (const column of namedColumns(columns)) {
    if (!Object.prototype.hasOwnProperty.call(saved || {}, column.header)) continue
    const field = saved[column.header]
    result[column.header] = field && known.has(field) ? field : null
  }
  return result
}

/** The fields more than one column is mapped to. */
export function doubledFields(mapping) {
  const seen = new Set()
  const doubled = new Set()
  for (const field of Object.values(mapping || {})) {
    if (!field) continue
    if (seen.has(field)) doubled.add(field)
    seen.add(field)
  }
  return doubled
}

/** The required fields of the preview no column is mapped to. */
export function missingFields(fields, mapping) {
  const mapped = new Set(Object.values(mapping || {}).filter(Boolean))
  return (fields || []).filter((field) => field.required && !mapped.has(field.name))
}

/** Whether the rows of `entity` would name no customer (a part entity with no link field mapped). */
export function missingCustomerLink(entity, mapping) {
  if (entity === 'customers') return false
  const mapped = new Set(Object.values(mapping || {}).filter(Boolean))
  return !LINK_FIELDS.some((name) => mapped.has(name))
}

/**
 * The catalogue (GET /catalogues/<name>) holding the codes of each enum field, by entity: the choices
 * of the field's value map. An enum field without one gets no value map.
 */
export const ENUM_CATALOGUES = {
  customers: { status: 'customer_statuses', account_type: 'account_types' },
  orders: { status: 'order_statuses' },
  payments: { method: 'payment_methods' },
  interactions: { kind: 'interaction_kinds' },
  service_records: { status: 'service_statuses' },
  opportunities: { stage: 'opportunity_stages' },
  followups: { status: 'followup_statuses' },
}

/** The catalogue of `field` of `entity`, or null. */
export function enumCatalogue(entity, field) {
  return (ENUM_CATALOGUES[entity] || {})[field] || null
}

/** The distinct non-blank sample texts of a column, trimmed, in their order. */
export function distinctSamples(column) {
  const texts = (column.samples || []).map((text) => String(text ?? '').trim()).filter(Boolean)
  return [...new Set(texts)]
}

/**
 * The value map to send, `{field: {text: value}}`: the entries of the fields some column is mapped to
 * (a value map of a field no column fills reads nothing).
 */
export function sentValueMap(valueMap, mapping) {
  const mapped = new Set(Object.values(mapping || {}).filter(Boolean))
  return Object.fromEntries(Object.entries(valueMap || {})
    .filter(([field, entries]) => mapped.has(field) && entries && Object.keys(entries).length))
}

/** `current` with the entries of a saved value map added (the saved value wins for the same text). */
export function appliedValueMap(current, saved) {
  const result = { ...current }
  for (const [field, entries] of Object.entries(saved || {})) {
    result[field] = { ...(result[field] || {}), ...(entries || {}) }
  }
  return result
}
