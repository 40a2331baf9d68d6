/** The factory sites the signed-in user may see, read once per page, with a name lookup. */
import { computed, ref } from 'vue'
import { api } from '../../api'
import { showError } from '../../forms'

export function useSites() {
  const sites = ref([])
  const byId = computed(() => Object.fromEntries(sites.value.map((s) => [s.id, s])))

  async function loadSites() {
    try {
      sites.value = (await api.get('/sites')).items
    } catch (e) {
      showError(e)
    }
  }

  /** "Code · name" of a site id, or the id itself when the site is not visible. */
  function siteLabel(id) {
    const site = byId.value[id]
    return site ? `${site.code} · ${site.name}` : id
  }

  return { sites, loadSites, siteLabel }
}
