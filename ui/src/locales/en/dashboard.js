export default {
  dashboard: {
    title: 'Dashboard',
    nothing: 'Your role has no reports or lists to show here.',
    tiers: {
      title: 'Customers by tier', empty: 'No customers yet', moves: 'Tier changes in 12 months: {n}',
    },
    sales: {
      title: 'Sales, last 12 months', amount: 'Order amount', orders: 'Orders',
      total: '{amount} · orders: {n}',
    },
    funnel: {
      title: 'Opportunity funnel', empty: 'No opportunities in the last 12 months', count: 'In this stage', reached: 'Reached this stage',
      amount: 'Expected amount', conversion: 'Win rate {rate} ({won} won, {lost} lost)',
    },
    satisfaction: {
      title: 'Satisfaction trend', csat: 'CSAT (1–5)', nps: 'NPS', summary: 'CSAT {csat} · NPS {nps}',
    },
    churn: {
      title: 'Customers at risk of churning', empty: 'No customer is at risk', customer: 'Customer', level: 'Risk',
      reasons: 'Reasons', tier: 'Tier', last_order: 'Last order',
    },
    followups: {
      title: 'My follow-ups due', window: 'overdue and next {days} days', empty: 'No follow-up due',
      overdue: 'Overdue', today: 'Today', upcoming: 'Soon',
    },
    feedback: {
      title: 'My open feedback', empty: 'Nothing assigned to you is open', due: 'due {at}',
    },
    expected: {
      title: 'Expected orders', window: 'overdue and next {days} days', empty: 'No order expected soon',
      customer: 'Customer', date: 'Expected on', when: 'When', amount: 'Expected amount',
      amount_range: '{amount} ({low} – {high})', overdue: '{days} days overdue', today: 'Today', in_days: 'In {days} days',
      late_failed: 'The overdue ones could not be read: {error}',
    },
  },
}
