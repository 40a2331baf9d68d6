/**
 * A list read page by page with the API's cursor: `reload()` starts again from the first page with
 * the current filters, `more()` appends the next page while there is one. `state.totalIsLowerBound`:
 * the list holds at least `state.total` (not counted; exact on the last page).
 */
import { reactive, ref } from 'vue'
import { api } from '../../api'
import { showError } from '../../forms'

export function useCursorList(path, filters = () => ({}), limit = 50) {
  const items = ref([])
  const state = reactive({ loading: false, total: 0, totalIsLowerBound: false, cursor: null })

  async function load(append) {
    state.loading = true
    try {
      const params = { ...filters(), limit, cursor: append ? state.cursor : null }
      const data = await api.get(typeof path === 'function' ? path() : path, params)
      items.value = append ? [...items.value, ...data.items] : data.items
      state.total = data.total ?? items.value.length
      state.totalIsLowerBound = Boolean(data.total_is_lower_bound)
      state.cursor = data.next_cursor || null
    } catch (e) {
      showError(e)
    } finally {
      state.loading = false
    }
  }

  return {
    items,
    state,
    reload: () => load(false),
    more: () => load(true),
  }
}
