/**
 * Routes. Each area of the UI declares its own in src/views/<area>/routes.js:
 *   { path, component, meta: { title, menu: { order, icon, permission }, public, permission } }
 * `public` pages need no sign-in; `permission` pages send others back to the dashboard.
 */
import { createRouter, createWebHistory } from 'vue-router'
import { session } from './session'

const modules = import.meta.glob('./views/*/routes.js', { eager: true })
export const routes = Object.values(modules).flatMap((m) => m.default)

/** The side menu: routes with meta.menu the user may open, in order. */
export function menuItems() {
  return routes
    .filter((r) => r.meta && r.meta.menu)
    .filter((r) => !r.meta.permission || session.canAny(...[].concat(r.meta.permission)))
    .sort((a, b) => a.meta.menu.order - b.meta.menu.order)
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [...routes, { path: '/:pathMatch(.*)*', redirect: '/' }],
})

router.beforeEach((to) => {
  if (to.meta.public) return true
  if (!session.signedIn) return { path: '/login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  if (session.user.must_change_password && to.path !== '/change-password') return { path: '/change-password' }
  const needed = to.meta.permission
  if (needed && !session.canAny(...[].concat(needed))) return { path: '/' }
  return true
})
