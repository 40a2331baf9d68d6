import Customer360Page from './Customer360Page.vue'

export default [
  {
    path: '/customers/:id',
    name: 'customer360',
    component: Customer360Page,
    meta: { title: 'customer360.title', permission: 'customers:read' },
  },
]
