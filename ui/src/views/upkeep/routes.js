import ImportPage from './ImportPage.vue'
import DuplicatesPage from './DuplicatesPage.vue'
import MergePage from './MergePage.vue'
import ReviewPage from './ReviewPage.vue'

export default [
  { path: '/import', name: 'import', component: ImportPage, meta: { title: 'upkeep.import.title', permission: 'customers:write', menu: { order: 20, icon: 'Upload' } } },
  { path: '/duplicates', name: 'duplicates', component: DuplicatesPage, meta: { title: 'upkeep.duplicates.title', permission: 'customers:write', menu: { order: 21, icon: 'CopyDocument' } } },
  // The merge screen for the customers given as ?ids=a,b,...
  { path: '/duplicates/merge', name: 'merge', component: MergePage, meta: { title: 'upkeep.merge.title', permission: 'customers:write' } },
  { path: '/review', name: 'review', component: ReviewPage, meta: { title: 'upkeep.review.title', permission: 'customers:read', menu: { order: 22, icon: 'Calendar' } } },
]
