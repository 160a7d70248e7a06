// Front-end build (vite 8, rolldown + oxc), written to dist/web/ by `npm run build`: the patient portal (/portal/), the
// SMART Health Link viewer (/shl/view) and the verifier (/verify/), plus the verifier as one self-contained file to keep
// (dist/web/verifier-standalone.html, built by a second pass at the end of this one). Everything the pages need is
// bundled: nothing is fetched at run time.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { build, defineConfig, type InlineConfig, type Plugin } from 'vite';

const root = import.meta.dirname;
const outDir = resolve(root, '../dist/web');
const oxc = { jsx: { runtime: 'automatic', importSource: 'preact' } } as const;

/**
 * The log core (bridge/log) hashes and verifies signatures with node:crypto through two small modules; in the pages the
 * same core runs with browser implementations of those two (web/verifier/browser/, @noble/hashes and @noble/curves).
 * Swapped by resolved file rather than by import text, so every importer of either module gets the browser one.
 */
const BROWSER_MODULES: Record<string, string> = {
  [resolve(root, '../bridge/log/sha256.ts')]: resolve(root, 'verifier/browser/sha256.ts'),
  [resolve(root, '../bridge/log/ed25519.ts')]: resolve(root, 'verifier/browser/ed25519.ts'),
};
function browserLogCore(): Plugin {
  return {
    name: 'browser-log-core',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      // A Node built-in in a page is a bug (vite would only stub it and fail at run time): stop the build.
      if (/^node:/.test(source)) this.error(`${source} imported by ${importer}: pages cannot use Node built-ins (add a browser module, see BROWSER_MODULES)`);
      if (!/(sha256|ed25519)(\.ts)?$/.test(source)) return null;
      const found = await this.resolve(source, importer, { ...options, skipSelf: true });
      return found && BROWSER_MODULES[found.id] ? BROWSER_MODULES[found.id] : null;
    },
  };
}

const cspHash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
/** Text safe inside <script>/<style>: no end tag and no comment opener that would end or change the element early. */
const inert = (code: string, tag: 'script' | 'style'): string => code.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1').replace(/<!--/g, '<\\!--');

/**
 * Inlines the verifier's one script and one stylesheet into its HTML and emits it as verifier-standalone.html (nothing
 * else is written). The file carries its own Content-Security-Policy: the two inline elements allowed by hash only,
 * fetches to any http(s) URL (the RPC the user types; the file has no origin to restrict to), nothing else.
 */
function standaloneFile(): Plugin {
  return {
    name: 'verifier-standalone',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const html = Object.values(bundle).find((f) => f.type === 'asset' && f.fileName.endsWith('.html'));
      if (!html || html.type !== 'asset') this.error('verifier HTML missing from the bundle');
      const named = (url: string) => Object.values(bundle).find((f) => url.endsWith('/' + f.fileName) || url === f.fileName);
      let page = String(html.source);
      const scripts: string[] = [];
      const styles: string[] = [];
      page = page.replace(/<script\b[^>]*\bsrc="([^"]+)"[^>]*><\/script>/g, (_m, src: string) => {
        const chunk = named(src);
        if (!chunk || chunk.type !== 'chunk') this.error(`no chunk for ${src}`);
        if (chunk.imports.length || chunk.dynamicImports.length) this.error('the standalone verifier must be one chunk');
        const code = inert(chunk.code, 'script');
        scripts.push(code);
        return `<script type="module">${code}</script>`;
      });
      page = page.replace(/<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"[^>]*>/g, (_m, href: string) => {
        const asset = named(href);
        if (!asset || asset.type !== 'asset') this.error(`no stylesheet for ${href}`);
        const css = inert(String(asset.source), 'style');
        styles.push(css);
        return `<style>${css}</style>`;
      });
      if (/<(script|link)\b[^>]*\b(src|href)=/.test(page)) this.error('the standalone verifier still references a file');
      const csp =
        `default-src 'none'; script-src ${scripts.map(cspHash).join(' ')}; style-src ${styles.map(cspHash).join(' ')}; ` +
        `connect-src http: https:; img-src data:; base-uri 'none'; form-action 'none'`;
      // First in <head>, before any script: a meta policy applies to what follows it.
      page = page.replace(/<meta charset="utf-8" \/>/, (m) => `${m}\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`);
      for (const name of Object.keys(bundle)) delete bundle[name];
      this.emitFile({ type: 'asset', fileName: 'verifier-standalone.html', source: page });
    },
  };
}

const standaloneBuild: InlineConfig = {
  configFile: false,
  root,
  base: './',
  logLevel: 'warn',
  oxc,
  plugins: [browserLogCore(), standaloneFile()],
  build: {
    outDir,
    emptyOutDir: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    rollupOptions: { input: { verifier: resolve(root, 'verifier/index.html') } },
  },
};

export default defineConfig({
  root,
  // Absolute asset URLs under /portal/assets/ (served by bridge/http/routes/web.ts for every page: /verify/ too).
  base: '/portal/',
  logLevel: 'warn',
  oxc,
  plugins: [
    browserLogCore(),
    {
      name: 'verifier-standalone-pass',
      apply: 'build',
      closeBundle: { sequential: true, order: 'post', handler: () => build(standaloneBuild).then(() => undefined) },
    },
  ],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline module-preload polyfill or data: scripts: script-src 'self' allows files only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    rollupOptions: {
      input: {
        portal: resolve(root, 'portal/index.html'),
        viewer: resolve(root, 'shl-viewer/index.html'),
        verifier: resolve(root, 'verifier/index.html'),
      },
    },
  },
});
