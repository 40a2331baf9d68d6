/**
 * The feedback vocabulary and workflow as the feedback service defines them
 * (services/feedback/workflow.py, schemas.py, sla.py). The server stays the judge: a move it
 * refuses comes back as 409 with the moves it allows.
 */
// The board's columns, in the workflow's order (the codes' labels come from the catalogues).
export const STATUSES = ['open', 'assigned', 'in_progress', 'resolved', 'closed']

const TRANSITIONS = {
  open: ['assigned'],
  assigned: ['in_progress'],
  in_progress: ['resolved'],
  resolved: ['closed', 'in_progress'],
  closed: ['in_progress'],
}
const DONE = ['resolved', 'closed']
const REOPEN_DAYS = 30

export const isDone = (status) => DONE.includes(status)

/** Whether moving from `from` to `to` takes a finished item back into work. */
export const isReopen = (from, to) => isDone(from) && !isDone(to)

/** The statuses an item may move to now (reopening only within 30 days of its resolution). */
export function nextStatuses(item, now = Date.now()) {
  const targets = TRANSITIONS[item.status] || []
  const resolvedAt = item.resolved_at ? new Date(item.resolved_at).getTime() : null
  const reopenable = resolvedAt !== null && now - resolvedAt <= REOPEN_DAYS * 86400000
  return targets.filter((target) => !isReopen(item.status, target) || reopenable)
}

export const SEVERITY_TAG = { critical: 'danger', high: 'warning', normal: 'primary', low: 'info' }
export const STATUS_TAG = { open: 'danger', assigned: 'warning', in_progress: 'primary', resolved: 'success', closed: 'info' }

/** How long ago `iso` was, as {unit, n} for the texts feedback.age.<unit>. */
export function ageOf(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60000))
  if (minutes < 60) return { unit: 'minutes', n: minutes }
  if (minutes < 48 * 60) return { unit: 'hours', n: Math.floor(minutes / 60) }
  return { unit: 'days', n: Math.floor(minutes / 1440) }
}
