export default { dashboard: { title: '工作台' } }
