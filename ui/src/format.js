/** Dates, times, numbers and money written the way the current locale writes them. */
import { i18n } from './i18n'

const locale = () => i18n.global.locale.value

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/

/** A date or time as a Date; a plain 'YYYY-MM-DD' is that day in the browser's zone, not UTC midnight. */
function asDate(value) {
  const day = typeof value === 'string' && DAY.exec(value)
  return day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : new Date(value)
}

/**
 * How each language writes a day and a time: zh-CN in its numeric form, 2026/03/01 09:05 (narrow
 * enough for table columns and key figures); en as Mar 1, 2026, 9:05 AM (day and month never mixed
 * up). `picker` is the same in el-date-picker's dayjs tokens.
 */
const WRITTEN = {
  'zh-CN': {
    day: { year: 'numeric', month: '2-digit', day: '2-digit' },
    clock: { hour: '2-digit', minute: '2-digit' },
    picker: { date: 'YYYY/MM/DD', datetime: 'YYYY/MM/DD HH:mm' },
  },
  en: {
    day: { year: 'numeric', month: 'short', day: 'numeric' },
    clock: { hour: 'numeric', minute: '2-digit' },
    picker: { date: 'MMM D, YYYY', datetime: 'MMM D, YYYY, h:mm A' },
  },
}
const written = () => WRITTEN[locale()] || WRITTEN.en

/** A date as the locale writes it: 2026/03/01 / Mar 1, 2026 (a time's own day in the browser's zone). */
export function formatDate(value) {
  if (!value) return ''
  const date = asDate(value)
  if (Number.isNaN(date.getTime())) return String(value)
  return new Intl.DateTimeFormat(locale(), written().day).format(date)
}

/** A time as the locale writes it, to the minute: 2026/03/01 14:05 / Mar 1, 2026, 2:05 PM. */
export function formatDateTime(value) {
  if (!value) return ''
  const date = asDate(value)
  if (Number.isNaN(date.getTime())) return String(value)
  return new Intl.DateTimeFormat(locale(), { ...written().day, ...written().clock }).format(date)
}

/** A text that is an ISO date or time written as formatDate / formatDateTime write it; anything else as it is. */
export function formatIfDate(value) {
  if (typeof value !== 'string') return value
  if (DAY.test(value)) return formatDate(value)
  return TIME.test(value) ? formatDateTime(value) : value
}

/** The el-date-picker `format` (dayjs tokens) that shows a picked date as formatDate and formatDateTime do. */
export const pickerFormat = {
  get date() { return written().picker.date },
  get datetime() { return written().picker.datetime },
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined || value === '') return ''
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(Number(value))
}

/** Money: the amount with its currency (CNY by default), e.g. ¥12,500.00 / CN¥12,500.00. */
export function formatMoney(value, currency = 'CNY') {
  if (value === null || value === undefined || value === '') return ''
  try {
    return new Intl.NumberFormat(locale(), { style: 'currency', currency: currency || 'CNY' }).format(Number(value))
  } catch (e) {
    return `${formatNumber(value, 2)} ${currency}`
  }
}

/**
 * An amount shortened as the locale shortens it where space is short (chart axes, dashboard totals):
 * 1234.57万 and 2.35亿 in zh-CN, 12.35M in en, at most two decimals; below ten thousand, which zh-CN
 * does not shorten, the whole number with grouping. With a currency its symbol leads (¥1234.57万).
 */
export function formatCompact(value, currency = null) {
  if (value === null || value === undefined || value === '') return ''
  const number = Number(value)
  if (Math.abs(number) < 10000) return currency ? formatMoney(number, currency) : formatNumber(number, 2)
  const style = currency ? { style: 'currency', currency } : {}
  return new Intl.NumberFormat(locale(), {
    ...style, notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 2,
  }).format(number)
}

export function formatPercent(value, digits = 0) {
  if (value === null || value === undefined) return ''
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: digits }).format(Number(value))
}
