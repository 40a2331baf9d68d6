export default {
  performance: {
    period: {
      year: '年度', quarter: '季度', month: '月度', quarter_n: '第{quarter}季度', quarter_of: '{year}年第{quarter}季度',
      year_of: '{year}年',
    },
    holders: { site: '工厂', team: '团队', user: '销售人员' },
    targets: {
      title: '销售目标', create: '设定目标', edit_title: '修改目标', all_measures: '全部指标',
      own_only: '显示您本人及您所在团队的目标。', empty: '本期暂无目标',
      holder: '承担者', measure: '指标', period: '期间', attainment: '完成情况',
      actual_of: '{actual} / 目标 {value}', hidden: '您无权查看金额', run_rate: '每日需完成',
      per_day: '{value} / 天', reached: '已达成', projection: '预计期末完成', split: '分解',
      days: '第 {elapsed} 天，共 {total} 天', confirm_delete: '删除该目标？',
      confirm_delete_parts: '删除该目标及其分解出的 {n} 个子目标？',
      pick_user: '选择销售人员', pick_team: '选择团队', no_teams: '该工厂尚未建立团队',
      value: '目标值', value_amount: '目标金额（元）',
    },
    split: {
      title: '分解目标', whole: '目标 {value}', no_parts: '尚未分解',
      unassigned: '未分配：{value}', to: '分配给', take_rest: '分配剩余部分',
      after: '分配后剩余：{value}', add: '添加子目标',
    },
    pipeline: {
      title: '本期销售预测', as_of: '截至 {day}', actual: '已下单', pipeline: '在途商机（加权）', reorders: '预计复购',
      forecast: '预测合计', target: '目标', gap: '尚差', stage: '阶段', count: '在途数', amount: '预计金额',
      probability: '赢单概率', weighted: '加权金额',
    },
    scorecards: {
      title: '绩效考核', export: '导出 XLSX', scorecard: '绩效卡', leaderboard: '排行榜', rank: '名次',
      span: '{since} 至 {until}',
      incomplete: '反馈服务暂未响应，相关指标暂不显示。',
    },
  },
}
