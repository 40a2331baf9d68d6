/**
 * The measures of targets, scorecards and leaderboards: which are amounts of money (null, hidden,
 * without orders:read), and how each value is written. Their names: the catalogue performance_measures.
 */
import { formatMoney, formatNumber, formatPercent } from '../../format'

/** Measures in money (CNY). */
export const AMOUNT_MEASURES = ['order_amount', 'payments']

/** A scorecard's measures in the order shown, each with how its value is written. */
export const SCORECARD_MEASURES = [
  { code: 'order_amount', kind: 'money' },
  { code: 'orders', kind: 'count' },
  { code: 'payments', kind: 'money' },
  { code: 'new_customers', kind: 'count' },
  { code: 'opportunities_won', kind: 'count' },
  { code: 'opportunities_lost', kind: 'count' },
  { code: 'win_rate', kind: 'ratio' },
  { code: 'interactions', kind: 'kinds' },
  { code: 'followups_on_time', kind: 'count' },
  { code: 'followups_late', kind: 'count' },
  { code: 'feedback_assigned', kind: 'count' },
  { code: 'feedback_resolved', kind: 'count' },
  { code: 'feedback_resolved_within_sla', kind: 'count' },
  { code: 'median_hours_to_resolve', kind: 'hours' },
  { code: 'csat', kind: 'score' },
  { code: 'nps', kind: 'score' },
  { code: 'tier_upgrades', kind: 'count' },
  { code: 'churned_customers', kind: 'count' },
]

/** The measures a site's staff are ranked by (interactions: all kinds together). */
export const LEADERBOARD_MEASURES = SCORECARD_MEASURES.map((m) => m.code)

const KINDS = Object.fromEntries(SCORECARD_MEASURES.map((m) => [m.code, m.kind]))

export function isAmount(measure) {
  return AMOUNT_MEASURES.includes(measure)
}

/** A value of `measure` as people read it ('—' when there is none). */
export function formatMeasure(measure, value) {
  if (value === null || value === undefined) return '—'
  if (typeof value === 'object') return formatNumber(value.total)
  switch (KINDS[measure] || (isAmount(measure) ? 'money' : 'count')) {
    case 'money': return formatMoney(value)
    case 'ratio': return formatPercent(value, 1)
    case 'hours': return formatNumber(value, 1)
    case 'score': return formatNumber(value, 2)
    default: return formatNumber(value, 2)
  }
}
