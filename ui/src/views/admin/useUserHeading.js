/** The user a sub-page is about (GET /users/:id), for its heading. */
import { ref } from 'vue'
import { api } from '../../api'
import { showError } from '../../forms'

export function useUserHeading(userId) {
  const user = ref(null)
  async function loadUser() {
    try {
      user.value = await api.get(`/users/${userId}`)
    } catch (e) {
      showError(e)
    }
    return user.value
  }
  return { user, loadUser }
}
