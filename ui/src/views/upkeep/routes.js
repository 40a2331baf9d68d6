export default [
  { path: '/import', name: 'import', component: () => import('./ImportPage.vue'), meta: { title: 'upkeep.import.title', permission: 'customers:write', menu: { order: 20, icon: 'Upload' } } },
  { path: '/duplicates', name: 'duplicates', component: () => import('./DuplicatesPage.vue'), meta: { title: 'upkeep.duplicates.title', permission: 'customers:write', menu: { order: 21, icon: 'CopyDocument' } } },
  // The merge screen for the customers given as ?ids=a,b,...
  { path: '/duplicates/merge', name: 'merge', component: () => import('./MergePage.vue'), meta: { title: 'upkeep.merge.title', permission: 'customers:write' } },
  { path: '/review', name: 'review', component: () => import('./ReviewPage.vue'), meta: { title: 'upkeep.review.title', permission: 'customers:read', menu: { order: 22, icon: 'Calendar' } } },
]
