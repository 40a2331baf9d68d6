/** The factory sites the signed-in user may see, read once per page, with a name lookup. */
import { computed, ref } from 'vue'
import { api } from '../../api'
import { showError } from '../../forms'

/**
 * The sites a select offers for new records: the active ones, plus the disabled ones in `kept`
 * (where a record being edited already is, so it stays shown and can be moved away).
 */
export function forNewRecords(sites, kept = []) {
  return sites.filter((site) => site.status !== 'disabled' || kept.includes(site.id))
}

export function useSites() {
  const sites = ref([])
  const byId = computed(() => Object.fromEntries(sites.value.map((s) => [s.id, s])))
  const activeSites = computed(() => forNewRecords(sites.value))

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

  return { sites, activeSites, loadSites, siteLabel }
}
