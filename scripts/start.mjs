// `npm start`: builds whatever is missing (the app bundle, the Node hosts), then starts the server.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (['server.js', 'cli.js', 'analysis-thread.js'].some((f) => !existsSync(`dist/node/${f}`))) run(process.execPath, ['scripts/build-node.mjs']);
if (!existsSync('dist/app/index.html')) run(process.execPath, ['node_modules/vite/bin/vite.js', 'build']);
await import(new URL('../dist/node/server.js', import.meta.url).href);
