/**
 * Labels of the feedback vocabulary, from the API's catalogues (their codes, in order, are the
 * selects' options); categories a site added itself show as they are.
 */
import { useI18n } from 'vue-i18n'
import { useCatalogue } from '../../catalogues'
import { ageOf } from './workflow'

export function useFeedbackTexts() {
  const { t } = useI18n()
  const catalogues = {
    categories: useCatalogue('feedback_categories'),
    statuses: useCatalogue('feedback_statuses'),
    channels: useCatalogue('feedback_channels'),
    types: useCatalogue('feedback_types'),
    severities: useCatalogue('feedback_severities'),
  }
  return {
    t,
    ...catalogues,
    category: catalogues.categories.label,
    status: catalogues.statuses.label,
    channel: catalogues.channels.label,
    type: catalogues.types.label,
    severity: catalogues.severities.label,
    age: (iso) => { const a = ageOf(iso); return t(`feedback.age.${a.unit}`, { n: a.n }) },
  }
}
