// `npm start`: builds what is missing or older than its sources (the Node hosts, the app bundle),
// then starts the server. A fresh clone builds everything; an up-to-date tree starts at once.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

/** Newest modification time under the given files and folders (0 when none exist). */
function newest(paths) {
  let t = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules') visit(join(p, name));
    } else t = Math.max(t, s.mtimeMs);
  };
  paths.forEach(visit);
  return t;
}

const oldest = (files) => (files.every(existsSync) ? Math.min(...files.map((f) => statSync(f).mtimeMs)) : 0);

const nodeOut = ['server.js', 'cli.js', 'analysis-thread.js'].map((f) => `dist/node/${f}`);
if (oldest(nodeOut) < newest(['worker', 'server', 'package.json'])) run(process.execPath, ['scripts/build-node.mjs']);
const appOut = ['dist/app/index.html', 'dist/app/viewer/report.html'];
if (oldest(appOut) < newest(['worker', 'src', 'public', 'index.html', 'vite.config.ts', 'package.json'])) {
  run(process.execPath, ['node_modules/vite/bin/vite.js', 'build']);
}
await import(new URL('../dist/node/server.js', import.meta.url).href);
