export default {
  common: {
    save: '保存', cancel: '取消', create: '新建', edit: '编辑', delete: '删除', search: '搜索',
    reset: '重置', confirm: '确定', close: '关闭', back: '返回', refresh: '刷新', more: '加载更多',
    actions: '操作', loading: '加载中…', empty: '暂无数据', yes: '是', no: '否', all: '全部',
    saved: '已保存', deleted: '已删除', created: '已创建', total: '共 {n} 条', total_at_least: '共 {n}+ 条', download: '下载',
    confirm_delete: '确定删除此记录？', required: '必填', view: '查看', add: '添加', submit: '提交',
    errors: {
      network: '无法连接服务器，请检查网络后重试。',
      unavailable: '服务暂时不可用，请稍后重试。',
      too_broad: '匹配的客户太多，无法及时返回：请增加筛选条件或输入更长的搜索词。',
      forbidden: '您没有执行此操作的权限。',
      not_found: '记录不存在或不在您的工厂范围内。',
      too_many: '尝试次数过多，请稍后再试。',
      unknown: '出现错误。',
    },
  },
}
