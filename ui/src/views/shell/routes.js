export default [
  { path: '/login', name: 'login', component: () => import('./LoginPage.vue'), meta: { public: true, title: 'shell.login' } },
  { path: '/forgot-password', name: 'forgot-password', component: () => import('./ForgotPasswordPage.vue'), meta: { public: true, title: 'shell.forgot_password' } },
  // The mailed reset link: /reset-password?token=...
  { path: '/reset-password', name: 'reset-password', component: () => import('./ResetPasswordPage.vue'), meta: { public: true, title: 'shell.reset_password' } },
  { path: '/change-password', name: 'change-password', component: () => import('./ChangePasswordPage.vue'), meta: { title: 'shell.change_password' } },
]
