// Front-end build (vite 8, rolldown + oxc): the patient portal (/portal/) and the SMART Health Link viewer (/shl/view),
// written to dist/web/ by `npm run build`. Everything the pages need is bundled: nothing is fetched at run time.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  // Absolute asset URLs under /portal/assets/ (served by bridge/http/routes/web.ts for both pages).
  base: '/portal/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: resolve(import.meta.dirname, '../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline module-preload polyfill or data: scripts: script-src 'self' allows files only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    rollupOptions: {
      input: { portal: resolve(import.meta.dirname, 'portal/index.html'), viewer: resolve(import.meta.dirname, 'shl-viewer/index.html') },
    },
  },
});
