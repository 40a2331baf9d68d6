/**
 * One settings document of a site (`/feedback/settings/{site}` or `/customers/settings/{site}`):
 * loading, saving with the version read, a stale version (409) and field errors.
 */
import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import { api } from '../../api'
import { i18n } from '../../i18n'
import { errorText, showError, useFieldErrors } from '../../forms'

export function useSiteSettings(area, toForm, toBody) {
  const { errors, take, clear } = useFieldErrors()
  const form = ref(null)
  const version = ref(0)
  const loading = ref(false)
  const saving = ref(false)
  const stale = ref(false)
  const loadError = ref('')

  function path(siteId) {
    return `/${area}/settings/${encodeURIComponent(siteId)}`
  }

  function show(settings) {
    form.value = toForm(settings)
    version.value = settings.version
    stale.value = false
  }

  async function load(siteId) {
    if (!siteId) return
    loading.value = true
    loadError.value = ''
    clear()
    try {
      show(await api.get(path(siteId)))
    } catch (e) {
      form.value = null
      loadError.value = errorText(e)
    } finally {
      loading.value = false
    }
  }

  async function save(siteId) {
    saving.value = true
    clear()
    try {
      show(await api.put(path(siteId), { ...toBody(form.value), version: version.value }))
      ElMessage({ type: 'success', message: i18n.global.t('common.saved') })
    } catch (e) {
      if (e.status === 409) stale.value = true
      else if (!take(e)) showError(e)
    } finally {
      saving.value = false
    }
  }

  return { form, version, loading, saving, stale, loadError, errors, load, save }
}
