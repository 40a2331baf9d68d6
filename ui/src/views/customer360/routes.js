export default [
  {
    path: '/customers/:id',
    name: 'customer360',
    component: () => import('./Customer360Page.vue'),
    meta: { title: 'customer360.title', permission: 'customers:read' },
  },
]
