/**
 * The mapping of an import file's columns to the fields of an entity: `{header: field or null}`,
 * null meaning the column is not imported. The preview answer suggests one; the user changes it.
 */

export const ENTITIES = ['customers', 'contacts', 'orders', 'payments', 'interactions', 'service_records',
  'opportunities', 'followups']

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
