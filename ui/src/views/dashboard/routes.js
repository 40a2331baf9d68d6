export default [
  { path: '/', name: 'dashboard', component: () => import('./DashboardPage.vue'), meta: { title: 'dashboard.title', menu: { order: 0, icon: 'DataAnalysis' } } },
]
