export default {
  settings: {
    title: 'Site settings',
    site: 'Site',
    read_only: 'You can read these settings; changing them needs the settings permission (managers and admins).',
    stale: 'Someone else changed these settings meanwhile. Reload them and make your change again.',
    reload: 'Reload',
    feedback: {
      title: 'Feedback',
      categories: 'Categories',
      categories_hint: 'Lower-case letters, digits and _; press Enter after each.',
      sla_hours: 'Hours to handle feedback, per severity (SLA)',
    },
    customers: {
      title: 'Customers',
      tier_thresholds: 'Tier thresholds (last 12 months)',
      vip_amount: 'VIP: amount from',
      vip_loyal_amount: 'VIP for loyal customers: amount from',
      vip_loyal_years: 'Loyal: years as a customer',
      key_amount: 'Key: amount from',
      key_orders: 'Key: orders from',
      followup_days: 'Follow-up every … days, per tier',
      review_days: 'Review due … days after the last verification',
      stage_probabilities: 'Chance an open opportunity is won, by stage (%) — weights the pipeline forecast',
    },
    subscriptions: {
      title: 'Report subscriptions',
      hint: 'Subscribed reports arrive by e-mail in your language, as an Excel workbook: weekly ones on Mondays at 8:00 '
        + 'covering the 7 days before, monthly ones on the 1st at 8:00 covering the month before, in the site\'s time '
        + 'zone (for all your sites, that of your first site). Each is computed with your permissions and sites when it is sent.',
      report: 'Report', frequency: 'Frequency', site: 'Site', all_sites: 'All my sites',
      next_send_at: 'Next sending', last_sent_at: 'Last sent', never_sent: 'Not sent yet',
      not_sent: 'The last one could not be sent: {error}',
      add: 'Subscribe', added: 'Subscribed', deleted: 'Unsubscribed', unsubscribe: 'Unsubscribe',
      empty: 'You have no report subscriptions yet.',
      confirm_delete: 'Unsubscribe from the report "{report}" ({frequency})?',
    },
  },
}
