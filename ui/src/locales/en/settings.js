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
    },
  },
}
