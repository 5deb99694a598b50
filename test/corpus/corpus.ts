import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The shared capture corpus with tshark 4.0.17 reference figures. Tests read it in place (never copy
 * it into the repository); its location comes from PCAP_CORPUS, default ../shared/captures.
 */
export const CORPUS_DIR = resolve(process.env.PCAP_CORPUS ?? join(process.cwd(), '..', 'shared', 'captures'));
export const CORPUS_PRESENT = existsSync(join(CORPUS_DIR, 'MANIFEST.tsv'));

export function corpusAbsentMessage(): string {
  return `capture corpus not found at ${CORPUS_DIR} (set PCAP_CORPUS to its folder): corpus conformance tests are skipped`;
}

export interface ManifestEntry {
  path: string;
  bytes: number;
  format: string;
  linktypes: string;
  packets: number | 'malformed';
  what: string;
  malformedKind: 'container' | 'record' | 'packet' | null;
}

export function manifest(): ManifestEntry[] {
  const lines = readFileSync(join(CORPUS_DIR, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [path, , , bytes, format, linktypes, packets, what] = line.split('\t');
    const m = /^MALFORMED\((container|record|packet)\)/.exec(what);
    return {
      path,
      bytes: Number(bytes),
      format,
      linktypes,
      packets: packets === 'malformed' ? 'malformed' : Number(packets),
      what,
      malformedKind: (m?.[1] as ManifestEntry['malformedKind']) ?? null,
    };
  });
}

export function capturePath(entry: { path: string }): string {
  return join(CORPUS_DIR, entry.path);
}

/** The tshark/capinfos reference for a capture, or null when tshark could not read it. */
export function reference(entry: { path: string }): Reference | null {
  const file = join(CORPUS_DIR, 'reference', `${entry.path}.json`);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as Reference;
}

export function errorReference(entry: { path: string }): string | null {
  const file = join(CORPUS_DIR, 'reference', `${entry.path}.error.txt`);
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

export interface Reference {
  status: string;
  container: {
    format: string;
    byte_order: string;
    ts_precision?: string;
    records?: number;
    uncompressed_bytes: number;
    snaplen?: number;
    linktypes?: number[];
  } | null;
  capinfos: {
    packets: number;
    data_size_bytes: number;
    file_size_bytes: number;
    first_packet_time_epoch: string | null;
    last_packet_time_epoch: string | null;
    duration_s: string | null;
    strict_time_order: boolean | string;
    timestamp_precision: string;
  } | null;
  tshark_frames: number;
  protocol_hierarchy: { frames_by_protocol: Record<string, number> };
  conversations: { tcp: number; udp: number };
  endpoints: { ipv4: number; ipv6: number };
  tcp_analysis: Record<string, number>;
  tcp_flags: Record<string, number>;
  icmp: Record<string, number>;
  ip_fragments: Record<string, number>;
  frames_with: Record<string, number>;
  dns: { queries: number; responses: number; error_responses: number; time: { count: number; mean_s: number | null; max_s: number | null } };
}
