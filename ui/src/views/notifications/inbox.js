/**
 * The caller's unread count and latest notifications, shared by the header bell and the inbox page
 * so both agree after a notification is read.
 */
import { reactive } from 'vue'
import { api } from '../../api'
import { session } from '../../session'

export const LATEST = 6

export const inbox = reactive({ unread: 0, latest: [], loaded: false, failed: false })

let pending = null

/** Fetch the unread count and the latest few; one call at a time. */
export function refreshInbox() {
  if (!session.signedIn) return Promise.resolve()
  if (!pending) {
    pending = api.get('/notifications', { limit: LATEST })
      .then((page) => {
        inbox.unread = page.unread ?? 0
        inbox.latest = page.items
        inbox.loaded = true
        inbox.failed = false
      })
      .catch(() => { inbox.failed = true })
      .finally(() => { pending = null })
  }
  return pending
}

/** Drop what was loaded (on sign-out: the next user starts afresh). */
export function forgetInbox() {
  Object.assign(inbox, { unread: 0, latest: [], loaded: false, failed: false })
}

/** Mark one notification read (a no-op when it already is); returns the updated record. */
export async function markRead(notification) {
  if (notification.read) return notification
  const updated = await api.post(`/notifications/${notification.id}/read`)
  Object.assign(notification, updated)
  await refreshInbox()
  return updated
}

export async function markAllRead() {
  const result = await api.post('/notifications/read-all')
  await refreshInbox()
  return result
}

/**
 * The in-app route of a notification's link: links may be paths or absolute URLs of the CRM
 * (CRM_PUBLIC_URL); only the path, query and hash matter here. Null when there is no link.
 */
export function inAppPath(link) {
  if (!link) return null
  if (link.startsWith('/')) return link
  try {
    const url = new URL(link)
    return url.pathname + url.search + url.hash
  } catch (e) {
    return null
  }
}
