export default [
  { path: '/feedback', name: 'feedback', component: () => import('./FeedbackPage.vue'), meta: { title: 'feedback.title', permission: 'feedback:read', menu: { order: 30, icon: 'ChatDotSquare' } } },
  { path: '/feedback/:id', name: 'feedback-detail', component: () => import('./FeedbackDetailPage.vue'), meta: { title: 'feedback.detail_title', permission: 'feedback:read' } },
  { path: '/surveys', name: 'surveys', component: () => import('./SurveysPage.vue'), meta: { title: 'feedback.surveys.title', permission: 'feedback:read', menu: { order: 31, icon: 'List' } } },
  { path: '/surveys/:id', name: 'survey-detail', component: () => import('./SurveyDetailPage.vue'), meta: { title: 'feedback.surveys.detail_title', permission: 'feedback:read' } },
]
