// Bundles the Node hosts (CLI, server, analysis worker thread) from TypeScript into dist/node with
// esbuild. Runtime packages stay external (installed as production dependencies).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entries = [
  { in: 'server/cli.ts', out: 'cli' },
  { in: 'server/index.ts', out: 'server' },
  { in: 'server/analysis-thread.ts', out: 'analysis-thread' },
].filter((e) => existsSync(root + e.in));

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
