import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import {
  analyzeCapture,
  DEFAULT_INTERNAL_RANGES,
  parseCidr,
  resolveSecurityThresholds,
  SECURITY_THRESHOLDS,
  summarizeCapture,
  THRESHOLDS,
  visibleText,
  type CaptureSummary,
  type Progress,
  type Report,
  type SecurityOptions,
} from '../worker/index.js';
import { embedReport } from '../worker/report/standalone.js';
import { fileSource } from './file-source.js';

const USAGE = `Usage:
  pcap-analyzer info FILE [--json]
      capture summary (like capinfos) and protocol hierarchy
  pcap-analyzer analyze FILE [--json OUT] [--html OUT] [--threshold NAME=VALUE ...]
                            [--internal CIDR ...] [--no-security] [--quiet]
      full diagnosis: prints the health score, top findings and key numbers; writes the JSON
      report to OUT ("-" for stdout, which then gets no text summary) and/or the report as one
      self-contained HTML file that opens offline (the same file the web app exports)
      --threshold   a diagnosis or security-detector threshold (names and defaults:
                    README "Command line", docs/security-detectors.md); repeatable
      --internal    an address range that counts as internal for the security detectors,
                    replacing the defaults (RFC 1918/4193, loopback, link-local, CGNAT); repeatable
      --no-security skip the security detectors

FILE may be pcap or pcapng, optionally gzip-compressed.
Exit status: 0 read cleanly, 1 read with errors (partial results), 2 unreadable input or bad usage.`;

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (command === 'info') return info(rest, out, err);
  if (command === 'analyze') return analyze(rest, out, err);
  err.write(`pcap-analyzer: unknown command "${visibleText(command, 40)}"\n${USAGE}\n`);
  return 2;
}

async function info(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const cmd = parseCommand('info', args, { json: { type: 'boolean', default: false } }, err);
  if (!cmd) return 2;
  const { values, file } = cmd;
  const src = await openCapture(file, err);
  if (!src) return 2;
  const summary = await summarizeCapture(src.source, { totalBytes: src.size });
  const status = exitStatus(summary);
  if (status === 2) return unreadable(file, summary, err);
  if (values.json) out.write(`${terminalSafeJson(summary, 2)}\n`);
  else out.write(formatSummary(file, summary));
  return status;
}

type OptionSpec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** Parses `command`'s options and its single capture-file argument, or says why not (exit 2). */
function parseCommand(command: string, args: string[], options: OptionSpec, err: NodeJS.WritableStream): { values: Record<string, unknown>; file: string } | null {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options });
  } catch (e) {
    err.write(`pcap-analyzer ${command}: ${e instanceof Error ? e.message : String(e)}\n`);
    return null;
  }
  const file = parsed.positionals[0];
  if (!file || parsed.positionals.length > 1) {
    err.write(`pcap-analyzer ${command}: expected exactly one capture file\n`);
    return null;
  }
  return { values: parsed.values, file };
}

