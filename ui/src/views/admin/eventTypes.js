/**
 * Event types a webhook can subscribe to (docs/events.md), offered as suggestions; patterns such as
 * customers.* or * are typed in, and the API checks every pattern.
 */
export const EVENT_TYPES = [
  '*', 'accounts.*', 'customers.*', 'feedback.*',
  'accounts.user_created', 'accounts.user_updated', 'accounts.user_deleted', 'accounts.permissions_changed',
  'accounts.password_changed', 'accounts.account_locked', 'accounts.site_created', 'accounts.audit',
  'customers.customer_created', 'customers.customer_updated', 'customers.customer_deleted',
  'customers.customer_restored', 'customers.customer_merged', 'customers.merge_reverted', 'customers.tier_changed',
  'customers.order_recorded', 'customers.interaction_logged', 'customers.opportunity_stage_changed',
  'customers.followup_due', 'customers.contract_expiring', 'customers.churn_risk_detected',
  'customers.import_completed', 'customers.audit',
  'feedback.feedback_received', 'feedback.feedback_assigned', 'feedback.feedback_status_changed',
  'feedback.feedback_resolved', 'feedback.low_score_alert', 'feedback.sla_breached', 'feedback.survey_sent',
  'feedback.survey_response_received', 'feedback.audit',
]
