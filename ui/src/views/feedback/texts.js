/** Labels of the feedback vocabulary; categories a site added itself show as they are. */
import { useI18n } from 'vue-i18n'
import { ageOf } from './workflow'

export function useFeedbackTexts() {
  const { t, te } = useI18n()
  return {
    t,
    category: (c) => (c && te(`feedback.category.${c}`) ? t(`feedback.category.${c}`) : c || ''),
    status: (s) => (s ? t(`feedback.status.${s}`) : ''),
    channel: (c) => (c ? t(`feedback.channel.${c}`) : ''),
    type: (v) => (v ? t(`feedback.type.${v}`) : ''),
    severity: (s) => (s ? t(`feedback.severity.${s}`) : ''),
    age: (iso) => { const a = ageOf(iso); return t(`feedback.age.${a.unit}`, { n: a.n }) },
  }
}