async function openCapture(file: string, err: NodeJS.WritableStream): Promise<Awaited<ReturnType<typeof fileSource>> | null> {
  try {
    return await fileSource(file);
  } catch (e) {
    err.write(`pcap-analyzer: cannot open ${visibleText(file, 200)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return null;
  }
}

function unreadable(file: string, summary: CaptureSummary, err: NodeJS.WritableStream): number {
  const reason = summary.warnings.find((w) => w.severity === 'error');
  err.write(`pcap-analyzer: ${visibleText(file, 200)}: ${reason ? reason.message : 'unreadable'}\n`);
  return 2;
}

/** 2 when nothing could be read as a capture, 1 when reading stopped or hit errors part-way. */
export function exitStatus(s: CaptureSummary): number {
  const errors = s.warnings.filter((w) => w.severity === 'error');
  if (errors.length === 0) return 0;
  return s.format === 'unknown' ? 2 : 1;
}

function formatSummary(file: string, s: CaptureSummary): string {
  const rows: Array<[string, string]> = [];
  const n = (x: number) => x.toLocaleString('en-US');
  rows.push(['File', visibleText(file, 200)]);
  rows.push(['Format', `${s.format} ${s.formatVersion} (${s.byteOrder}${s.sections > 1 ? `, ${s.sections} sections` : ''})`]);
  rows.push(['Compression', s.compression ?? 'none']);
  rows.push(['Size', `${n(s.fileBytes)} bytes${s.compression ? ` (${n(s.captureStreamBytes)} uncompressed)` : ''}`]);
  for (const i of s.interfaces) {
    const label = [i.name, i.description].filter(Boolean).map((t) => visibleText(String(t), 80)).join(' — ');
    rows.push([
      `Interface #${i.id}`,
      `${i.linkTypeName} (${i.linkType}${i.linkTypeField !== undefined ? `, field 0x${i.linkTypeField.toString(16)}` : ''}), snaplen ${i.snaplen}, ` +
        `timestamps ${i.timestampResolution} s${i.timestampOffsetSeconds ? ` +${i.timestampOffsetSeconds} s` : ''}, ${n(i.packets)} packets${label ? `, ${label}` : ''}`,
    ]);
  }
  rows.push(['Packets', n(s.packets)]);
  rows.push(['Captured bytes', n(s.capturedBytes)]);
  rows.push(['Wire bytes', n(s.wireBytes)]);
  rows.push(['Truncated packets', n(s.truncatedPackets)]);
  rows.push(['First packet', s.firstTimestamp ?? 'n/a']);
  rows.push(['Last packet', s.lastTimestamp ?? 'n/a']);
  rows.push(['Duration', `${s.durationSeconds} s`]);
  rows.push(['Average packet size', `${s.averagePacketBytes} bytes`]);
  rows.push(['Average rate', `${n(s.packetsPerSecond)} packets/s, ${formatBits(s.bitsPerSecond)}`]);
  rows.push(['Strict time order', s.strictTimeOrder ? 'yes' : 'no']);
  rows.push(['Protocols', Object.entries(s.protocols).map(([k, v]) => `${k} ${n(v)}`).join(' · ') || 'none']);
  const und = Object.entries(s.undecoded);
  if (und.length) rows.push(['Not decoded to L4', und.map(([k, v]) => `${k}: ${n(v)}`).join('; ')]);
  for (const c of s.comments.slice(0, 20)) rows.push([`Comment (${c.block}${c.packet ? ` #${c.packet}` : ''})`, visibleText(c.text, 300)]);
  for (const w of s.warnings) rows.push([w.severity === 'error' ? 'Error' : 'Warning', `${w.message}${w.count && w.count > 1 ? ` (×${w.count})` : ''}`]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return `${rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n')}\n`;
}

function formatBits(bps: number): string {
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(2)} Gbit/s`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(2)} kbit/s`;
  return `${bps.toFixed(0)} bit/s`;
}

/**
 * JSON for a terminal: the same document once parsed, but invisible and bidi-reordering characters from
 * packet-derived text are written as \u escapes so they cannot disguise what a terminal shows.
 */
export function terminalSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

async function analyze(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const cmd = parseCommand(
    'analyze',
    args,
    {
      json: { type: 'string' },
      html: { type: 'string' },
      threshold: { type: 'string', multiple: true, default: [] },
      internal: { type: 'string', multiple: true, default: [] },
      'no-security': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
    err,
  );
  if (!cmd) return 2;
  const { file } = cmd;
  const opts = cmd.values as { json?: string; html?: string; threshold?: string[]; internal?: string[]; 'no-security'?: boolean; quiet?: boolean };
  const options = analysisOptions(opts.threshold ?? [], opts.internal ?? [], opts['no-security'] === true, err);
  if (!options) return 2;
  const { thresholds, security } = options;
  const src = await openCapture(file, err);
  if (!src) return 2;
  const tty = (err as NodeJS.WriteStream).isTTY === true && !opts.quiet;
  const report = await analyzeCapture(src.source, {
    totalBytes: src.size,
    fileName: basename(file),
    thresholds,
    security,
    onProgress: tty ? (p) => err.write(`\r${progressLine(p)}\u001b[K`) : undefined,
    progressIntervalMs: 250,
  });
  if (tty) err.write('\r\u001b[K');
  const status = exitStatus(report.summary);
  if (status === 2) return unreadable(file, report.summary, err);
  const json = `${terminalSafeJson(report)}\n`;
  if (opts.json === '-') {
    out.write(json);
    return status;
  }
  if (opts.json) await writeFile(opts.json, json);
  if (opts.html) {
    const template = viewerTemplate();
    if (!template) {
      err.write('pcap-analyzer analyze: the report viewer is not built (run npm run build), so --html cannot be written\n');
      return 2;
    }
    await writeFile(opts.html, embedReport(await readFile(template, 'utf8'), report));
  }
  if (!opts.quiet) out.write(formatReport(file, report));
  return status;
}

/** Thresholds and security options from the command line, or null after saying what is wrong. */
function analysisOptions(
  thresholdArgs: string[],
  internal: string[],
  noSecurity: boolean,
  err: NodeJS.WritableStream,
): { thresholds: Record<string, number>; security: SecurityOptions | false } | null {
  const thresholds: Record<string, number> = {};
  const securityThresholds: Record<string, number> = {};
  for (const t of thresholdArgs) {
    const m = /^([A-Za-z]+)=([0-9.eE+-]+)$/.exec(t);
    const value = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(value) || value < 0 || !(m[1] in THRESHOLDS || m[1] in SECURITY_THRESHOLDS)) {
      err.write(
        `pcap-analyzer analyze: bad --threshold "${visibleText(t, 80)}"; known: ${Object.keys(THRESHOLDS).join(', ')}; ` +
          `security: ${Object.keys(SECURITY_THRESHOLDS).join(', ')}\n`,
      );
      return null;
    }
    if (m[1] in THRESHOLDS) thresholds[m[1]] = value;
    else securityThresholds[m[1]] = value;
  }
  try {
    resolveSecurityThresholds(securityThresholds);
    for (const range of internal) parseCidr(range);
  } catch (e) {
    err.write(`pcap-analyzer analyze: ${visibleText(e instanceof Error ? e.message : String(e), 400)}\n`);
    return null;
  }
  if (noSecurity) {
    if (internal.length > 0 || Object.keys(securityThresholds).length > 0) {
      err.write('pcap-analyzer analyze: --no-security cannot be combined with --internal or security thresholds\n');
      return null;
    }
    return { thresholds, security: false };
  }
  return { thresholds, security: { thresholds: securityThresholds, internalRanges: internal.length > 0 ? internal : DEFAULT_INTERNAL_RANGES } };
}

function progressLine(p: Progress): string {
  const pct = p.totalBytes > 0 ? `${Math.min(100, (p.sourceBytes / p.totalBytes) * 100).toFixed(0)}% ` : '';
  const mbs = p.elapsedMs > 0 ? (p.sourceBytes / 1e6 / (p.elapsedMs / 1000)).toFixed(0) : '0';
  return `analysing… ${pct}${(p.sourceBytes / 1e6).toFixed(0)} MB, ${p.packets.toLocaleString('en-US')} packets, ${mbs} MB/s`;
}

const ICON = { critical: 'CRIT', warning: 'WARN', info: 'info' } as const;

function formatReport(file: string, r: Report): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const ms = (s: number | null) => (s === null ? 'n/a' : s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`);
  const s = r.summary;
  const lines: string[] = [];
  lines.push(`${visibleText(file, 200)} — ${n(s.packets)} packets, ${s.durationSeconds.toFixed(3)} s, ${s.format}${s.compression ? ' (gzip)' : ''}`);
  lines.push(`Health: ${r.health.score}/100 (${r.health.grade})`);
  lines.push('');
  if (r.findings.length === 0) lines.push('No problems found.');
  else lines.push('Findings:');
  for (const f of r.findings.slice(0, 10)) {
    lines.push(`  [${ICON[f.severity]}] ${visibleText(f.title, 300)}`);
    lines.push(`         ${visibleText(f.detail, 400)}`);
    lines.push(`         Wireshark: ${visibleText(f.evidence.filter, 300)}`);
  }
  if (r.findings.length > 10) lines.push(`  … and ${r.findings.length - 10} more in the JSON report`);
  lines.push('');
  const t = r.tcp.totals;
  lines.push('Key numbers:');
  lines.push(
    `  TCP   ${n(r.conversations.totals.tcp)} connections; ${n(t.retransmission)} retransmissions (${n(t.fast_retransmission)} fast, ${n(t.spurious_retransmission)} spurious), ` +
      `${n(t.duplicate_ack)} duplicate ACKs, ${n(t.zero_window)} zero windows, ${n(t.rst)} resets`,
  );
  lines.push(`  RTT   handshake median ${ms(r.tcp.rtt.irtt.median)}, p95 ${ms(r.tcp.rtt.irtt.p95)}; ACK RTT median ${ms(r.tcp.rtt.ack.median)}`);
  if (r.dns.queries > 0) {
    lines.push(
      `  DNS   ${n(r.dns.queries)} queries, ${n(r.dns.unanswered)} unanswered, ${n(r.dns.errorResponses)} errors, response time median ${ms(r.dns.responseTime.median)}, p95 ${ms(r.dns.responseTime.p95)}`,
    );
  }
  lines.push(`  UDP   ${n(r.conversations.totals.udp)} flows${r.udp.flows.items.length ? `; worst jitter ${r.udp.flows.items[0].jitterMs.toFixed(1)} ms` : ''}`);
  if (r.icmp.messages > 0) lines.push(`  ICMP  ${n(r.icmp.messages)} messages, ${n(r.icmp.unreachable.items.length + r.icmp.unreachable.omitted)} unreachable`);
  const detections = r.security?.detections.items.length ?? 0;
  if (detections > 0) lines.push(`  Security  ${n(detections)} detection${detections > 1 ? 's' : ''}`);
  for (const w of s.warnings.filter((x) => x.severity === 'error')) lines.push(`Error: ${visibleText(w.message, 400)}`);
  return `${lines.join('\n')}\n`;
}

/** The standalone viewer built by `vite build`, next to the bundled CLI or in the source tree's dist/. */
function viewerTemplate(): string | null {
  for (const rel of ['../app/viewer/report.html', '../dist/app/viewer/report.html']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  return null;
}
