/**
 * Showing API errors where they belong: field messages next to the field (el-form-item :error),
 * everything else as one clear message.
 */
import { reactive } from 'vue'
import { ElMessage } from 'element-plus'
import { i18n } from './i18n'

/** A reactive map field → message for el-form-item's `error` prop. */
export function useFieldErrors() {
  const errors = reactive({})
  return {
    errors,
    clear() { Object.keys(errors).forEach((k) => delete errors[k]) },
    /** Take an ApiError; returns true when it carried field messages. */
    take(error) {
      Object.keys(errors).forEach((k) => delete errors[k])
      const fields = (error && error.fields) || {}
      for (const [name, messages] of Object.entries(fields)) {
        errors[name] = flatten(messages).join(' ')
      }
      return Object.keys(fields).length > 0
    },
  }
}

function flatten(messages) {
  if (Array.isArray(messages)) return messages.flatMap(flatten)
  if (messages && typeof messages === 'object') {
    return Object.entries(messages).flatMap(([key, value]) => flatten(value).map((m) => `${key}: ${m}`))
  }
  return [String(messages)]
}

/** The text to show for an API failure. */
export function errorText(error) {
  const t = i18n.global.t
  if (!error) return ''
  if (error.status === 0) return t('common.errors.network')
  if (error.code === 'search_too_broad') return t('common.errors.too_broad')
  if (error.status === 503) return t('common.errors.unavailable')
  if (error.status === 403) return t('common.errors.forbidden')
  if (error.status === 404) return t('common.errors.not_found')
  if (error.status === 429) return t('common.errors.too_many')
  const fields = error.fields && Object.keys(error.fields).length
    ? ' ' + Object.entries(error.fields).map(([k, v]) => `${k}: ${flatten(v).join(' ')}`).join('; ')
    : ''
  return (error.message || t('common.errors.unknown')) + fields
}

/** Show an API failure as a message box toast. */
export function showError(error) {
  ElMessage({ type: 'error', message: errorText(error), showClose: true, duration: 6000 })
}
