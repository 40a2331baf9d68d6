export default [
  // Readers see their sites' settings; only settings:write (managers, admins) may change them.
  { path: '/settings', name: 'settings', component: () => import('./SettingsPage.vue'), meta: { title: 'settings.title', permission: ['feedback:read', 'customers:read'], menu: { order: 45, icon: 'Setting' } } },
]
