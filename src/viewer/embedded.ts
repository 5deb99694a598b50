import { parseReport, type ValidationResult } from '../../worker/index.js';

export const REPORT_BLOCK_ID = 'pcap-report';

export function readEmbeddedReport(text: string | null): ValidationResult {
  if (text === null) return { ok: false, error: 'this file has no embedded report' };
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'null') return { ok: false, error: 'this is the empty viewer template: no report is embedded in it' };
  return parseReport(trimmed);
}
