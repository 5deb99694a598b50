import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPORT_BYTES, type Report } from '../../worker/index.js';
import { inlineRunner } from '../../server/analysis.js';
import { rateKey, redactPath } from '../../server/app.js';
import { newId, newToken } from '../../server/ids.js';
import { memoryLogger } from '../../server/log.js';
import { MemoryReportStore, type ReportStore } from '../../server/report-store.js';
import { captureMagic } from '../../server/upload.js';
import { captureFile, controlledRunner, fixtureReport, makeApp, multipartBody, tempDir, until, uploadRequest } from './helpers.js';

const tmp = tempDir('pcap-app-');
let report: Report;
let capture: Uint8Array;
beforeAll(async () => {
  report = await fixtureReport(tmp.dir);
  capture = readFileSync(captureFile(tmp.dir, 100_000));
});
afterAll(() => tmp.cleanup());

const fresh = (name: string) => {
  const d = join(tmp.dir, `${name}-${newId()}`);
  mkdirSync(d);
  return d;
};

/** Every file under a directory with its size and mtime: to show a request touched nothing. */
function snapshot(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else out.push(`${relative(dir, p)} ${s.size} ${s.mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}

const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

describe('health', () => {
  it('reports status, version, uptime, queue and storage', async () => {
    const app = makeApp(fresh('health'));
    const res = await app.request('/api/health');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'ok', version: '0.1.0', queue: { running: 0, waiting: 0, capacity: 5 }, storage: { writable: true } });
    expect(typeof body.uptime).toBe('number');
    expect(body.storage.freeBytes).toBeGreaterThan(0);
    expect(res.headers.get('cache-control')).toBe('no-store');
    await app.close();
  });

  it('answers 503 when DATA_DIR is not writable, while liveness stays 200', async () => {
    const file = join(fresh('ro'), 'not-a-dir');
    writeFileSync(file, '');
    const app = makeApp(file);
    const res = await app.request('/api/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'unavailable', storage: { writable: false } });
    expect((await app.request('/api/health/live')).status).toBe(200);
    await app.close();
  });
});

describe('security headers and errors', () => {
  it('puts the strict CSP and the secureHeaders set on the app, and a no-load CSP on the API', async () => {
    const dir = fresh('spa');
    const appDir = join(dir, 'app');
    mkdirSync(join(appDir, 'assets'), { recursive: true });
    writeFileSync(join(appDir, 'index.html'), '<!doctype html><title>pcap-analyzer</title><div id="app"></div>');
    writeFileSync(join(appDir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const app = makeApp(dir, { appDir });
    for (const path of ['/', '/r/AAAAAAAAAAAAAAAAAAAAAA', '/assets/index-abc123.js']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy')).toBe(APP_CSP);
    }
    const shell = await app.request('/r/AAAAAAAAAAAAAAAAAAAAAA');
    expect(await shell.text()).toContain('<div id="app">');
    expect(shell.headers.get('cache-control')).toBe('no-cache');
    expect((await app.request('/assets/index-abc123.js')).headers.get('cache-control')).toContain('immutable');
    expect((await app.request('/assets/missing.js')).status).toBe(404);
    for (const path of ['/api/health', '/api/nope', '/']) {
      const h = (await app.request(path)).headers;
      expect(h.get('referrer-policy')).toBe('no-referrer');
      expect(h.get('x-content-type-options')).toBe('nosniff');
      expect(h.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(h.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(h.get('strict-transport-security')).toMatch(/^max-age=\d+/);
      expect(h.get('x-powered-by')).toBeNull();
    }
    expect((await app.request('/api/health')).headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    await app.close();
  });

  it('says the app is not built rather than failing', async () => {
    const app = makeApp(fresh('nobuild'));
    const res = await app.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/npm run build/);
    await app.close();
  });

  it('answers JSON errors with the right status, never a stack trace', async () => {
    const throwing: ReportStore = Object.assign(new MemoryReportStore(), {
      get: async () => {
        throw new Error('secret internal detail at /srv/x.ts:12');
      },
    });
    const app = makeApp(fresh('err'), {}, { reports: throwing });
    const notFound = await app.request('/api/nope');
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    const wrongMethod = await app.request('/api/upload');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    const boom = await app.request(`/api/reports/${newId()}`);
    expect(boom.status).toBe(500);
    const text = await boom.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal server error' } });
    expect(text).not.toMatch(/secret|\.ts|at /);
    await app.close();
  });

  it('caps bodies on endpoints that take none', async () => {
    const app = makeApp(fresh('cap'));
    const res = await app.request(`/api/reports/${newId()}`, {
      method: 'DELETE',
      body: 'x'.repeat(20_000),
      headers: { 'X-Delete-Token': newToken(), 'Content-Length': '20000' },
    });
    expect(res.status).toBe(413);
    await app.close();
  });
});

describe('upload', () => {
  it('accepts a raw capture, analyses it and serves the report', async () => {
    const dir = fresh('raw');
    const app = makeApp(dir, {}, { analyze: inlineRunner });
    const res = await uploadRequest(app, capture, { 'Content-Type': 'application/octet-stream', 'X-File-Name': 'dir/../trace.pcap' });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({
      task_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      status_url: `/api/status/${body.task_id}`,
      progress_url: `/api/progress/${body.task_id}`,
      report_url: expect.stringMatching(/^\/api\/reports\/[A-Za-z0-9_-]{22}$/),
      delete_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const done = await until(async () => {
      const s = await (await app.request(body.status_url)).json();
      return s.status === 'done' ? s : null;
    });
    expect(done).toMatchObject({ file_name: 'trace.pcap', bytes: capture.length, report_url: body.report_url, error: null });
    const rep = await app.request(body.report_url);
    expect(rep.status).toBe(200);
    expect(rep.headers.get('cache-control')).toBe('no-store');
    const json = await rep.json();
    expect(json.source).toEqual({ fileName: 'trace.pcap', fileBytes: capture.length });
    expect(json.summary.packets).toBeGreaterThan(0);
    // The spool is gone once the job ends.
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);
    // The upload's delete token deletes the analysis report.
    const del = await app.request(body.report_url, { method: 'DELETE', headers: { Authorization: `Bearer ${body.delete_token}` } });
    expect(del.status).toBe(204);
    await app.close();
  });

  it('accepts multipart (curl -F) with the file name from the part', async () => {
    const app = makeApp(fresh('mp'), {}, { analyze: inlineRunner });
    const mp = multipartBody('capture.pcap', capture);
    const res = await uploadRequest(app, mp.body, { 'Content-Type': mp.contentType });
    expect(res.status).toBe(202);
    const { status_url } = await res.json();
    const s = await until(async () => {
      const j = await (await app.request(status_url)).json();
      return j.status === 'done' ? j : null;
    });
    expect(s.file_name).toBe('capture.pcap');
    await app.close();
  });

  it('analyses with the thresholds given as query parameters, and refuses bad ones before reading the body', async () => {
    const dir = fresh('thr');
    const app = makeApp(dir, {}, { analyze: inlineRunner });
    const post = (query: string) => app.request(`/api/upload${query}`, { method: 'POST', body: capture as BodyInit, headers: { 'Content-Type': 'application/octet-stream' } });
    for (const [query, message] of [
      ['?threshold=nope=1', /unknown threshold "nope"/],
      ['?threshold=gapSeconds=-1', /is not NAME=VALUE|non-negative/],
      ['?threshold=gapSeconds', /is not NAME=VALUE/],
      [`?${Array.from({ length: 33 }, () => 'threshold=gapSeconds=2').join('&')}`, /at most 32/],
    ] as const) {
      const res = await post(query);
      expect(res.status, query).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe('bad_threshold');
      expect(body.error.message).toMatch(message);
      expect(res.headers.get('connection')).toBe('close');
    }
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);

    const res = await post('?threshold=gapSeconds=5&threshold=jitterWarnMs=20');
    expect(res.status).toBe(202);
    const { status_url, report_url } = await res.json();
    await until(async () => (await (await app.request(status_url)).json()).status === 'done');
    const report = await (await app.request(report_url)).json();
    expect(report.thresholds).toMatchObject({ gapSeconds: 5, jitterWarnMs: 20, rttWarnSeconds: 0.1 });
    await app.close();
  });

  it('refuses a file that is not a capture with 415 and keeps nothing', async () => {
    const dir = fresh('415');
    const app = makeApp(dir, {}, { analyze: inlineRunner });
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(5000)]);
    const raw = await uploadRequest(app, png);
    expect(raw.status).toBe(415);
    expect((await raw.json()).error.code).toBe('not_a_capture');
    expect(raw.headers.get('connection')).toBe('close');
    const mp = multipartBody('notes.txt', Buffer.from('hello, this is text'));
    const multi = await uploadRequest(app, mp.body, { 'Content-Type': mp.contentType });
    expect(multi.status).toBe(415);
    expect((await uploadRequest(app, capture, { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await uploadRequest(app, new Uint8Array(0))).status).toBe(400);
    const fieldOnly = '--b0undary\r\nContent-Disposition: form-data; name="comment"\r\n\r\nhello\r\n--b0undary--\r\n';
    const noFile = await uploadRequest(app, fieldOnly, { 'Content-Type': 'multipart/form-data; boundary=b0undary' });
    expect(noFile.status).toBe(400);
    expect((await noFile.json()).error.code).toBe('no_file');
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);
    expect((await (await app.request('/api/health')).json()).queue.waiting).toBe(0);
    await app.close();
  });

  it('reports a capture the engine cannot read as a failed job, with the reason', async () => {
    const app = makeApp(fresh('unreadable'), {}, { analyze: inlineRunner });
    const junk = gzipSync(Buffer.from('plain text, not a capture '.repeat(50)));
    const res = await uploadRequest(app, junk);
    expect(res.status).toBe(202);
    const job = await res.json();
    const s = await until(async () => {
      const j = await (await app.request(job.status_url)).json();
      return j.status === 'failed' ? j : null;
    });
    expect(s.error).toEqual({ code: 'unreadable_capture', message: expect.stringMatching(/could not be read as a capture/) });
    const rep = await app.request(job.report_url);
    expect(rep.status).toBe(404);
    expect((await rep.json()).error.code).toBe('analysis_failed');
    await app.close();
  });

  it('recognises every pcap magic in both byte orders, pcapng and gzip', () => {
    const b = (...x: number[]) => Uint8Array.from(x);
    for (const m of [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34]) {
      const be = b(m >>> 24, (m >>> 16) & 255, (m >>> 8) & 255, m & 255);
      expect(captureMagic(be)).toBe('pcap');
      expect(captureMagic(be.slice().reverse())).toBe('pcap');
    }
    expect(captureMagic(b(0x0a, 0x0d, 0x0d, 0x0a))).toBe('pcapng');
    expect(captureMagic(b(0x1f, 0x8b, 8, 0))).toBe('gzip');
    expect(captureMagic(b(0x50, 0x4b, 3, 4))).toBeNull();
    expect(captureMagic(b(0xa1, 0xb2))).toBeNull();
  });

  it('refuses an upload over the cap with 413 and removes the spool', async () => {
    const dir = fresh('413');
    const app = makeApp(dir, { maxUploadBytes: 50_000 });
    const declared = await uploadRequest(app, capture);
    expect(declared.status).toBe(413);
    // Without a length: found while streaming.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let o = 0; o < capture.length; o += 8192) c.enqueue(capture.subarray(o, o + 8192));
        c.close();
      },
    });
    const streamed = await app.request('/api/upload', { method: 'POST', body: stream, headers: { 'Content-Type': 'application/octet-stream' }, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await streamed.json()).error.code).toBe('upload_too_large');
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);
    await app.close();
  });

  it('answers 507 at once when an announced upload cannot fit on the data volume', async () => {
    const app = makeApp(fresh('507'), { maxUploadBytes: 2 ** 50 });
    const res = await app.request('/api/upload', {
      method: 'POST',
      body: capture as BodyInit,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(2 ** 49) },
    });
    expect(res.status).toBe(507);
    expect((await res.json()).error.code).toBe('insufficient_storage');
    expect(res.headers.get('retry-after')).toBe('60');
    await app.close();
  });

  it('answers 429 with Retry-After when the queue is full', async () => {
    const runner = controlledRunner(report);
    const app = makeApp(fresh('429'), { maxQueueSize: 1 }, { analyze: runner });
    const first = await uploadRequest(app, capture); // running
    expect(first.status).toBe(202);
    const firstJob = await first.json();
    await until(() => runner.started.length === 1);
    const pending = await app.request(firstJob.report_url);
    expect(pending.status).toBe(404);
    expect((await pending.json()).error.code).toBe('report_pending');
    expect(pending.headers.get('retry-after')).toBe('2');
    expect((await uploadRequest(app, capture)).status).toBe(202); // waiting (1 of 1)
    const full = await uploadRequest(app, capture);
    expect(full.status).toBe(429);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await full.json()).error.code).toBe('queue_full');
    expect((await (await app.request('/api/health')).json()).queue).toEqual({ running: 1, waiting: 1, capacity: 1 });
    runner.releaseAll();
    await until(async () => (await (await app.request('/api/health')).json()).queue.running === 0);
    expect((await uploadRequest(app, capture)).status).toBe(202);
    await app.close();
  });

  it('rate-limits uploads per client with Retry-After', async () => {
    let clock = Date.UTC(2030, 0, 1);
    const app = makeApp(
      fresh('rate'),
      { rateLimits: { upload: { burst: 2, refillSeconds: 60 }, share: { burst: 1, refillSeconds: 10 } } },
      { analyze: inlineRunner, now: () => clock, clientAddress: (c) => c.req.header('x-test-client') ?? 'a' },
    );
    const up = (client: string) => uploadRequest(app, capture, { 'Content-Type': 'application/octet-stream', 'X-Test-Client': client });
    expect((await up('a')).status).toBe(202);
    expect((await up('a')).status).toBe(202);
    const limited = await up('a');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect((await up('b')).status).toBe(202);
    clock += 60_000;
    expect((await up('a')).status).toBe(202);
    await app.close();
  });
});

describe('shared reports', () => {
  const share = (app: ReturnType<typeof makeApp>, body: string, headers: Record<string, string> = {}) =>
    app.request('/api/reports', { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });

  it('round-trips: share, read, delete with the token', async () => {
    const app = makeApp(fresh('share'));
    const res = await share(app, JSON.stringify(report));
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), url: `/r/${body.id}`, delete_token: expect.any(String) });
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(23 * 3600_000);
    const got = await app.request(`/api/reports/${body.id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('cache-control')).toBe('no-store');
    expect(got.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await got.json()).toEqual(report);
    const url = `/api/reports/${body.id}`;
    const head = await app.request(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
    expect(await head.text()).toBe('');
    expect((await app.request(url, { method: 'DELETE' })).status).toBe(401);
    expect((await app.request(url, { method: 'DELETE', headers: { Authorization: `Bearer ${newToken()}` } })).status).toBe(403);
    expect((await app.request(url, { method: 'DELETE', headers: { 'X-Delete-Token': 'short' } })).status).toBe(403);
    expect((await app.request(url)).status).toBe(200);
    expect((await app.request(url, { method: 'DELETE', headers: { 'X-Delete-Token': body.delete_token } })).status).toBe(204);
    const gone = await app.request(url);
    expect(gone.status).toBe(404);
    expect((await gone.json()).error.code).toBe('report_not_found');
    await app.close();
  });

  it('rejects tampered reports with 422 and the validator message', async () => {
    const app = makeApp(fresh('tamper'));
    const cases: Array<[string, unknown]> = [
      ['newer schema', { ...report, schemaVersion: 99 }],
      ['negative count', { ...report, summary: { ...report.summary, packets: -1 } }],
      ['oversized string', { ...report, source: { ...report.source, fileName: 'x'.repeat(5000) } }],
      ['missing section', { ...report, tcp: undefined }],
      ['not an object', [report]],
    ];
    for (const [name, bad] of cases) {
      const res = await share(app, JSON.stringify(bad));
      expect(res.status, name).toBe(422);
      const body = await res.json();
      expect(body.error.code, name).toBe('invalid_report');
      expect(body.error.message.length).toBeLessThan(2000);
    }
    expect((await share(app, '{"schemaVersion": 1, ')).status).toBe(422);
    expect((await share(app, JSON.stringify(report), { 'Content-Type': 'text/plain' })).status).toBe(415);
    // Unknown keys are dropped: what is served is what the validator accepted.
    const extra = await share(app, JSON.stringify({ ...report, injected: '<script>alert(1)</script>' }));
    expect(extra.status).toBe(201);
    const served = await (await app.request(`/api/reports/${(await extra.json()).id}`)).json();
    expect(served.injected).toBeUndefined();
    await app.close();
  });

  it('refuses oversized reports before parsing them', async () => {
    const app = makeApp(fresh('big'));
    const big = `{"pad":"${'x'.repeat(MAX_REPORT_BYTES)}"}`;
    const declared = await share(app, big);
    expect(declared.status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        const chunk = new TextEncoder().encode('x'.repeat(1 << 20));
        c.enqueue(new TextEncoder().encode('{"pad":"'));
        for (let i = 0; i < 9; i++) c.enqueue(chunk);
        c.close();
      },
    });
    const streamed = await app.request('/api/reports', { method: 'POST', body: stream, headers: { 'Content-Type': 'application/json' }, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await streamed.json()).error.code).toBe('report_too_large');
    await app.close();
  });

  it('rate-limits shares', async () => {
    const app = makeApp(fresh('share-rate'), { rateLimits: { upload: { burst: 1, refillSeconds: 1 }, share: { burst: 2, refillSeconds: 10 } } });
    expect((await share(app, JSON.stringify(report))).status).toBe(201);
    expect((await share(app, JSON.stringify(report))).status).toBe(201);
    const limited = await share(app, JSON.stringify(report));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await app.close();
  });

  it('answers 400 for malformed ids and 404 for unknown ones, touching nothing', async () => {
    const dir = fresh('ids');
    const calls: string[] = [];
    const inner = new MemoryReportStore();
    const spy: ReportStore = {
      put: (...a) => (calls.push('put'), inner.put(...a)),
      get: (...a) => (calls.push('get'), inner.get(...a)),
      delete: (...a) => (calls.push('delete'), inner.delete(...a)),
      sweep: (...a) => inner.sweep(...a),
    };
    const app = makeApp(dir, {}, { reports: spy });
    await app.ready;
    const before = snapshot(tmp.dir);
    const malformed = [
      '..%2F..%2F..%2Fetc%2Fpasswd',
      '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '..%5c..%5cwindows',
      'AAAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAA.json',
      'AAAAAAAAAAAAAAAAAAAAA%00',
      '%00',
      'x'.repeat(5000),
    ];
    for (const id of malformed) {
      for (const path of [`/api/reports/${id}`, `/api/status/${id}`, `/api/progress/${id}`]) {
        const res = await app.request(path);
        expect(res.status, path).toBe(400);
        expect((await res.json()).error.code).toBe('bad_id');
      }
      expect((await app.request(`/api/reports/${id}`, { method: 'DELETE', headers: { 'X-Delete-Token': newToken() } })).status).toBe(400);
    }
    expect(calls).toEqual([]);
    // Dot segments are resolved by URL parsing before routing: they never reach a handler with "..".
    const dots = await app.request('/api/reports/../../../etc/passwd');
    expect(await dots.text()).not.toMatch(/root:/);
    expect(calls).toEqual([]);
    for (const path of [`/api/reports/${newId()}`, `/api/status/${newId()}`, `/api/progress/${newId()}`]) {
      expect((await app.request(path)).status, path).toBe(404);
    }
    expect(snapshot(tmp.dir)).toEqual(before);
    await app.close();
  });

  it('expires reports with the injected clock: 410, then the sweep deletes the files', async () => {
    const dir = fresh('ttl');
    let clock = Date.UTC(2030, 0, 1);
    const app = makeApp(dir, { reportTtlMs: 2 * 3600_000 }, { now: () => clock });
    const { id } = await (await share(app, JSON.stringify(report))).json();
    const files = () => readdirSync(join(dir, 'reports')).filter((f) => f.startsWith(id));
    expect(files()).toHaveLength(2);
    clock += 2 * 3600_000 - 1;
    expect((await app.request(`/api/reports/${id}`)).status).toBe(200);
    clock += 1;
    const expired = await app.request(`/api/reports/${id}`);
    expect(expired.status).toBe(410);
    expect((await expired.json()).error).toEqual({ code: 'report_expired', message: expect.stringMatching(/expired at 2030-01-01T02:00:00.000Z.*2 hours/) });
    expect(files()).toHaveLength(2);
    await app.sweep();
    expect(files()).toEqual([]);
    const gone = await app.request(`/api/reports/${id}`);
    expect(gone.status).toBe(404);
    expect((await gone.json()).error.message).toMatch(/deleted 2 hours after/);
    await app.close();
  });

  it('sweeps orphaned spool files and stale job records', async () => {
    const dir = fresh('orphans');
    let clock = Date.now();
    const app = makeApp(dir, { reportTtlMs: 3600_000 }, { now: () => clock, analyze: inlineRunner });
    await app.ready;
    const res = await uploadRequest(app, capture);
    const { status_url } = await res.json();
    await until(async () => (await (await app.request(status_url)).json()).status === 'done');
    const orphan = join(dir, 'spool', `${newId()}.capture`);
    writeFileSync(orphan, 'partial upload');
    await app.sweep();
    expect(existsSync(orphan)).toBe(true); // young: may be an upload starting
    clock += 2 * 3600_000;
    await app.sweep();
    expect(existsSync(orphan)).toBe(false);
    expect(readdirSync(join(dir, 'jobs'))).toEqual([]);
    expect((await app.request(status_url)).status).toBe(404);
    // Old debris is removed even if its mtime says so rather than the clock.
    const old = join(dir, 'spool', '.tmp-x.job.json.1');
    writeFileSync(old, '{');
    const past = new Date(Date.now() - 3 * 3600_000);
    utimesSync(old, past, past);
    clock = Date.now();
    await app.sweep();
    expect(existsSync(old)).toBe(false);
    await app.close();
  });
});

describe('logs', () => {
  it('writes one JSON line per request without query strings, ids masked', async () => {
    const logger = memoryLogger('INFO');
    const app = makeApp(fresh('logs'), {}, { logger });
    await app.request(`/api/reports/${newId()}?token=secret-value`);
    await app.request('/api/health');
    const req = logger.entries.filter((e) => e.event === 'request');
    expect(req).toHaveLength(1); // health checks log at DEBUG
    expect(req[0]).toMatchObject({ level: 'INFO', method: 'GET', path: '/api/reports/:id', status: 404 });
    expect(JSON.stringify(logger.entries)).not.toContain('secret-value');
    expect(redactPath('/r/AAAAAAAAAAAAAAAAAAAAAA')).toBe('/r/:id');
    await app.close();
  });

  it('keys rate limits by address, IPv6 by /64', () => {
    expect(rateKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(rateKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(rateKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(rateKey('::1')).toBe('0:0:0:0::/64');
  });
});
