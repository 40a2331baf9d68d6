/**
 * An import job on the server: preview the file, start the job (as a dry run or for real), then poll
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

/**
 * The multipart body of POST /imports: the previewed upload (``uploadId``) or the ``file`` itself
 * (an upload runs once), the entity, the mapping ``{header: field or null}``, the value map
 * ``{field: {text: value}}`` and the sheet. A workbook (entity ``workbook``) is sent without mapping,
 * value map or sheet: each of its sheets takes its suggested mapping.
 */
export function importForm({ file, uploadId, entity, mapping, valueMap, sheet, siteId, dryRun }) {
  const form = new FormData()
  if (uploadId) form.append('upload_id', uploadId)
  else {
    form.append('file', file, file.name)
    if (siteId) form.append('site_id', siteId)
  }
  form.append('entity', entity)
  if (mapping) form.append('mapping', JSON.stringify(mapping))
  if (valueMap && Object.keys(valueMap).length) form.append('value_map', JSON.stringify(valueMap))
  if (sheet) form.append('sheet', sheet)
  form.append('dry_run', dryRun ? 'true' : 'false')
  return form
}

/** The preview of ``file`` as rows of ``entity`` (POST /imports/preview): its columns, sheets and fields. */
export function previewFile({ file, entity, sheet, siteId }) {
  const form = new FormData()
  form.append('file', file, file.name)
  form.append('entity', entity)
  if (sheet) form.append('sheet', sheet)
  if (siteId) form.append('site_id', siteId)
  return api.upload('/imports/preview', form)
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

  /** Send ``form`` (see importForm) to POST /imports; resolves once the server accepted it, then keeps ``job`` current. */
  async function start(form, onError) {
    stop()
    job.value = await api.upload('/imports', form)
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

/** Download the rows an import rejected (``kind`` errors) or the remarks on rows it kept (``kind``
 * warnings), as the server's CSV. */
export function downloadErrors(job, kind = 'errors') {
  const base = (job.filename || 'import').replace(/\.[^.]+$/, '')
  return api.download(`/imports/${job.id}/${kind}`, null, `${base}-${kind}.csv`)
}

/** Download the empty template of ``entity`` as ``format`` (csv or xlsx), its headers in ``language``
 * (zh-CN or en; default the user's). */
export function downloadTemplate(entity, format, language) {
  const params = language ? { entity, format, language } : { entity, format }
  const suffix = language ? `-${language}` : ''
  return api.download('/imports/template', params, `${entity}-template${suffix}.${format}`)
}
