/** The signed-in user: tokens (kept in localStorage), the user record and permission checks. */
import { reactive } from 'vue'
import { LOCALES, setLocale } from './i18n'

const KEY = 'crm.session'

function load() {
  try { return JSON.parse(localStorage.getItem(KEY)) || {} } catch (e) { return {} }
}

const saved = load()

export const session = reactive({
  accessToken: saved.accessToken || null,
  refreshToken: saved.refreshToken || null,
  user: saved.user || null,

  get signedIn() { return Boolean(this.accessToken && this.user) },

  start(data) {
    this.accessToken = data.access_token
    this.refreshToken = data.refresh_token
    if (data.user) this.user = data.user
    // The UI speaks the user's language setting, as the API's texts do.
    if (data.user && LOCALES.includes(data.user.language)) setLocale(data.user.language)
    this.save()
  },
  setUser(user) {
    this.user = user
    this.save()
  },
  end() {
    this.accessToken = null
    this.refreshToken = null
    this.user = null
    localStorage.removeItem(KEY)
  },
  save() {
    localStorage.setItem(KEY, JSON.stringify({
      accessToken: this.accessToken, refreshToken: this.refreshToken, user: this.user,
    }))
  },
  /** The permissions the current access token carries (what the services will allow). */
  tokenPermissions() {
    try {
      const payload = this.accessToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
      return JSON.parse(atob(payload)).perms || []
    } catch (e) {
      return []
    }
  },
  /** Whether the user holds a permission, e.g. can('customers:write'). */
  can(permission) {
    return Boolean(this.user && (this.user.permissions || []).includes(permission))
  },
  canAny(...permissions) {
    return permissions.some((p) => this.can(p))
  },
})
