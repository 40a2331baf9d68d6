import DashboardPage from './DashboardPage.vue'

export default [
  { path: '/', name: 'dashboard', component: DashboardPage, meta: { title: 'dashboard.title', menu: { order: 0, icon: 'DataAnalysis' } } },
]
