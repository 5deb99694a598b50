/**
 * The expected reports: the same engine run in Node, the way the CLI runs it (a file stream through
 * the engine's public entry, `analyzeCapture`).
 */
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { analyzeCapture, type Report, type Thresholds } from '../../worker/index.js';

export async function nodeReport(path: string, thresholds: Partial<Thresholds> = {}): Promise<Report> {
  const size = statSync(path).size;
  const source = createReadStream(path, { highWaterMark: 1 << 20 }) as unknown as AsyncIterable<Uint8Array>;
  return analyzeCapture(source, { totalBytes: size, fileName: basename(path), thresholds });
}

/** A report without the fields that differ between two runs on one file. */
export function comparable(r: Report): Omit<Report, 'analyzedAt' | 'performance'> {
  const { analyzedAt: _a, performance: _p, ...rest } = r;
  return JSON.parse(JSON.stringify(rest)) as Omit<Report, 'analyzedAt' | 'performance'>;
}
