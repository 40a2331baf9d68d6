/**
 * One dashboard card's data: loaded on mount, with its own loading flag and error text, so a
 * failing report only affects its own card.
 */
import { onMounted, ref } from 'vue'
import { errorText } from '../../forms'

export function useCardData(fetcher) {
  const data = ref(null)
  const loading = ref(false)
  const error = ref('')

  async function load() {
    loading.value = true
    error.value = ''
    try {
      data.value = await fetcher()
    } catch (e) {
      error.value = errorText(e)
    } finally {
      loading.value = false
    }
  }

  onMounted(load)
  return { data, loading, error, load }
}
