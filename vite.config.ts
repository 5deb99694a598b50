/**
 * Vite builds three things from one configuration, by mode:
 *
 * - default: the browser app → dist/app (served by the server with SPA fallback, or any static host).
 *   It first builds the viewer (below) and copies it to dist/app/viewer/report.html, where the app's
 *   "Export → HTML" fetches it.
 * - `--mode viewer`: the standalone report viewer → ONE file, dist/viewer/report.html, with its JS and
 *   CSS inlined by the small `inlineIntoHtml` plugin below. This is the template that
 *   `embedReport(template, report)` (worker/report/standalone.ts) fills — the app's HTML export and the
 *   CLI's `analyze --html` both use it. It carries its own CSP (hashes of its inline script and style;
 *   no network at all).
 * - `--mode harness`: the e2e harness page (test/e2e/harness) that drives the same worker host as the
 *   app, for the browser-vs-Node conformance test → dist/e2e-harness. Never part of the app.
 */
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, defineConfig, type Plugin, type UserConfig } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));
const VIEWER_OUT = resolve(root, 'dist/viewer');
const VIEWER_FILE = resolve(VIEWER_OUT, 'report.html');

/** Makes JS safe inside an inline <script>: `</script` and `<!--` cannot appear (both rewritten to escapes valid in strings, templates, regexes and comments). */
export function scriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\x21--');
}

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('base64');
}

/**
 * A tiny post-build inliner (instead of a plugin dependency): replaces the entry's
 * `<script type="module" src>` and `<link rel="stylesheet">` with inline elements, deletes the emitted
 * files, and writes a CSP meta allowing exactly those two inline blocks (by hash) and nothing else.
 */
function inlineIntoHtml(): Plugin {
  return {
    name: 'pcap-analyzer:inline-into-html',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const html = Object.values(bundle).find((f) => f.type === 'asset' && f.fileName.endsWith('.html'));
      if (!html || html.type !== 'asset') throw new Error('viewer build: no HTML output to inline into');
      let text = String(html.source);
      let scripts = '';
      let styles = '';
      for (const [name, file] of Object.entries(bundle)) {
        if (file.type === 'chunk') {
          if (!file.isEntry) throw new Error(`viewer build: unexpected extra chunk ${name} (the viewer must be one file)`);
          scripts += file.code;
          delete bundle[name];
        } else if (name.endsWith('.css')) {
          styles += String(file.source);
          delete bundle[name];
        } else if (name.endsWith('.map')) {
          delete bundle[name];
        }
      }
      text = text.replace(/<script type="module"[^>]*src="[^"]*"[^>]*><\/script>\s*/g, '');
      text = text.replace(/<link rel="stylesheet"[^>]*>\s*/g, '');
      text = text.replace(/<link rel="modulepreload"[^>]*>\s*/g, '');
      const js = scriptSafe(scripts);
      const css = styles.replace(/<\/(style)/gi, '<\\/$1');
      const csp = [
        "default-src 'none'",
        `script-src 'sha256-${sha256(js)}'`,
        `style-src 'sha256-${sha256(css)}'`,
        'img-src data: blob:',
        "base-uri 'none'",
        "form-action 'none'",
      ].join('; ');
      if (!text.includes('<!--csp-->')) throw new Error('viewer build: the template lacks the <!--csp--> marker');
      text = text.replace('<!--csp-->', () => `<meta http-equiv="Content-Security-Policy" content="${csp}" />`);
      text = text.replace('</head>', () => `<style>${css}</style>\n</head>`);
      text = text.replace('</body>', () => `<script type="module">${js}</script>\n</body>`);
      html.source = text;
    },
  };
}

/** App build: (re)builds the viewer first and copies it into the app's output. */
function withViewer(): Plugin {
  return {
    name: 'pcap-analyzer:with-viewer',
    apply: 'build',
    async closeBundle() {
      await build({ configFile: fileURLToPath(import.meta.url), mode: 'viewer', logLevel: 'warn' });
      const dest = resolve(root, 'dist/app/viewer/report.html');
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(VIEWER_FILE, dest);
    },
  };
}

export default defineConfig(({ mode }): UserConfig => {
  if (mode === 'viewer') {
    return {
      root: resolve(root, 'src/viewer'),
      publicDir: false,
      plugins: [svelte(), inlineIntoHtml()],
      build: {
        outDir: VIEWER_OUT,
        emptyOutDir: true,
        target: 'es2022',
        sourcemap: false,
        modulePreload: false,
        cssCodeSplit: false,
        assetsInlineLimit: () => true,
        rollupOptions: { input: resolve(root, 'src/viewer/report.html'), output: { codeSplitting: false } },
      },
    };
  }
  if (mode === 'harness') {
    return {
      root: resolve(root, 'test/e2e/harness'),
      publicDir: false,
      plugins: [svelte()],
      build: { outDir: resolve(root, 'dist/e2e-harness'), emptyOutDir: true, target: 'es2022', sourcemap: false },
      worker: { format: 'es' },
    };
  }
  return {
    plugins: [svelte(), ...(existsSync(resolve(root, 'src/viewer/report.html')) ? [withViewer()] : [])],
    build: {
      outDir: 'dist/app',
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
    },
    worker: {
      format: 'es',
    },
    server: {
      proxy: { '/api': 'http://127.0.0.1:8000' },
    },
  };
});
