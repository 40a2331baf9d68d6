// Every signed-in user has targets and a scorecard of their own; targets:manage holders see their sites' staff.
export default [
  { path: '/targets', name: 'targets', component: () => import('./TargetsPage.vue'), meta: { title: 'performance.targets.title', menu: { order: 5, icon: 'Aim' } } },
  { path: '/scorecards', name: 'scorecards', component: () => import('./ScorecardsPage.vue'), meta: { title: 'performance.scorecards.title', menu: { order: 6, icon: 'Trophy' } } },
]
