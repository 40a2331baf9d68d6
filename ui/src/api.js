/**
 * The one way the UI talks to the gateway's REST API (/api/v1).
 *
 * Every call carries the access token; a 401 triggers one refresh with the refresh token and a
 * retry. Failures are thrown as ApiError with the API's error code, message and per-field messages.
 */
import { session } from './session'
import { i18n } from './i18n'

export const BASE = '/api/v1'

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {}
    super(error.message || `HTTP ${status}`)
    this.status = status
    this.code = error.code || (status === 0 ? 'network_error' : 'http_error')
    this.fields = error.fields || {}
    this.extra = error
  }
}

let refreshing = null

/** Trade the refresh token for a new session; false when it is no longer valid. */
export async function refreshSession() {
  if (!session.refreshToken) return false
  if (!refreshing) {
    refreshing = fetch(`${BASE}/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: session.refreshToken }),
    }).then(async (r) => {
      if (!r.ok) return false
      session.start(await r.json())
      return true
    }).catch(() => false).finally(() => { refreshing = null })
  }
  return refreshing
}

function query(params) {
  if (!params) return ''
  const q = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue
    if (Array.isArray(value)) value.forEach((v) => q.append(key, v))
    else q.append(key, value)
  }
  const text = q.toString()
  return text ? `?${text}` : ''
}

/** Call the API; resolves to the parsed JSON (or the raw Response with {raw: true}). */
export async function request(method, path, { body, params, raw = false, form = null, retry = true } = {}) {
  // The API answers its texts in the user's language setting; before sign-in, in this one.
  const headers = { 'Accept-Language': i18n.global.locale.value }
  if (session.accessToken) headers.Authorization = `Bearer ${session.accessToken}`
  let payload
  if (form) payload = form
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  let response
  try {
    response = await fetch(BASE + path + query(params), { method, headers, body: payload })
  } catch (e) {
    throw new ApiError(0, { error: { code: 'network_error', message: e.message } })
  }
  if (response.status === 401 && retry && session.refreshToken && !path.startsWith('/auth/')) {
    if (await refreshSession()) return request(method, path, { body, params, raw, form, retry: false })
    session.end()
  }
  if (!response.ok) {
    let data = null
    try { data = await response.json() } catch (e) { data = null }
    throw new ApiError(response.status, data)
  }
  if (raw) return response
  if (response.status === 204) return null
  const type = response.headers.get('Content-Type') || ''
  return type.includes('json') ? response.json() : response.text()
}

export const api = {
  get: (path, params) => request('GET', path, { params }),
  post: (path, body, params) => request('POST', path, { body, params }),
  put: (path, body) => request('PUT', path, { body }),
  patch: (path, body) => request('PATCH', path, { body }),
  delete: (path, params) => request('DELETE', path, { params }),
  upload: (path, form, params) => request('POST', path, { form, params }),
  /** Fetch a file with the session's token and hand it to the browser as a download. */
  async download(path, params, fallbackName) {
    const response = await request('GET', path, { params, raw: true })
    const disposition = response.headers.get('Content-Disposition') || ''
    const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)
    const name = match ? decodeURIComponent(match[1]) : fallbackName
    const url = URL.createObjectURL(await response.blob())
    const link = document.createElement('a')
    link.href = url
    link.download = name
    document.body.appendChild(link)
    link.click()
    link.remove()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  },
}

/** Every item of a paged list, following next_cursor (bounded by maxPages). */
export async function fetchAll(path, params = {}, maxPages = 20) {
  const items = []
  let cursor = null
  for (let page = 0; page < maxPages; page += 1) {
    const data = await api.get(path, { ...params, limit: 500, cursor })
    items.push(...data.items)
    cursor = data.next_cursor
    if (!cursor) break
  }
  return items
}
