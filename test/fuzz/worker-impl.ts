/**
 * What the fuzz worker thread runs: the engine on one input (in several chunkings), or the DNS name
 * reader on one message. It lives in a worker so the main thread can give up on it: an engine stuck in
 * a synchronous loop would otherwise also block the timer meant to detect it.
 */
import { readDnsName, skipDnsName, type NameResult } from '../../worker/decode/dns.js';
import { analyzeCapture, summarizeCapture, validateReport, type CaptureSummary } from '../../worker/index.js';
import { chunked } from '../engine/chunks.js';

export type FuzzRequest =
  | { id: number; kind: 'capture'; bytes: Uint8Array; chunkings: number[][] }
  | { id: number; kind: 'dns'; bytes: Uint8Array; msgOff: number; msgLen: number; nameOff: number };

export type FuzzReply =
  | { id: number; ok: true; kind: 'capture'; summaries: CaptureSummary[]; report: ReportCheck }
  | { id: number; ok: true; kind: 'dns'; read: NameResult; skip: number }
  | { id: number; ok: false; error: string };

/** What the full analysis of the input gave: the validator's verdict on the report, its size, internal errors. */
export interface ReportCheck {
  invalid: string | null;
  jsonBytes: number;
  internalErrors: string[];
}

async function checkReport(bytes: Uint8Array): Promise<ReportCheck> {
  const report = await analyzeCapture([bytes], { totalBytes: bytes.length });
  const json = JSON.stringify(report);
  const checked = validateReport(JSON.parse(json));
  return {
    invalid: checked.ok ? null : checked.error,
    jsonBytes: json.length,
    internalErrors: report.summary.warnings.filter((w) => w.code === 'internal-error').map((w) => w.message),
  };
}

export async function handle(req: FuzzRequest): Promise<FuzzReply> {
  try {
    if (req.kind === 'dns') {
      const read = readDnsName(req.bytes, req.msgOff, req.msgLen, req.nameOff);
      const skip = skipDnsName(req.bytes, req.msgOff, req.msgLen, req.nameOff);
      return { id: req.id, ok: true, kind: 'dns', read, skip };
    }
    const summaries: CaptureSummary[] = [];
    // totalBytes as every host passes it (the file size): without it `fileBytes` is what was taken from
    // the source before reading stopped, which depends on the chunking.
    for (const sizes of req.chunkings) summaries.push(await summarizeCapture(chunked(req.bytes, sizes), { totalBytes: req.bytes.length }));
    return { id: req.id, ok: true, kind: 'capture', summaries, report: await checkReport(req.bytes) };
  } catch (e) {
    return { id: req.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}
