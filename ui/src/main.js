import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import * as Icons from '@element-plus/icons-vue'
import App from './App.vue'
import { router } from './router'
import { i18n } from './i18n'
import './styles.css'

const app = createApp(App)
for (const [name, component] of Object.entries(Icons)) app.component(`Icon${name}`, component)
app.use(ElementPlus)
app.use(i18n)
app.use(router)
app.mount('#app')
