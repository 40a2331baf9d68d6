export default [
  // Readers see their sites' settings; only settings:write (managers, admins) may change them.
  { path: '/settings', name: 'settings', component: () => import('./SettingsPage.vue'), meta: { title: 'settings.title', permission: ['feedback:read', 'customers:read'], menu: { order: 45, icon: 'Setting' } } },
  // The user's own scheduled reports, opened from the user menu (no side-menu entry).
  { path: '/report-subscriptions', name: 'report-subscriptions', component: () => import('./ReportSubscriptionsPage.vue'), meta: { title: 'settings.subscriptions.title', permission: 'reports:read' } },
]
