import LoginPage from './LoginPage.vue'
import ForgotPasswordPage from './ForgotPasswordPage.vue'
import ResetPasswordPage from './ResetPasswordPage.vue'
import ChangePasswordPage from './ChangePasswordPage.vue'

export default [
  { path: '/login', name: 'login', component: LoginPage, meta: { public: true, title: 'shell.login' } },
  { path: '/forgot-password', name: 'forgot-password', component: ForgotPasswordPage, meta: { public: true, title: 'shell.forgot_password' } },
  // The mailed reset link: /reset-password?token=...
  { path: '/reset-password', name: 'reset-password', component: ResetPasswordPage, meta: { public: true, title: 'shell.reset_password' } },
  { path: '/change-password', name: 'change-password', component: ChangePasswordPage, meta: { title: 'shell.change_password' } },
]
