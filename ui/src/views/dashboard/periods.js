/** Month arithmetic for the 12-month charts (months as 'YYYY-MM', in the browser's time zone). */
import { i18n } from '../../i18n'

function monthKey(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`
}

/** The last 12 months, oldest first, ending with the current one. */
export function lastTwelveMonths(today = new Date()) {
  const months = []
  for (let back = 11; back >= 0; back -= 1) {
    months.push(monthKey(new Date(today.getFullYear(), today.getMonth() - back, 1)))
  }
  return months
}

/** The first day of the oldest of the last 12 months, as the reports' `since` (ISO, no zone: UTC). */
export function twelveMonthsSince(today = new Date()) {
  return `${lastTwelveMonths(today)[0]}-01T00:00:00`
}

/** 'YYYY-MM' written the way the current locale names a month, e.g. "2026年3月" / "Mar 2026". */
export function monthLabel(month) {
  const [year, number] = month.split('-').map(Number)
  return new Intl.DateTimeFormat(i18n.global.locale.value, { year: 'numeric', month: 'short' })
    .format(new Date(year, number - 1, 1))
}

/** Today as 'YYYY-MM-DD' in the browser's time zone, shifted by `days`. */
export function isoDay(days = 0, today = new Date()) {
  const date = new Date(today.getFullYear(), today.getMonth(), today.getDate() + days)
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`
}
