/**
 * The API's catalogues (GET /api/v1/catalogues/<name>): codes with their zh-CN and en labels, and
 * in a hierarchy their parent's code. Each is fetched once per page load and kept. Every select,
 * table cell and tag that shows a code of an enumeration the API serves labels it from here
 * (`useCatalogue`), never from the UI's own locale files.
 */
import { computed, reactive } from 'vue'
import { api } from './api'
import { i18n } from './i18n'

const entries = reactive({})
const failed = reactive({})
const asked = {}

/** The entries of catalogue `name` (fetched on first use); a failed fetch is tried again next time. */
export function loadCatalogue(name) {
  if (!asked[name]) {
    asked[name] = api.get('/catalogues/' + encodeURIComponent(name))
      .then((data) => {
        entries[name] = data.entries
        delete failed[name]
        return data.entries
      })
      .catch((error) => {
        delete asked[name]
        failed[name] = true
        throw error
      })
  }
  return asked[name]
}

/** The entries of catalogue `name` known so far ([] until loaded). Reactive. */
export function catalogueEntries(name) {
  return entries[name] || []
}

/** An entry's label in `locale`. */
export function entryLabel(entry, locale) {
  return entry.labels[locale] || entry.labels.en || entry.code
}

/** The label of `code` in catalogue `name`; the code itself as it is stored where the catalogue does
 * not hold it or could not be fetched; '' while the catalogue is on its way (no code flashes up). */
export function codeLabel(name, code, locale) {
  const found = catalogueEntries(name).find((entry) => entry.code === code)
  if (found) return entryLabel(found, locale)
  return entries[name] || failed[name] ? code : ''
}

/** A catalogue's entries as select options, `{ value, label }`. */
export function catalogueOptions(name, locale) {
  return catalogueEntries(name).map((entry) => ({ value: entry.code, label: entryLabel(entry, locale) }))
}

/**
 * Catalogue `name` for a view, fetched on first use (reactive): `options` (`{ value, label }` in the
 * catalogue's order) and `label(code)`, both in the UI's current language (see codeLabel: a code the
 * catalogue does not hold, such as a site's own feedback category, reads as itself).
 */
export function useCatalogue(name) {
  loadCatalogue(name).catch(() => {})
  const locale = () => i18n.global.locale.value
  return reactive({
    options: computed(() => catalogueOptions(name, locale())),
    label: (code) => (code === null || code === undefined || code === '' ? '' : codeLabel(name, code, locale())),
  })
}

/** A hierarchical catalogue (industries) as cascader options: top entries with their children. */
export function catalogueTree(name, locale) {
  const top = []
  const byCode = {}
  for (const entry of catalogueEntries(name)) {
    const node = { value: entry.code, label: entryLabel(entry, locale) }
    byCode[entry.code] = node
    const parent = entry.parent && byCode[entry.parent]
    if (parent) (parent.children = parent.children || []).push(node)
    else top.push(node)
  }
  return top
}

const levels = {}

/** The entries of one level of hierarchical catalogue `name`: those under `parent` (null: the top),
 * fetched once each (GET /catalogues/<name>?parent=…); a failed fetch is tried again next time. */
export function loadCatalogueLevel(name, parent) {
  const key = name + '/' + (parent || 'none')
  if (!levels[key]) {
    levels[key] = api.get('/catalogues/' + encodeURIComponent(name), { parent: parent || 'none' })
      .then((data) => data.entries)
      .catch((error) => {
        delete levels[key]
        throw error
      })
  }
  return levels[key]
}
