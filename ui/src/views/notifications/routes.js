import NotificationsPage from './NotificationsPage.vue'
import PreferencesPage from './PreferencesPage.vue'

// Every signed-in user has an inbox and preferences: no permission needed.
export default [
  { path: '/notifications', name: 'notifications', component: NotificationsPage, meta: { title: 'notifications.title', menu: { order: 40, icon: 'Bell' } } },
  { path: '/notifications/preferences', name: 'notification-preferences', component: PreferencesPage, meta: { title: 'notifications.preferences.title' } },
]
