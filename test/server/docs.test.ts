import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.js';
import { silentLogger } from '../../server/log.js';
import { captureFile, config, root, serve, tempDir } from './helpers.js';

/**
 * The documented commands run against a real server (worker-thread analysis included): the curl
 * walk-through of server/API.md, and the chart README's in-pod checks (health, upload from /data,
 * df -h /data) with the pod's paths mapped to this test's.
 */
const run = promisify(execFile);
const tmp = tempDir('pcap-docs-');
let s: Awaited<ReturnType<typeof serve>>;
let dataDir: string;

beforeAll(async () => {
  dataDir = join(tmp.dir, 'data');
  captureFile(tmp.dir, 300_000, 'capture.pcap');
  s = await serve(createApp(config(dataDir), { logger: silentLogger, sweeper: false }));
  await s.app.ready;
  copyFileSync(join(tmp.dir, 'capture.pcap'), join(dataDir, 'test.pcap'));
});
afterAll(async () => {
  await s?.close();
  tmp.cleanup();
});

async function sh(command: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('sh', ['-c', command], { cwd: tmp.dir, env: { ...process.env, ...env }, timeout: 30_000 });
  return stdout;
}

const local = (cmd: string) => cmd.replaceAll('localhost:8000', `127.0.0.1:${s.port}`);

/** `sh` code blocks of a Markdown file, continuation lines joined. */
function codeBlocks(markdown: string, langs: string[]): string[] {
  const out: string[] = [];
  for (const m of markdown.matchAll(/```(\w+)\n([\s\S]*?)```/g)) if (langs.includes(m[1])) out.push(m[2].replace(/\\\n\s*/g, ' '));
  return out;
}

describe('server/API.md walk-through', () => {
  it('runs every curl example in order', async () => {
    const doc = readFileSync(join(root, 'server', 'API.md'), 'utf8');
    const commands = codeBlocks(doc, ['sh'])
      .flatMap((b) => b.split('\n'))
      .map((l) => l.trim())
      .filter((l) => l.startsWith('curl '));
    expect(commands.length).toBeGreaterThanOrEqual(9);
    const env: Record<string, string> = {};
    const seen: string[] = [];
    for (const cmd of commands) {
      const out = await sh(local(cmd), env);
      seen.push(cmd);
      let json: any = null;
      try {
        json = JSON.parse(out);
      } catch {
        // SSE, status codes, -o files
      }
      if (json) expect(json.error ?? null, cmd).toBeNull();
      if (json?.task_id && json.delete_token) {
        env.TASK_ID = json.task_id;
        env.REPORT_ID = json.report_url.split('/').pop();
        env.DELETE_TOKEN = json.delete_token;
      }
      if (json?.url && json.delete_token) {
        env.REPORT_ID = json.id;
        env.DELETE_TOKEN = json.delete_token;
      }
      if (cmd.includes('/api/progress/')) expect(out, cmd).toMatch(/event: done\ndata: \{"task_id"/);
      if (cmd.includes('-X DELETE')) expect(out.trim()).toBe('204');
      if (cmd.includes('-o report.json')) {
        const report = JSON.parse(readFileSync(join(tmp.dir, 'report.json'), 'utf8'));
        expect(report.schemaVersion).toBe(1);
        // The last upload before it asked for other thresholds: the report was made with them.
        const lastUpload = seen.filter((c) => c.includes('/api/upload')).pop() ?? '';
        if (lastUpload.includes('threshold=gapSeconds=5')) expect(report.thresholds).toMatchObject({ gapSeconds: 5, rttWarnSeconds: 0.05, dnsTimeoutSeconds: 2 });
      }
    }
    expect(seen.some((c) => c.includes("-F 'file=@capture.pcap'"))).toBe(true);
    // After the delete, the shared report is gone.
    expect((await fetch(`${s.url}/api/reports/${env.REPORT_ID}`)).status).toBe(404);
  });
});

describe('chart README commands', () => {
  it('health, upload from the data directory and df work as written', async () => {
    const readme = readFileSync(join(root, 'charts', 'pcap-analyzer', 'README.md'), 'utf8');
    const commands: string[] = [];
    for (const block of codeBlocks(readme, ['bash', 'sh'])) {
      // In-pod commands: what follows `kubectl exec … --`, including multi-line `sh -c "…"`.
      for (const m of block.matchAll(/kubectl exec [^\n]*?-- (sh -c "[^"]*"|[^\n]*)/g)) commands.push(m[1]);
      for (const line of block.split('\n')) if (/^curl .*localhost:8000/.test(line.trim())) commands.push(line.trim());
    }
    const runnable = commands.filter((c) => /localhost:8000|df -h \/data/.test(c));
    expect(runnable).toEqual(
      expect.arrayContaining([
        'curl -s localhost:8000/api/health',
        'curl localhost:8000/api/health',
        'curl http://localhost:8000/api/health',
        "curl -F 'file=@capture.pcap' http://localhost:8000/api/upload",
        'df -h /data',
      ]),
    );
    expect(runnable.some((c) => c.startsWith('sh -c') && c.includes("-F 'file=@/data/test.pcap'"))).toBe(true);
    let uploads = 0;
    for (const cmd of runnable) {
      const out = await sh(local(cmd).replaceAll('/data', dataDir));
      if (cmd.includes('/api/health')) expect(out, cmd).toMatch(/"status":"ok"/);
      if (cmd.includes('/api/upload')) {
        expect(JSON.parse(out), cmd).toMatchObject({ task_id: expect.any(String), status_url: expect.any(String) });
        uploads++;
      }
      if (cmd.startsWith('df')) expect(out).toMatch(/Filesystem/);
    }
    expect(uploads).toBeGreaterThanOrEqual(2);
  });
});

describe('README.md API examples', () => {
  it('are commands the API.md walk-through above runs verbatim', () => {
    const lines = (file: string) =>
      codeBlocks(readFileSync(join(root, file), 'utf8'), ['sh'])
        .flatMap((b) => b.split('\n'))
        .map((l) => l.replace(/\s+#.*$/, '').trim())
        .filter((l) => l.startsWith('curl '));
    const readme = lines('README.md');
    const tested = new Set(lines(join('server', 'API.md')));
    expect(readme.length).toBeGreaterThanOrEqual(3);
    for (const cmd of readme) expect(tested.has(cmd), `README command not in server/API.md's tested walk-through: ${cmd}`).toBe(true);
  });
});
