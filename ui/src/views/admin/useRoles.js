/** The built-in roles and the permission catalogue (GET /roles), labelled from the API's catalogues
 * roles and permissions in the UI's language. */
import { computed, ref } from 'vue'
import { api } from '../../api'
import { useCatalogue } from '../../catalogues'
import { showError } from '../../forms'

export function useRoles() {
  const roles = ref([])
  const catalogue = ref([])
  const rolePermissions = computed(() => Object.fromEntries(roles.value.map((r) => [r.name, r.permissions])))
  const roleNames = useCatalogue('roles')
  const permissions = useCatalogue('permissions')

  async function loadRoles() {
    try {
      const data = await api.get('/roles')
      roles.value = data.roles
      catalogue.value = data.permissions
    } catch (e) {
      showError(e)
    }
  }

  /** A role's name in the UI's language (a role the catalogue lacks: its code). */
  const roleLabel = (name) => roleNames.label(name)

  /** What a permission allows, in the UI's language. */
  const permissionText = (permission) => permissions.label(permission.name)

  return { roles, catalogue, rolePermissions, loadRoles, roleLabel, permissionText }
}
