import { defineConfig } from 'vite';

// The gateway serves the built bundle; `npm run dev -w @lrnas/web` proxies the API to it.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  server: {
    proxy: { '/graphql': { target: process.env.LRNAS_GATEWAY ?? 'http://127.0.0.1:4000', ws: true } },
  },
  build: { outDir: 'dist', emptyOutDir: true },
});
