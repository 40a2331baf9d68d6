export default {
  dashboard: {
    title: '工作台',
    nothing: '您的角色在这里没有可查看的报表或清单。',
    tiers: {
      title: '客户等级分布', empty: '暂无客户', moves: '近12个月等级变动 {n} 次',
    },
    sales: {
      title: '近12个月销售趋势', amount: '订单金额', orders: '订单数',
      total: '共 {n} 单，合计 {amount}',
    },
    funnel: {
      title: '商机漏斗', empty: '近12个月暂无商机', count: '当前阶段', reached: '到达此阶段',
      amount: '预计金额', conversion: '赢单率 {rate}（赢单 {won}，丢单 {lost}）',
    },
    satisfaction: {
      title: '满意度趋势', csat: '满意度 CSAT（1–5）', nps: '净推荐值 NPS', summary: 'CSAT {csat} · NPS {nps}',
    },
    churn: {
      title: '流失风险客户', empty: '暂无流失风险客户', customer: '客户', level: '风险',
      reasons: '原因', tier: '等级', last_order: '最近下单',
    },
    followups: {
      title: '我的待回访', window: '已逾期及未来 {days} 天', empty: '暂无到期回访',
      overdue: '已逾期', today: '今天', upcoming: '即将到期',
    },
    feedback: {
      title: '我的待处理反馈', empty: '分派给您的反馈都已关闭', due: '截止 {at}',
    },
    expected: {
      title: '预计订单', window: '已逾期及未来 {days} 天', empty: '近期没有预计的订单',
      customer: '客户', date: '预计下单日', when: '时间', amount: '预计金额',
      amount_range: '{amount}（{low} – {high}）', overdue: '已逾期 {days} 天', today: '今天', in_days: '{days} 天后',
      late_failed: '逾期的订单未能读取：{error}',
    },
  },
}
