import CustomerListPage from './CustomerListPage.vue'
import CustomerFormPage from './CustomerFormPage.vue'

export default [
  {
    path: '/customers',
    name: 'customers',
    component: CustomerListPage,
    meta: { title: 'customers.title', permission: 'customers:read', menu: { order: 10, icon: 'OfficeBuilding' } },
  },
  { path: '/customers/new', name: 'customer-new', component: CustomerFormPage, meta: { title: 'customers.new_title', permission: 'customers:write' } },
  { path: '/customers/:id/edit', name: 'customer-edit', component: CustomerFormPage, meta: { title: 'customers.edit_title', permission: 'customers:write' } },
]
