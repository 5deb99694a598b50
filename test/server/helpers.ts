import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { generateCapture } from '../../bench/generate.js';
import { analyzeCapture, validateReport, type Report } from '../../worker/index.js';
import type { AnalysisRunner } from '../../server/analysis.js';
import { createApp, type AppDeps, type PcapApp } from '../../server/app.js';
import { defaultConfig, type ServerConfig } from '../../server/config.js';
import { fileSource } from '../../server/file-source.js';
import { listen, type Listening } from '../../server/listen.js';
import { silentLogger } from '../../server/log.js';

export const root = new URL('../../', import.meta.url).pathname;

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'pcap-server-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A generated capture (bench/generate.ts) of about `bytes` bytes. */
export function captureFile(dir: string, bytes = 200_000, name = 'capture.pcap'): string {
  const path = join(dir, name);
  generateCapture({ path, targetBytes: bytes, flows: 50 });
  return path;
}

/** A schema-valid report: the engine's analysis of a small generated capture. */
export async function fixtureReport(dir: string): Promise<Report> {
  const path = captureFile(dir, 50_000, 'fixture.pcap');
  const src = await fileSource(path);
  const report = await analyzeCapture(src.source, { totalBytes: src.size, fileName: 'fixture.pcap' });
  const checked = validateReport(JSON.parse(JSON.stringify(report)));
  if (!checked.ok) throw new Error(checked.error);
  return checked.report;
}

export function config(dataDir: string, overrides: Partial<ServerConfig> = {}): ServerConfig {
  return defaultConfig({ dataDir, appDir: join(dataDir, 'no-app'), sweepIntervalMs: 3600_000, ...overrides });
}

export function makeApp(dataDir: string, overrides: Partial<ServerConfig> = {}, deps: AppDeps = {}): PcapApp {
  return createApp(config(dataDir, overrides), { logger: silentLogger, sweeper: false, ...deps });
}

/** The app on an ephemeral loopback port. */
export async function serve(app: PcapApp): Promise<Listening & { app: PcapApp }> {
  const l = await listen(app, { port: 0, host: '127.0.0.1' });
  return Object.assign(l, { app });
}

/** A runner whose jobs finish only when the test says so. */
export function controlledRunner(report: Report): AnalysisRunner & {
  started: string[];
  release(): void;
  releaseAll(): void;
  emit(p: { sourceBytes: number; totalBytes: number; packets: number; elapsedMs: number }): void;
} {
  const pending: Array<{ resolve: () => void; onProgress: (p: never) => void }> = [];
  const started: string[] = [];
  let releasedAll = false;
  const runner = (async (job, hooks) => {
    started.push(job.spoolPath);
    if (!releasedAll) {
      await new Promise<void>((resolve, reject) => {
        pending.push({ resolve, onProgress: hooks.onProgress as (p: never) => void });
        hooks.signal.addEventListener('abort', () => reject(new Error('aborted')));
      });
    }
    return { json: JSON.stringify({ ...report, source: { fileName: job.fileName, fileBytes: job.totalBytes } }), packets: report.summary.packets };
  }) as AnalysisRunner;
  return Object.assign(runner, {
    started,
    release: () => pending.shift()?.resolve(),
    releaseAll: () => {
      releasedAll = true;
      while (pending.length) pending.shift()!.resolve();
    },
    emit: (p: never) => pending[0]?.onProgress(p),
  });
}

export async function until<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 10_000, stepMs = 20): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Uploads a body through app.request (no socket). */
export function uploadRequest(app: PcapApp, body: Uint8Array | string, headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' }) {
  return app.request('/api/upload', { method: 'POST', body: body as BodyInit, headers });
}

export function multipartBody(fileName: string, content: Uint8Array, field = 'file'): { body: Uint8Array; contentType: string } {
  const boundary = `----pcaptest${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Bundles the server like scripts/build-node.mjs does, into a scratch folder inside the repository
 * (so the external packages resolve from node_modules). For tests that run the server as a child.
 */
export async function buildServerBundle(): Promise<string> {
  const out = join(root, 'node_modules', '.cache', 'pcap-analyzer-server-test', `${process.pid}-${Date.now()}`);
  await mkdir(out, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: [
      { in: 'server/index.ts', out: 'server' },
      { in: 'server/analysis-thread.ts', out: 'analysis-thread' },
    ],
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return out;
}

/** VmRSS and VmHWM of a process, bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Reads a Server-Sent Events response into [event, data] pairs until the stream ends. */
export async function readSse(res: Response, onEvent?: (event: string, data: unknown) => void): Promise<Array<{ event: string; data: unknown }>> {
  const out: Array<{ event: string; data: unknown }> = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = block.match(/^event: (.*)$/m)?.[1];
      const data = block.match(/^data: (.*)$/m)?.[1];
      if (event && data !== undefined) {
        const parsed = JSON.parse(data) as unknown;
        out.push({ event, data: parsed });
        onEvent?.(event, parsed);
      }
    }
  }
  return out;
}

/**
 * Polls `url` with curl from a separate process every ~20 ms and collects curl's own timings (ms),
 * so the figures do not include delays of the test's event loop (which may be busy uploading).
 */
export function healthProbe(url: string): { stop(): Promise<number[]> } {
  const script = `while :; do curl -s -o /dev/null -w '%{http_code} %{time_total}\\n' '${url}'; sleep 0.02; done`;
  const p = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d));
  return {
    stop: async () => {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
      return out
        .split('\n')
        .map((l) => l.split(' '))
        .filter(([code, t]) => code === '200' && t)
        .map(([, t]) => Number(t) * 1000);
    },
  };
}
