import * as v from 'valibot';
import { MAX_REPORT_BYTES, reportSchema, SCHEMA_VERSION, type Report } from './schema.js';
import { migrate } from './migrations.js';

export type ValidationResult = { ok: true; report: Report; migratedFrom: number | null } | { ok: false; error: string };

/**
 * Validates a report that crossed a trust boundary (shared report upload, IndexedDB entry written by
 * an older version, a report file opened by a user). Older schema versions are migrated step by step;
 * newer ones are refused with a clear message.
 */
export function validateReport(input: unknown): ValidationResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: 'a report must be a JSON object' };
  const version = (input as { schemaVersion?: unknown }).schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version)) return { ok: false, error: 'schemaVersion is missing or not an integer' };
  if (version > SCHEMA_VERSION) {
    return { ok: false, error: `report schema version ${version} is newer than this app understands (${SCHEMA_VERSION}); update pcap-analyzer` };
  }
  let candidate: unknown = input;
  let migratedFrom: number | null = null;
  if (version < SCHEMA_VERSION) {
    const m = migrate(input, version);
    if (!m.ok) return m;
    candidate = m.report;
    migratedFrom = version;
  }
  const r = v.safeParse(reportSchema, candidate);
  if (!r.success) {
    const first = r.issues.slice(0, 5).map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`);
    return { ok: false, error: `invalid report: ${first.join('; ')}${r.issues.length > 5 ? ` (+${r.issues.length - 5} more)` : ''}` };
  }
  return { ok: true, report: r.output, migratedFrom };
}

/** Parses and validates report JSON text, refusing oversized input before parsing it. */
export function parseReport(json: string): ValidationResult {
  if (json.length > MAX_REPORT_BYTES) return { ok: false, error: `report is larger than ${MAX_REPORT_BYTES} bytes` };
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    return { ok: false, error: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  return validateReport(data);
}
