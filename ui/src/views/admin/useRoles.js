/** The built-in roles and the permission catalogue (GET /roles), with labels in the UI's language. */
import { computed, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { api } from '../../api'
import { showError } from '../../forms'

export function useRoles() {
  const { t, te } = useI18n()
  const roles = ref([])
  const catalogue = ref([])
  const rolePermissions = computed(() => Object.fromEntries(roles.value.map((r) => [r.name, r.permissions])))

  async function loadRoles() {
    try {
      const data = await api.get('/roles')
      roles.value = data.roles
      catalogue.value = data.permissions
    } catch (e) {
      showError(e)
    }
  }

  function roleLabel(name) {
    return te(`admin.role_names.${name}`) ? t(`admin.role_names.${name}`) : name
  }

  /** The permission's description in the UI's language, else the API's own text. */
  function permissionText(permission) {
    const key = `admin.permission_texts.${permission.name.replace(':', '_')}`
    return te(key) ? t(key) : permission.description
  }

  return { roles, catalogue, rolePermissions, loadRoles, roleLabel, permissionText }
}
