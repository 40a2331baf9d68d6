/**
 * Readable names for ids shown on the 360 page (sites, users), fetched once and kept for the
 * session; users come from the colleague directory, many ids in one call. A name that cannot be
 * looked up stays empty and the caller says so.
 */
import { reactive, ref, onBeforeUnmount } from 'vue'
import { api } from '../../api'
import { knownName } from '../../directory'

const sites = reactive({})
let sitesLoading = null

export function siteName(id) {
  if (!id) return ''
  if (!sitesLoading) {
    sitesLoading = api.get('/sites', { limit: 500 })
      .then((data) => data.items.forEach((s) => { sites[s.id] = `${s.name} (${s.code})` }))
      .catch(() => { sitesLoading = null })
  }
  return sites[id] || ''
}

export function userName(id) {
  return knownName(id) || ''
}

/** Whether the window is narrower than `width` pixels (tablets), kept up to date. */
export function useNarrow(width = 900) {
  const narrow = ref(window.innerWidth < width)
  const update = () => { narrow.value = window.innerWidth < width }
  window.addEventListener('resize', update)
  onBeforeUnmount(() => window.removeEventListener('resize', update))
  return narrow
}
