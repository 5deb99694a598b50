import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCapture } from '../../bench/generate.js';
import { CACHE_DIR, ENV_KEY, type E2eEnv } from './env.js';
import { ROOT, run, startProjectServer, staticServer } from './servers.js';

const LARGE_BYTES = 210 * 1000 * 1000;

export default async function globalSetup(): Promise<() => Promise<void>> {
  const t0 = Date.now();
  if (process.env.E2E_SKIP_BUILD !== '1') {
    run(process.execPath, ['scripts/build-node.mjs'], 'the Node build');
    run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], 'the app build');
    run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--mode', 'harness', '--logLevel', 'warn'], 'the harness build');
  }
  const tmp = mkdtempSync(join(tmpdir(), 'pcap-analyzer-e2e-'));
  const dataDir = join(tmp, 'data');
  mkdirSync(dataDir);

  // The large capture is generated once per machine into a temp folder (never the repository).
  mkdirSync(CACHE_DIR, { recursive: true });
  const largeCapture = join(CACHE_DIR, 'mix-210MB.pcap');
  if (!existsSync(largeCapture) || statSync(largeCapture).size < LARGE_BYTES) generateCapture({ path: largeCapture, targetBytes: LARGE_BYTES });

  const closers: Array<() => Promise<void> | void> = [];
  let base: string;
  let server = true;
  let serverProblem = '';
  try {
    const s = await startProjectServer(dataDir, { MAX_UPLOAD_SIZE_MB: '64' });
    base = s.url;
    closers.push(
      () =>
        new Promise<void>((ok) => {
          s.proc.once('exit', () => ok());
          s.proc.kill('SIGTERM');
          setTimeout(() => (s.proc.kill('SIGKILL'), ok()), 5000).unref();
        }),
    );
  } catch (e) {
    server = false;
    serverProblem = e instanceof Error ? e.message : String(e);
    process.stderr.write(`\n[e2e] the project's server could not start; server tests are skipped. ${serverProblem}\n`);
    const s = await staticServer(join(ROOT, 'dist/app'), true);
    base = s.url;
    closers.push(s.close);
  }
  const h = await staticServer(join(ROOT, 'dist/e2e-harness'), false);
  closers.push(h.close);

  const env: E2eEnv = { base, server, serverProblem, harness: h.url, largeCapture, tmp };
  process.env[ENV_KEY] = JSON.stringify(env);
  process.stderr.write(`[e2e] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: app ${base}${server ? ' (project server)' : ' (static)'}\n`);
  return async () => {
    for (const c of closers.reverse()) await c();
    rmSync(tmp, { recursive: true, force: true });
  };
}
