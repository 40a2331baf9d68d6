/**
 * Targets as the page shows them: a period's targets as a tree (a split target's parts under it),
 * and how far each has come.
 */
import { formatMeasure } from './measures'

/** The targets of a list as a tree: each with `rows`, its parts among them (parts whose whole is not
 * in the list, e.g. a salesperson's own part of the site's target, stand on their own). */
export function targetTree(items) {
  const byId = Object.fromEntries(items.map((item) => [item.id, { ...item, rows: [] }]))
  const roots = []
  for (const item of Object.values(byId)) {
    const parent = item.parent_id && byId[item.parent_id]
    if (parent) parent.rows.push(item)
    else roots.push(item)
  }
  const order = (a, b) => (a.measure === b.measure ? 0 : a.measure < b.measure ? -1 : 1)
    || (a.holder_name || '').localeCompare(b.holder_name || '')
  const sort = (list) => {
    list.sort(order)
    list.forEach((item) => {
      sort(item.rows)
      if (!item.rows.length) delete item.rows
    })
    return list
  }
  return sort(roots)
}

/** The attainment as a percentage (0 … 100 and beyond; the API's `percent` is the ratio actual / value),
 * or null when the actual is hidden. */
export function attainmentPercent(target) {
  const attainment = target.attainment || {}
  if (attainment.percent !== null && attainment.percent !== undefined) return 100 * Number(attainment.percent)
  if (attainment.actual === null || attainment.actual === undefined || !target.value) return null
  return (100 * attainment.actual) / target.value
}

/** How the bar is coloured: on track (the projection reaches the target), close (80 %), or behind. */
export function paceStatus(target) {
  const attainment = target.attainment || {}
  if (attainment.actual === null || attainment.actual === undefined) return ''
  if (attainment.actual >= target.value) return 'success'
  const projection = attainment.projection
  if (projection === null || projection === undefined) return ''
  if (projection >= target.value) return 'success'
  return projection >= 0.8 * target.value ? 'warning' : 'exception'
}

/** A value of the target's measure as people read it. */
export function targetValue(target, value) {
  return formatMeasure(target.measure, value)
}
