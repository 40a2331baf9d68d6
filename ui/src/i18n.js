/**
 * Chinese (zh-CN) and English. The first visit follows the browser's language; a switch is kept.
 * Each area of the UI keeps its texts in src/locales/<locale>/<area>.js; they are merged here.
 */
import { createI18n } from 'vue-i18n'
import { ref } from 'vue'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import en from 'element-plus/es/locale/lang/en'

export const LOCALES = ['zh-CN', 'en']
const KEY = 'crm.locale'

function gather(modules) {
  const messages = {}
  for (const module of Object.values(modules)) Object.assign(messages, module.default)
  return messages
}

const messages = {
  'zh-CN': gather(import.meta.glob('./locales/zh-CN/*.js', { eager: true })),
  en: gather(import.meta.glob('./locales/en/*.js', { eager: true })),
}

export function browserLocale() {
  const saved = localStorage.getItem(KEY)
  if (LOCALES.includes(saved)) return saved
  const languages = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]
  return (languages[0] || '').toLowerCase().startsWith('zh') ? 'zh-CN' : 'en'
}

export const i18n = createI18n({
  legacy: false,
  locale: browserLocale(),
  fallbackLocale: 'en',
  messages,
  missingWarn: false,
  fallbackWarn: false,
})

const elementLocales = { 'zh-CN': zhCn, en }
export const elementLocale = ref(elementLocales[i18n.global.locale.value])

export function setLocale(locale) {
  i18n.global.locale.value = locale
  elementLocale.value = elementLocales[locale]
  localStorage.setItem(KEY, locale)
  document.documentElement.lang = locale
}

document.documentElement.lang = i18n.global.locale.value
