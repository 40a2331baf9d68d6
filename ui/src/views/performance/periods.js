/**
 * Period keys as the targets and scorecards API takes them: `2027` (a year), `2027-Q1` (a quarter),
 * `2027-03` (a month), and their names as the current locale writes them.
 */
import { i18n } from '../../i18n'

export const PERIOD_KINDS = ['year', 'quarter', 'month']

/** The parts of a period key: { kind, year, part } (part: the quarter 1..4 or the month 1..12). */
export function parsePeriod(key) {
  const found = /^(\d{4})(?:-Q([1-4])|-(\d{2}))?$/.exec(key || '')
  if (!found) return null
  const year = Number(found[1])
  if (found[2]) return { kind: 'quarter', year, part: Number(found[2]) }
  if (found[3]) return { kind: 'month', year, part: Number(found[3]) }
  return { kind: 'year', year, part: null }
}

/** The key of a period of `kind` in `year` (`part`: its quarter or month number). */
export function periodKey(kind, year, part) {
  if (kind === 'quarter') return `${year}-Q${part}`
  if (kind === 'month') return `${year}-${String(part).padStart(2, '0')}`
  return String(year)
}

/** The period of `kind` holding `today` (in the browser's time zone). */
export function currentPeriod(kind = 'quarter', today = new Date()) {
  const year = today.getFullYear()
  if (kind === 'quarter') return periodKey(kind, year, Math.floor(today.getMonth() / 3) + 1)
  if (kind === 'month') return periodKey(kind, year, today.getMonth() + 1)
  return periodKey(kind, year)
}

/** A month's name in the current language: "3月" / "Mar". */
export function monthName(month) {
  return new Intl.DateTimeFormat(i18n.global.locale.value, { month: 'short' }).format(new Date(2000, month - 1, 1))
}

/** A period key as people read it: "2027年第1季度" / "Q1 2027", "2027年3月" / "Mar 2027", "2027年" / "2027". */
export function periodLabel(key) {
  const period = parsePeriod(key)
  if (!period) return key || ''
  const t = i18n.global.t
  if (period.kind === 'quarter') return t('performance.period.quarter_of', { year: period.year, quarter: period.part })
  if (period.kind === 'month') {
    return new Intl.DateTimeFormat(i18n.global.locale.value, { year: 'numeric', month: 'short' })
      .format(new Date(period.year, period.part - 1, 1))
  }
  return t('performance.period.year_of', { year: period.year })
}
