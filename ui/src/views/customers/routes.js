export default [
  {
    path: '/customers',
    name: 'customers',
    component: () => import('./CustomerListPage.vue'),
    meta: { title: 'customers.title', permission: 'customers:read', menu: { order: 10, icon: 'OfficeBuilding' } },
  },
  { path: '/customers/new', name: 'customer-new', component: () => import('./CustomerFormPage.vue'), meta: { title: 'customers.new_title', permission: 'customers:write' } },
  { path: '/customers/:id/edit', name: 'customer-edit', component: () => import('./CustomerFormPage.vue'), meta: { title: 'customers.edit_title', permission: 'customers:write' } },
]
