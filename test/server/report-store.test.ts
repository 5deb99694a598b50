import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, newId, newToken } from '../../server/ids.js';
import { FsReportStore, MemoryReportStore, type ReportStore } from '../../server/report-store.js';
import { tempDir } from './helpers.js';

/**
 * One suite for every ReportStore implementation (as Hono runs one router suite against every
 * router): a new backend only has to be added to this list.
 */
const tmp = tempDir('pcap-store-');
afterAll(() => tmp.cleanup());

const implementations: Array<[string, () => Promise<ReportStore>]> = [
  ['memory', async () => new MemoryReportStore()],
  [
    'filesystem',
    async () => {
      const s = new FsReportStore(join(tmp.dir, newId()));
      await s.init();
      return s;
    },
  ],
];

const HOUR = 3600_000;
const T0 = Date.UTC(2030, 0, 1);

async function text(body: string | ReadableStream<Uint8Array>): Promise<string> {
  return typeof body === 'string' ? body : new Response(body).text();
}

describe.each(implementations)('ReportStore conformance: %s', (_name, make) => {
  let store: ReportStore;
  beforeEach(async () => {
    store = await make();
  });

  it('stores and returns the exact JSON, with its expiry', async () => {
    const token = newToken();
    const json = JSON.stringify({ hello: 'wörld', n: [1, 2, 3] });
    const meta = await store.put(json, { tokenHash: hashToken(token), origin: 'share', now: T0, ttlMs: 24 * HOUR });
    expect(meta.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(meta.expiresAt).toBe(T0 + 24 * HOUR);
    expect(meta.bytes).toBe(Buffer.byteLength(json));
    const got = await store.get(meta.id, T0 + 1000);
    expect(got.state).toBe('found');
    if (got.state === 'found') expect(await text(got.body)).toBe(json);
  });

  it('uses a given id, and refuses it twice', async () => {
    const id = newId();
    const meta = await store.put('{}', { id, tokenHash: hashToken(newToken()), origin: 'analysis', now: T0, ttlMs: HOUR });
    expect(meta.id).toBe(id);
    expect(meta.origin).toBe('analysis');
    await expect(store.put('{}', { id, tokenHash: hashToken(newToken()), origin: 'analysis', now: T0, ttlMs: HOUR })).rejects.toThrow(/in use/);
  });

  it('refuses malformed ids and token hashes', async () => {
    await expect(store.put('{}', { id: '../../etc/passwd', tokenHash: hashToken(newToken()), origin: 'share', now: T0, ttlMs: HOUR })).rejects.toThrow();
    await expect(store.put('{}', { tokenHash: 'plain-token', origin: 'share', now: T0, ttlMs: HOUR })).rejects.toThrow();
  });

  it('reports expiry from the clock it is given, before any sweep', async () => {
    const meta = await store.put('{}', { tokenHash: hashToken(newToken()), origin: 'share', now: T0, ttlMs: HOUR });
    expect((await store.get(meta.id, T0 + HOUR - 1)).state).toBe('found');
    const expired = await store.get(meta.id, T0 + HOUR);
    expect(expired.state).toBe('expired');
  });

  it('returns missing for unknown and malformed ids', async () => {
    expect((await store.get(newId(), T0)).state).toBe('missing');
    for (const bad of ['', 'short', '../../../etc/passwd', '..%2f..%2fetc', 'a'.repeat(23), 'AAAAAAAAAAAAAAAAAAAA.json']) {
      expect((await store.get(bad, T0)).state).toBe('missing');
      expect(await store.delete(bad, newToken())).toBe('missing');
    }
  });

  it('deletes only with the right token', async () => {
    const token = newToken();
    const meta = await store.put('{"a":1}', { tokenHash: hashToken(token), origin: 'share', now: T0, ttlMs: HOUR });
    expect(await store.delete(meta.id, newToken())).toBe('forbidden');
    expect(await store.delete(meta.id, '')).toBe('forbidden');
    expect(await store.delete(meta.id, `${token}x`)).toBe('forbidden');
    expect((await store.get(meta.id, T0)).state).toBe('found');
    expect(await store.delete(meta.id, token)).toBe('deleted');
    expect((await store.get(meta.id, T0)).state).toBe('missing');
    expect(await store.delete(meta.id, token)).toBe('missing');
  });

  it('sweeps exactly the expired reports', async () => {
    const short = await store.put('{"s":1}', { tokenHash: hashToken(newToken()), origin: 'share', now: T0, ttlMs: HOUR });
    const long = await store.put('{"l":1}', { tokenHash: hashToken(newToken()), origin: 'analysis', now: T0, ttlMs: 48 * HOUR });
    expect(await store.sweep(T0 + HOUR - 1)).toBe(0);
    expect(await store.sweep(T0 + HOUR)).toBe(1);
    expect((await store.get(short.id, T0)).state).toBe('missing');
    expect((await store.get(long.id, T0 + HOUR)).state).toBe('found');
    expect(await store.sweep(T0 + 48 * HOUR)).toBe(1);
    expect((await store.get(long.id, T0)).state).toBe('missing');
  });
});

describe('FsReportStore on disk', () => {
  it('keeps two files per report, no temp files, and the sweep removes both', async () => {
    const dir = join(tmp.dir, 'disk');
    const store = new FsReportStore(dir);
    await store.init();
    const token = newToken();
    const meta = await store.put('{"x":1}', { tokenHash: hashToken(token), origin: 'share', now: T0, ttlMs: HOUR });
    expect(readdirSync(dir).sort()).toEqual([`${meta.id}.json`, `${meta.id}.meta.json`]);
    // Only a hash of the token is on disk.
    const onDisk = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(onDisk).not.toContain(token);
    expect(onDisk).toContain(hashToken(token));
    await store.sweep(T0 + HOUR);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes debris of interrupted writes once it is old, and only then', async () => {
    const dir = join(tmp.dir, 'debris');
    const store = new FsReportStore(dir);
    await store.init();
    const orphan = join(dir, `${newId()}.json`);
    const temp = join(dir, '.tmp-abc.json.123');
    writeFileSync(orphan, '{}');
    writeFileSync(temp, '{');
    const now = Date.now();
    await store.sweep(now);
    expect(existsSync(orphan) && existsSync(temp)).toBe(true);
    const old = new Date(now - 2 * HOUR);
    utimesSync(orphan, old, old);
    utimesSync(temp, old, old);
    await store.sweep(now);
    expect(existsSync(orphan) || existsSync(temp)).toBe(false);
  });
});
