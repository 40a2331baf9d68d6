export default {
  settings: {
    title: '站点设置',
    site: '站点',
    read_only: '您可以查看这些设置；修改需要设置权限（经理和管理员）。',
    stale: '设置已被他人修改，请重新加载后再修改。',
    reload: '重新加载',
    feedback: {
      title: '客户反馈',
      categories: '反馈类别',
      categories_hint: '小写字母、数字和下划线；每输入一个按回车。',
      sla_hours: '各严重程度的处理时限（小时，SLA）',
    },
    customers: {
      title: '客户',
      tier_thresholds: '客户分级门槛（近 12 个月）',
      vip_amount: 'VIP：金额达到',
      vip_loyal_amount: '老客户 VIP：金额达到',
      vip_loyal_years: '老客户：合作年限',
      key_amount: '重点客户：金额达到',
      key_orders: '重点客户：订单数达到',
      followup_days: '各级客户的跟进周期（天）',
      review_days: '上次核对后多少天需定期核对',
    },
  },
}
