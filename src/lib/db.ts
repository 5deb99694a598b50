/**
 * History and report cache in IndexedDB. Each analysed capture is remembered under the fingerprint
 * of its file (size + SHA-256 of sampled bytes, computed in the worker). History entries are small
 * (name, date, score) and listed without loading reports; reports are read on demand and validated
 * again (an entry may have been written by an older version of the app, or tampered with).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { validateReport, type Report } from '../../worker/index.js';

export interface ShareRecord {
  id: string;
  url: string;
  expiresAt: string;
  deleteToken: string;
  redaction: { addresses: boolean; dnsNames: boolean; comments: boolean };
}

export interface HistoryEntry {
  fingerprint: string;
  /** File name as picked (display through visibleText). */
  name: string;
  size: number;
  /** When it was analysed (ms since the epoch). */
  analyzedAt: number;
  /** When it was last opened (ms since the epoch): the list's order. */
  openedAt: number;
  score: number;
  grade: string;
  packets: number;
  schemaVersion: number;
  /** Where the analysis ran. */
  origin: 'browser' | 'server' | 'file';
  shares: ShareRecord[];
}

interface Schema extends DBSchema {
  history: { key: string; value: HistoryEntry; indexes: { openedAt: number } };
  reports: { key: string; value: { fingerprint: string; report: unknown } };
}

export const DB_NAME = 'pcap-analyzer';
const DB_VERSION = 1;

export type LoadResult =
  | { state: 'found'; report: Report; entry: HistoryEntry; migratedFrom: number | null }
  | { state: 'missing' }
  | { state: 'dropped'; reason: string };

export class ReportCache {
  private db: Promise<IDBPDatabase<Schema>> | null = null;

  constructor(private readonly name = DB_NAME) {}

  private open(): Promise<IDBPDatabase<Schema>> {
    this.db ??= openDB<Schema>(this.name, DB_VERSION, {
      upgrade(db) {
        const h = db.createObjectStore('history', { keyPath: 'fingerprint' });
        h.createIndex('openedAt', 'openedAt');
        db.createObjectStore('reports', { keyPath: 'fingerprint' });
      },
    });
    return this.db;
  }

  async list(): Promise<HistoryEntry[]> {
    const db = await this.open();
    const all = await db.getAllFromIndex('history', 'openedAt');
    return all.reverse();
  }

  async entry(fingerprint: string): Promise<HistoryEntry | undefined> {
    return (await this.open()).get('history', fingerprint);
  }

  async save(fingerprint: string, report: Report, meta: { name: string; size: number; origin: HistoryEntry['origin'] }): Promise<HistoryEntry> {
    const db = await this.open();
    const tx = db.transaction(['history', 'reports'], 'readwrite');
    const previous = await tx.objectStore('history').get(fingerprint);
    const now = Date.now();
    const entry: HistoryEntry = {
      fingerprint,
      name: meta.name,
      size: meta.size,
      analyzedAt: Date.parse(report.analyzedAt) || now,
      openedAt: now,
      score: report.health.score,
      grade: report.health.grade,
      packets: report.summary.packets,
      schemaVersion: report.schemaVersion,
      origin: meta.origin,
      shares: previous?.shares ?? [],
    };
    await Promise.all([tx.objectStore('history').put(entry), tx.objectStore('reports').put({ fingerprint, report }), tx.done]);
    return entry;
  }

  /**
   * Reads a cached report and validates it. An older schema is migrated (and written back); one that
   * cannot be migrated or fails validation is deleted, and the reason returned for a notice.
   */
  async load(fingerprint: string): Promise<LoadResult> {
    const db = await this.open();
    const [entry, stored] = await Promise.all([db.get('history', fingerprint), db.get('reports', fingerprint)]);
    if (!entry || !stored) {
      if (entry || stored) await this.remove(fingerprint);
      return { state: 'missing' };
    }
    const checked = validateReport(stored.report);
    if (!checked.ok) {
      await this.remove(fingerprint);
      return { state: 'dropped', reason: checked.error };
    }
    const touched: HistoryEntry = { ...entry, openedAt: Date.now(), schemaVersion: checked.report.schemaVersion };
    const tx = db.transaction(['history', 'reports'], 'readwrite');
    const writes: Promise<unknown>[] = [tx.objectStore('history').put(touched)];
    if (checked.migratedFrom !== null) writes.push(tx.objectStore('reports').put({ fingerprint, report: checked.report }));
    await Promise.all([...writes, tx.done]);
    return { state: 'found', report: checked.report, entry: touched, migratedFrom: checked.migratedFrom };
  }

  async addShare(fingerprint: string, share: ShareRecord): Promise<void> {
    const db = await this.open();
    const e = await db.get('history', fingerprint);
    if (!e) return;
    await db.put('history', { ...e, shares: [...e.shares.filter((s) => s.id !== share.id), share] });
  }

  async removeShare(fingerprint: string, id: string): Promise<void> {
    const db = await this.open();
    const e = await db.get('history', fingerprint);
    if (!e) return;
    await db.put('history', { ...e, shares: e.shares.filter((s) => s.id !== id) });
  }

  async remove(fingerprint: string): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(['history', 'reports'], 'readwrite');
    await Promise.all([tx.objectStore('history').delete(fingerprint), tx.objectStore('reports').delete(fingerprint), tx.done]);
  }

  async clear(): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(['history', 'reports'], 'readwrite');
    await Promise.all([tx.objectStore('history').clear(), tx.objectStore('reports').clear(), tx.done]);
  }
}

/**
 * Fingerprint of a report opened from a JSON file (no capture bytes to sample): its source and
 * analysis time, which identify one analysis run.
 */
export async function reportFingerprint(report: Report): Promise<string> {
  const key = JSON.stringify([report.source.fileBytes, report.source.fileName, report.analyzedAt, report.summary.firstEpoch, report.summary.packets]);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  return `report-${Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
