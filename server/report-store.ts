import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readJson, TMP_PREFIX, writeFileAtomic } from './atomic.js';
import { isId, newId, tokenMatches } from './ids.js';

/**
 * Where reports live (shared ones and those of server-side analyses). Routes only see this
 * interface, so a multi-replica deployment can put reports in an object store or a database by
 * writing one more implementation; `test/server/report-store.test.ts` runs the same suite against
 * every implementation.
 *
 * Reports are stored as the exact JSON text to serve. A delete token is never stored, only its
 * SHA-256 (`tokenHash`), compared in constant time.
 */
export interface ReportMeta {
  id: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  expiresAt: number;
  origin: 'share' | 'analysis';
  bytes: number;
  tokenHash: string;
}

export type ReportLookup =
  | { state: 'found'; meta: ReportMeta; body: string | ReadableStream<Uint8Array> }
  | { state: 'expired'; meta: ReportMeta }
  | { state: 'missing' };

export interface PutOptions {
  /** Use this id (server-side analyses announce theirs at upload time); a new one otherwise. */
  id?: string;
  tokenHash: string;
  origin: ReportMeta['origin'];
  now: number;
  ttlMs: number;
}

export interface ReportStore {
  put(json: string, options: PutOptions): Promise<ReportMeta>;
  get(id: string, now: number): Promise<ReportLookup>;
  /** `forbidden` when the token does not match; expired reports can still be deleted. */
  delete(id: string, token: string): Promise<'deleted' | 'missing' | 'forbidden'>;
  /** Removes reports whose expiry has passed (and any debris of interrupted writes). Returns how many reports went. */
  sweep(now: number): Promise<number>;
}

function checkPut(json: string, o: PutOptions): string {
  const id = o.id ?? newId();
  if (!isId(id)) throw new Error('invalid report id');
  if (!/^[0-9a-f]{64}$/.test(o.tokenHash)) throw new Error('invalid token hash');
  if (json.length === 0) throw new Error('empty report');
  return id;
}

function isMeta(x: unknown, id: string): x is ReportMeta {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  return (
    m.id === id &&
    typeof m.createdAt === 'number' &&
    typeof m.expiresAt === 'number' &&
    (m.origin === 'share' || m.origin === 'analysis') &&
    typeof m.bytes === 'number' &&
    typeof m.tokenHash === 'string'
  );
}

/** In-process store (tests; a single short-lived process). */
export class MemoryReportStore implements ReportStore {
  private readonly reports = new Map<string, { meta: ReportMeta; json: string }>();

  async put(json: string, o: PutOptions): Promise<ReportMeta> {
    const id = checkPut(json, o);
    if (this.reports.has(id)) throw new Error('report id already in use');
    const meta: ReportMeta = { id, createdAt: o.now, expiresAt: o.now + o.ttlMs, origin: o.origin, bytes: Buffer.byteLength(json), tokenHash: o.tokenHash };
    this.reports.set(id, { meta, json });
    return { ...meta };
  }

  async get(id: string, now: number): Promise<ReportLookup> {
    const r = isId(id) ? this.reports.get(id) : undefined;
    if (!r) return { state: 'missing' };
    if (now >= r.meta.expiresAt) return { state: 'expired', meta: { ...r.meta } };
    return { state: 'found', meta: { ...r.meta }, body: r.json };
  }

  async delete(id: string, token: string): Promise<'deleted' | 'missing' | 'forbidden'> {
    const r = isId(id) ? this.reports.get(id) : undefined;
    if (!r) return 'missing';
    if (!tokenMatches(token, r.meta.tokenHash)) return 'forbidden';
    this.reports.delete(id);
    return 'deleted';
  }

  async sweep(now: number): Promise<number> {
    let n = 0;
    for (const [id, r] of this.reports) {
      if (now >= r.meta.expiresAt) {
        this.reports.delete(id);
        n++;
      }
    }
    return n;
  }
}

/**
 * One directory, two files per report: `<id>.json` (the report) and `<id>.meta.json` (expiry, origin,
 * token hash). Each is written atomically and the meta file is written last, so it is the commit
 * marker: a report without meta is debris of an interrupted write and the sweep removes it.
 */
export class FsReportStore implements ReportStore {
  /** Debris (temp files, a report without meta) younger than this may belong to a write in progress. */
  static readonly DEBRIS_GRACE_MS = 60 * 60_000;

  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private reportPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private metaPath(id: string): string {
    return join(this.dir, `${id}.meta.json`);
  }

  private async meta(id: string): Promise<ReportMeta | null> {
    const m = await readJson(this.metaPath(id));
    return isMeta(m, id) ? m : null;
  }

  async put(json: string, o: PutOptions): Promise<ReportMeta> {
    const id = checkPut(json, o);
    if (await this.meta(id)) throw new Error('report id already in use');
    const meta: ReportMeta = { id, createdAt: o.now, expiresAt: o.now + o.ttlMs, origin: o.origin, bytes: Buffer.byteLength(json), tokenHash: o.tokenHash };
    await writeFileAtomic(this.reportPath(id), json);
    await writeFileAtomic(this.metaPath(id), JSON.stringify(meta));
    return { ...meta };
  }

  async get(id: string, now: number): Promise<ReportLookup> {
    if (!isId(id)) return { state: 'missing' };
    const meta = await this.meta(id);
    if (!meta) return { state: 'missing' };
    if (now >= meta.expiresAt) return { state: 'expired', meta };
    let fh;
    try {
      fh = await open(this.reportPath(id), 'r');
    } catch {
      return { state: 'missing' };
    }
    // Streamed from the open descriptor: a concurrent delete cannot cut the response short.
    const stream = createReadStream('', { fd: fh, highWaterMark: 256 * 1024 });
    return { state: 'found', meta, body: Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array> };
  }

  async delete(id: string, token: string): Promise<'deleted' | 'missing' | 'forbidden'> {
    if (!isId(id)) return 'missing';
    const meta = await this.meta(id);
    if (!meta) return 'missing';
    if (!tokenMatches(token, meta.tokenHash)) return 'forbidden';
    await this.remove(id);
    return 'deleted';
  }

  private async remove(id: string): Promise<void> {
    // Meta first: once it is gone the report is invisible, whatever happens next.
    await rm(this.metaPath(id), { force: true });
    await rm(this.reportPath(id), { force: true });
  }

  async sweep(now: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    const metas = new Set(names.filter((n) => n.endsWith('.meta.json')).map((n) => n.slice(0, -'.meta.json'.length)));
    for (const id of metas) {
      if (!isId(id)) continue;
      const meta = await this.meta(id);
      if (meta && now < meta.expiresAt) continue;
      if (!meta) {
        // Unreadable meta: treat like debris, by age.
        if (!(await olderThan(this.metaPath(id), now, FsReportStore.DEBRIS_GRACE_MS))) continue;
      }
      await this.remove(id);
      removed++;
    }
    for (const name of names) {
      const debris =
        name.startsWith(TMP_PREFIX) || (name.endsWith('.json') && !name.endsWith('.meta.json') && !metas.has(name.slice(0, -'.json'.length)));
      if (debris && (await olderThan(join(this.dir, name), now, FsReportStore.DEBRIS_GRACE_MS))) {
        await rm(join(this.dir, name), { force: true });
      }
    }
    return removed;
  }
}

async function olderThan(path: string, now: number, ms: number): Promise<boolean> {
  try {
    return now - (await stat(path)).mtimeMs > ms;
  } catch {
    return false;
  }
}
