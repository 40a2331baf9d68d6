import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The build lands in ui/dist, which the gateway serves at "/".
// `npm run dev` proxies the API to a gateway running on :8000.
export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8000', '/s': 'http://127.0.0.1:8000' },
  },
})
