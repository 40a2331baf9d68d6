/**
 * Merges made in this browser, so they can be reverted later: the API reverts a merge by its id
 * but offers no list of merges, so the ids are kept here (per user, the latest 20).
 */
import { ref } from 'vue'
import { api } from '../../api'
import { session } from '../../session'

const LIMIT = 20

function key() {
  return `crm.recent-merges.${(session.user && session.user.id) || 'anonymous'}`
}

function load() {
  try { return JSON.parse(localStorage.getItem(key())) || [] } catch (e) { return [] }
}

export const recentMerges = ref(load())

function save() {
  localStorage.setItem(key(), JSON.stringify(recentMerges.value))
}

/** Keep a merge the API answered with, with the names to show for it. */
export function rememberMerge(merge, survivorName, mergedNames) {
  recentMerges.value = [
    { ...merge, survivor_name: survivorName, merged_names: mergedNames },
    ...load().filter((m) => m.id !== merge.id),
  ].slice(0, LIMIT)
  save()
}

/** Revert a merge; resolves to the merge record as the API now holds it. */
export async function revertMerge(mergeId) {
  const merge = await api.post(`/merges/${mergeId}/revert`)
  recentMerges.value = load().map((m) => (m.id === merge.id ? { ...m, ...merge } : m))
  save()
  return merge
}

export function reloadRecentMerges() {
  recentMerges.value = load()
}
