// Bundles the Node hosts (CLI, server, analysis worker thread) from TypeScript into dist/node with
// esbuild. Runtime packages stay external (installed as production dependencies).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entries = ['server/cli.ts', 'server/index.ts', 'server/analysis-thread.ts'].filter((e) => existsSync(root + e));

await build({
  absWorkingDir: root,
  entryPoints: entries,
  outdir: 'dist/node',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  banner: { js: '// Built by scripts/build-node.mjs — do not edit.' },
});
