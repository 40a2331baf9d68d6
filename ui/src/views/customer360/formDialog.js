/**
 * The state of a small create/edit dialog: the model (reset to fresh defaults on each opening),
 * which item is being edited, the saving flag and the API's field errors.
 */
import { reactive, ref } from 'vue'
import { ElMessage, ElMessageBox } from 'element-plus'
import { useFieldErrors, showError } from '../../forms'
import { i18n } from '../../i18n'

export function useFormDialog(defaults, save) {
  const visible = ref(false)
  const saving = ref(false)
  const editing = ref(null)
  const model = reactive(defaults())
  const { errors, take, clear } = useFieldErrors()

  function open(item = null, values = null) {
    clear()
    editing.value = item
    Object.keys(model).forEach((k) => delete model[k])
    Object.assign(model, defaults(), values || {})
    visible.value = true
  }

  async function submit() {
    saving.value = true
    clear()
    try {
      await save({ ...model }, editing.value)
      visible.value = false
      ElMessage({ type: 'success', message: i18n.global.t('common.saved') })
    } catch (e) {
      // A stale version (409) is told as a message: no field of the form is at fault.
      if (e.status === 409 || !take(e)) showError(e)
    } finally {
      saving.value = false
    }
  }

  // reactive() unwraps the refs: templates and callers write dialog.visible, dialog.saving …
  return reactive({ visible, saving, editing, model, errors, open, submit })
}

/** Empty strings become null, so optional fields are sent as "not given". */
export function cleaned(body) {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, v === '' ? null : v]))
}

/** Today as YYYY-MM-DD in the browser's time zone. */
export function today() {
  const d = new Date()
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

/** Ask, then delete an item of a part list; true once deleted. */
export async function confirmDelete(list, item) {
  const t = i18n.global.t
  try {
    await ElMessageBox.confirm(t('common.confirm_delete'), t('common.delete'), {
      type: 'warning', confirmButtonText: t('common.delete'), cancelButtonText: t('common.cancel'),
    })
  } catch (e) {
    return false
  }
  try {
    await list.remove(item)
    ElMessage({ type: 'success', message: t('common.deleted') })
    return true
  } catch (e) {
    showError(e)
    return false
  }
}
