import FeedbackPage from './FeedbackPage.vue'
import FeedbackDetailPage from './FeedbackDetailPage.vue'
import SurveysPage from './SurveysPage.vue'
import SurveyDetailPage from './SurveyDetailPage.vue'

export default [
  { path: '/feedback', name: 'feedback', component: FeedbackPage, meta: { title: 'feedback.title', permission: 'feedback:read', menu: { order: 30, icon: 'ChatDotSquare' } } },
  { path: '/feedback/:id', name: 'feedback-detail', component: FeedbackDetailPage, meta: { title: 'feedback.detail_title', permission: 'feedback:read' } },
  { path: '/surveys', name: 'surveys', component: SurveysPage, meta: { title: 'feedback.surveys.title', permission: 'feedback:read', menu: { order: 31, icon: 'List' } } },
  { path: '/surveys/:id', name: 'survey-detail', component: SurveyDetailPage, meta: { title: 'feedback.surveys.detail_title', permission: 'feedback:read' } },
]
