export default [
  { path: '/admin/users', name: 'admin-users', component: () => import('./UsersPage.vue'), meta: { title: 'admin.users.title', permission: 'users:admin', menu: { order: 50, icon: 'UserFilled' } } },
  { path: '/admin/users/:id/logins', name: 'admin-user-logins', component: () => import('./UserLoginsPage.vue'), meta: { title: 'admin.logins.title', permission: 'users:admin' } },
  { path: '/admin/users/:id/permissions', name: 'admin-user-permissions', component: () => import('./UserPermissionsPage.vue'), meta: { title: 'admin.permissions.title', permission: 'users:admin' } },
  // Anyone may read the site list; the menu entry is for those who administer sites or users.
  { path: '/admin/sites', name: 'admin-sites', component: () => import('./SitesPage.vue'), meta: { title: 'admin.sites.title', permission: ['sites:admin', 'users:admin'], menu: { order: 51, icon: 'Location' } } },
  { path: '/admin/teams', name: 'admin-teams', component: () => import('./TeamsPage.vue'), meta: { title: 'admin.teams.title', permission: 'targets:manage', menu: { order: 52.5, icon: 'Avatar' } } },
  { path: '/admin/audit', name: 'admin-audit', component: () => import('./AuditPage.vue'), meta: { title: 'admin.audit.title', permission: 'audit:read', menu: { order: 52, icon: 'Document' } } },
  { path: '/admin/webhooks', name: 'admin-webhooks', component: () => import('./WebhooksPage.vue'), meta: { title: 'admin.webhooks.title', permission: 'webhooks:admin', menu: { order: 53, icon: 'Connection' } } },
  { path: '/admin/webhooks/:id/deliveries', name: 'admin-webhook-deliveries', component: () => import('./WebhookDeliveriesPage.vue'), meta: { title: 'admin.deliveries.title', permission: 'webhooks:admin' } },
  { path: '/admin/automations', name: 'admin-automations', component: () => import('./AutomationsPage.vue'), meta: { title: 'admin.automations.title', permission: 'automations:manage', menu: { order: 54, icon: 'MagicStick' } } },
  { path: '/admin/automations/:id/runs', name: 'admin-automation-runs', component: () => import('./AutomationRunsPage.vue'), meta: { title: 'admin.automations.runs.title', permission: 'automations:manage' } },
  { path: '/admin/campaigns', name: 'admin-campaigns', component: () => import('./CampaignsPage.vue'), meta: { title: 'admin.campaigns.title', permission: 'automations:manage', menu: { order: 55, icon: 'Promotion' } } },
  { path: '/admin/campaigns/:id', name: 'admin-campaign-report', component: () => import('./CampaignReportPage.vue'), meta: { title: 'admin.campaigns.report.title', permission: 'automations:manage' } },
]
