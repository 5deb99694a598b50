/**
 * Thin wrappers around tshark/capinfos for tests that compare fixtures (or the analyzer) against
 * Wireshark. Tests must guard with `hasTshark()` so they skip cleanly on machines without Wireshark.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cached: boolean | undefined;

export function hasTshark(): boolean {
  if (cached === undefined) {
    const r = spawnSync('tshark', ['--version'], { stdio: 'ignore' });
    cached = r.status === 0;
  }
  return cached;
}

/** Checksum validation is off by default in Wireshark; fixtures claim correct checksums, so turn it on. */
export const CHECKSUM_PREFS = [
  'ip.check_checksum:TRUE',
  'tcp.check_checksum:TRUE',
  'udp.check_checksum:TRUE',
  'eth.check_fcs:TRUE',
] as const;

/** Expert severities as tshark prints `_ws.expert.severity` (PI_CHAT … PI_ERROR). */
export const SEVERITY = { chat: 0x00200000, note: 0x00400000, warn: 0x00600000, error: 0x00800000 } as const;

export interface TsharkOptions {
  prefs?: readonly string[];
  /** Display filter (-Y). */
  filter?: string;
  /** Two-pass analysis (-2), needed when a field depends on later packets. */
  twoPass?: boolean;
  /**
   * Use names from the file's Name Resolution Blocks (external resolvers stay off so a test never
   * waits on DNS). NRBs after the packets only apply with twoPass.
   */
  resolveNames?: boolean;
  /** Joins multiple occurrences of a field within one frame; default ','. */
  aggregator?: string;
}

/**
 * One row per frame, one string per requested field ('' when absent; multiple occurrences are
 * comma-joined, tshark's default aggregator).
 */
export function tsharkFields(file: string, fields: readonly string[], opts: TsharkOptions = {}): string[][] {
  const resolve = opts.resolveNames ? ['-N', 'n', '-o', 'nameres.use_external_name_resolver:FALSE'] : ['-n'];
  const args = [...resolve, '-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', `aggregator=${opts.aggregator ?? ','}`];
  for (const p of opts.prefs ?? CHECKSUM_PREFS) args.push('-o', p);
  if (opts.filter) args.push('-Y', opts.filter);
  if (opts.twoPass) args.push('-2');
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

export interface ExpertItem {
  frame: number;
  severity: number;
  message: string;
}

/** Every expert-info item tshark raises, plus a pseudo item per frame marked malformed. */
export function tsharkExpert(file: string, opts: TsharkOptions = {}): ExpertItem[] {
  // Expert messages contain commas, so join occurrences with a control character instead.
  const sep = '\u001f';
  const fields = ['frame.number', '_ws.expert.severity', '_ws.expert.message', '_ws.malformed'];
  const rows = tsharkFields(file, fields, { ...opts, aggregator: sep });
  const items: ExpertItem[] = [];
  for (const [frame, sev, msg, malformed] of rows) {
    const sevs = sev ? sev.split(sep).map(Number) : [];
    const msgs = msg ? msg.split(sep) : [];
    sevs.forEach((s, i) => items.push({ frame: Number(frame), severity: s, message: msgs[i] ?? '' }));
    if (malformed) items.push({ frame: Number(frame), severity: SEVERITY.error, message: `Malformed: ${malformed}` });
  }
  return items;
}

/** Expert items at warning level or above: "Bad checksum", "Malformed", length errors… */
export function tsharkProblems(file: string, opts: TsharkOptions = {}): ExpertItem[] {
  return tsharkExpert(file, opts).filter((e) => e.severity >= SEVERITY.warn);
}

/** capinfos in table mode (-T) with the given flags, as a header → value map. */
export function capinfos(file: string, flags: readonly string[] = ['-t', '-E', '-c', '-M']): Record<string, string> {
  const out = execFileSync('capinfos', ['-T', ...flags, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [head, row] = out.split('\n');
  const keys = head.split('\t');
  const values = row.split('\t');
  return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? '']));
}

/** Full capinfos report (section/interface details that table mode leaves out). */
export function capinfosText(file: string): string {
  return execFileSync('capinfos', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A temp directory for fixture files; call the returned cleanup in afterAll. */
export function tempDir(prefix = 'pcap-fixture-'): { dir: string; write(name: string, data: Uint8Array): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write(name, data) {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
