/** Dates, times, numbers and money written the way the current locale writes them. */
import { i18n } from './i18n'

const locale = () => i18n.global.locale.value

export function formatDate(value) {
  if (!value) return ''
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return String(value)
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: '2-digit', day: '2-digit' }).format(date)
}

export function formatDateTime(value) {
  if (!value) return ''
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return String(value)
  return new Intl.DateTimeFormat(locale(), {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).format(date)
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

export function formatPercent(value, digits = 0) {
  if (value === null || value === undefined) return ''
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: digits }).format(Number(value))
}
