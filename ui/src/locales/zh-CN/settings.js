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
      stage_probabilities: '各阶段商机赢单概率（%），用于销售预测加权',
    },
    subscriptions: {
      title: '报表订阅',
      hint: '订阅的报表将以您的语言通过邮件发送，附 Excel 工作簿：每周报表于周一 8:00 发送，涵盖此前 7 天；'
        + '每月报表于每月 1 日 8:00 发送，涵盖上个月（按工厂所在时区，选择“我的所有工厂”时按您第一个工厂的时区）。报表在发送时按您当时的权限和工厂生成。',
      report: '报表', frequency: '频率', site: '工厂', all_sites: '我的所有工厂',
      next_send_at: '下次发送', last_sent_at: '上次发送', never_sent: '尚未发送',
      not_sent: '上次未能发送：{error}',
      add: '订阅', added: '已订阅', deleted: '已取消订阅', unsubscribe: '取消订阅',
      empty: '您还没有订阅任何报表。',
      confirm_delete: '取消订阅“{report}”报表（{frequency}）？',
    },
  },
}
