/**
 * One list of a customer's parts (contacts, orders, …): loading page by page, and creating,
 * changing (with the version read) and deleting items while keeping the list in step.
 */
import { reactive } from 'vue'
import { api } from '../../api'
import { showError } from '../../forms'

export function usePartList(customerId, part, pageSize = 50) {
  const base = `/customers/${customerId}/${part}`
  const list = reactive({ items: [], total: 0, totalIsLowerBound: false, nextCursor: null, loading: false, loaded: false })

  async function fetchPage(cursor) {
    list.loading = true
    try {
      const data = await api.get(base, { limit: pageSize, cursor })
      list.items = cursor ? [...list.items, ...data.items] : data.items
      list.total = data.total ?? list.items.length
      list.totalIsLowerBound = Boolean(data.total_is_lower_bound)
      list.nextCursor = data.next_cursor || null
      list.loaded = true
    } catch (e) {
      showError(e)
    } finally {
      list.loading = false
    }
  }

  return Object.assign(list, {
    load: () => fetchPage(null),
    more: () => fetchPage(list.nextCursor),
    async create(body) {
      const created = await api.post(base, body)
      list.items = [created, ...list.items]
      list.total += 1
      return created
    },
    async update(item, changes) {
      const updated = await api.patch(`${base}/${item.id}`, { ...changes, version: item.version })
      list.items = list.items.map((i) => (i.id === updated.id ? updated : i))
      return updated
    },
    async remove(item) {
      await api.delete(`${base}/${item.id}`)
      list.items = list.items.filter((i) => i.id !== item.id)
      list.total = Math.max(0, list.total - 1)
    },
  })
}
