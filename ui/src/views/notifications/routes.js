// Every signed-in user has an inbox and preferences: no permission needed.
export default [
  { path: '/notifications', name: 'notifications', component: () => import('./NotificationsPage.vue'), meta: { title: 'notifications.title', menu: { order: 40, icon: 'Bell' } } },
  { path: '/notifications/preferences', name: 'notification-preferences', component: () => import('./PreferencesPage.vue'), meta: { title: 'notifications.preferences.title' } },
]
