/**
 * An import job on the server: upload the file (as a dry run or for real), then poll
 * GET /imports/{id} until it is completed or failed.
 */
import { onBeforeUnmount, ref } from 'vue'
import { api } from '../../api'

const POLL_MS = 700
const FINISHED = ['completed', 'failed']

export function isFinished(job) {
  return Boolean(job && FINISHED.includes(job.status))
}

/** Percent of rows done (null while the rows are still being counted). */
export function progressOf(job) {
  if (!job) return 0
  if (job.status === 'completed') return 100
  if (!job.total) return null
  return Math.min(100, Math.round((100 * job.done) / job.total))
}

export function useImportJob() {
  const job = ref(null)
  let timer = null
  let stopped = false

  function stop() {
    if (timer) clearTimeout(timer)
    timer = null
  }

  async function poll(onError) {
    try {
      job.value = await api.get(`/imports/${job.value.id}`)
    } catch (e) {
      onError(e)
      return
    }
    if (!isFinished(job.value) && !stopped) timer = setTimeout(() => poll(onError), POLL_MS)
  }

  /** Upload ``file``; resolves once the server accepted it, then keeps ``job`` current. */
  async function start(file, { dryRun, siteId }, onError) {
    stop()
    const form = new FormData()
    form.append('file', file, file.name)
    form.append('dry_run', dryRun ? 'true' : 'false')
    if (siteId) form.append('site_id', siteId)
    job.value = await api.upload('/customers/import', form)
    if (!isFinished(job.value)) timer = setTimeout(() => poll(onError), POLL_MS)
    return job.value
  }

  function reset() {
    stop()
    job.value = null
  }

  onBeforeUnmount(() => {
    stopped = true
    stop()
  })

  return { job, start, reset }
}

/** Download the rows an import rejected, as the server's CSV. */
export function downloadErrors(job) {
  const base = (job.filename || 'import').replace(/\.[^.]+$/, '')
  return api.download(`/imports/${job.id}/errors`, null, `${base}-errors.csv`)
}
