/**
 * The fuzz properties for the capture engine, shared by `fuzz.test.ts` (a short run in `npm test`) and
 * `run.ts` (`npm run fuzz -- --seconds N [--seed S]`, as long as asked).
 *
 * Captures: valid seed files (own fixtures, and small files of the shared corpus when present) are
 * mutated — bit flips, byte overwrites, 32-bit length overwrites (huge values included), truncation,
 * duplication, insertion, optionally gzipped afterwards — and fed to the engine in random chunkings.
 * The engine must always answer (no exception, no hang), within bounds, and give the same summary
 * whatever the chunking; the full analysis of the same input must give a report that passes the
 * report validator, within the report size bound.
 *
 * DNS names: `readDnsName` and `skipDnsName` on arbitrary, pointer-heavy messages must terminate,
 * agree with each other, and never accept a name over 255 bytes of wire data.
 *
 * The engine runs in a worker thread with a watchdog, so a synchronous infinite loop shows up as a
 * failed run naming its input instead of hanging the test run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { MAX_REPORT_BYTES, type CaptureSummary } from '../../worker/index.js';
import { NAME_ERRORS } from '../../worker/decode/dns.js';
import { CORPUS_DIR, CORPUS_PRESENT, manifest } from '../corpus/corpus.js';
import { OPT, PcapngWriter, SECRETS, gzip, tsFrom, utf8, writePcap } from '../helpers/capture-writer.js';
import {
  AF,
  ETHERTYPE,
  IPPROTO,
  concat,
  dnsMessage,
  dnsOverTcp,
  dnsPointer,
  dnsRaw,
  ethernet,
  etherIpv4Tcp,
  filler,
  icmp,
  ipv4,
  ipv4Udp,
  ipv6,
  ipv6Udp,
  linuxSll,
  mpls,
  nullLoopback,
  udp,
} from '../helpers/packet-builder.js';
import { frames, T0 } from '../engine/fixtures.js';
import type { FuzzReply, FuzzRequest } from './worker-impl.js';

// ── the engine in a worker, with a watchdog ────────────────────────────────────────────────────────

export class EngineHangError extends Error {}

type Pending = { resolve: (r: FuzzReply) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> };

export class EngineHost {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Workers started so far (a hang or crash costs one). */
  starts = 0;

  /** `timeoutMs`: how long one input may take before the engine is declared hung. */
  constructor(readonly timeoutMs = 10_000) {}

  private start(): Promise<void> {
    const w = new Worker(new URL('./worker.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 512 } });
    w.unref();
    this.worker = w;
    this.starts++;
    this.ready = new Promise<void>((resolve, reject) => {
      w.on('message', (m: FuzzReply | { ready: true }) => {
        if ('ready' in m) {
          resolve();
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        p.resolve(m);
      });
      w.on('error', (e) => {
        reject(e);
        this.abandon(w, new Error(`the engine worker crashed: ${e.message}`));
      });
      w.on('exit', (code) => {
        reject(new Error(`the engine worker exited with code ${code} before it was ready`));
        this.abandon(w, new Error(`the engine worker exited with code ${code}`));
      });
    });
    return this.ready;
  }

  private abandon(w: Worker, e: Error): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(e);
      this.pending.delete(id);
    }
  }

  async call(req: DistributiveOmit<FuzzRequest, 'id'>): Promise<FuzzReply> {
    if (!this.worker) await this.start();
    else await this.ready;
    const w = this.worker!;
    const id = this.nextId++;
    return new Promise<FuzzReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.abandon(w, new EngineHangError('abandoned'));
        void w.terminate();
        reject(new EngineHangError(`the engine gave no answer within ${this.timeoutMs} ms (hang or runaway work)`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      w.postMessage({ ...req, id });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

// ── seeds ──────────────────────────────────────────────────────────────────────────────────────────

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

/** Own fixtures: every container variant and a spread of decoder paths, a few hundred bytes each. */
export function ownSeeds(): Seed[] {
  const F = frames(6);
  const recs = (data: Uint8Array[], nano = false) => data.map((d, i) => ({ tsSec: T0 + i, tsFrac: nano ? i * 1_000_001 : i * 1001, data: d }));
  const dnsQ = dnsMessage({ id: 7, questions: [{ name: 'fuzz.example.com', type: 28 }] });
  const dnsR = dnsMessage({
    id: 7,
    response: true,
    compress: true,
    questions: [{ name: 'fuzz.example.com', type: 1 }],
    answers: [
      { name: 'fuzz.example.com', type: 5, data: { name: 'alias.fuzz.example.com' } },
      { name: 'alias.fuzz.example.com', type: 1, data: new Uint8Array([192, 0, 2, 7]) },
    ],
  });
  const seg = udp({ srcIp: '198.51.100.53', dstIp: '198.51.100.9', srcPort: 53, dstPort: 41000, payload: concat(dnsR, filler(80)) });
  const frag = (i: number) =>
    ethernet({
      etherType: ETHERTYPE.IPV4,
      payload: ipv4({ src: '198.51.100.53', dst: '198.51.100.9', protocol: IPPROTO.UDP, id: 99, mf: i === 0, fragOffset: i * 64, payload: i === 0 ? seg.subarray(0, 64) : seg.subarray(64) }),
    });
  const tcpDns = dnsOverTcp(dnsQ);
  const decoders = [
    ...F,
    frag(0),
    frag(1),
    ethernet({ etherType: ETHERTYPE.IPV6, vlans: [{ tpid: ETHERTYPE.QINQ, vid: 3 }, { vid: 4 }], payload: ipv6Udp({ src: '2001:db8::1', dst: '2001:db8::53', srcPort: 5353, dstPort: 53, payload: dnsQ }) }),
    ethernet({ etherType: ETHERTYPE.MPLS, payload: mpls([{ label: 1 }, { label: 2 }], ipv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 53, dstPort: 9, payload: dnsR })) }),
    ethernet({
      etherType: ETHERTYPE.IPV6,
      payload: ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: IPPROTO.UDP, extensionHeaders: [{ type: 0 }, { type: 60 }, { type: 44, fragment: { offset: 0, more: true, id: 5 } }], payload: filler(48) }),
    }),
    ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4({ src: '10.0.0.9', dst: '10.0.0.1', protocol: IPPROTO.ICMP, payload: icmp({ type: 3, code: 3, payload: ipv4Udp({ src: '10.0.0.1', dst: '10.0.0.9', srcPort: 1, dstPort: 53, payload: dnsQ }) }) }) }),
    etherIpv4Tcp({ src: '10.0.0.1', dst: '10.0.0.53', srcPort: 40000, dstPort: 53, seq: 1, flags: 'S', options: { mss: 1460, wscale: 7, sackPermitted: true, timestamps: [1, 0] } }),
    etherIpv4Tcp({ src: '10.0.0.1', dst: '10.0.0.53', srcPort: 40000, dstPort: 53, seq: 2, payload: tcpDns.subarray(0, 10), options: { sack: [[1, 2]], timestamps: [2, 1] } }),
    etherIpv4Tcp({ src: '10.0.0.1', dst: '10.0.0.53', srcPort: 40000, dstPort: 53, seq: 12, payload: concat(tcpDns.subarray(10), tcpDns) }),
    ethernet({ etherType: 0x0800, payload: dnsRaw({ id: 1, qdcount: 1, body: concat(dnsPointer(12), new Uint8Array(4)) }) }),
  ];
  const ng = new PcapngWriter().shb({ comment: 'fuzz seed', userappl: 'pcap-analyzer tests' });
  ng.idb({ linkType: 1, name: 'eth0', tsresol: 9, tsoffset: -5n, comment: 'first interface' }).idb({ linkType: 113, snaplen: 128, tsresol: 0x94 });
  ng.nrb([{ type: 1, address: new Uint8Array([10, 0, 0, 53]), names: ['ns.fuzz'] }]);
  F.forEach((d, i) => ng.epb({ iface: 0, ts: tsFrom(T0, i, 1_000_000_000n), data: d, comment: i === 1 ? 'packet comment' : undefined, flags: 1 }));
  ng.epb({ iface: 1, ts: tsFrom(T0, 1, 1n << 20n), data: linuxSll({ protocol: ETHERTYPE.IPV4, payload: ipv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 53, dstPort: 53, payload: dnsQ }) }) });
  ng.spb({ data: F[0] }).opb({ ts: 5n, data: F[1] }).isb({ ts: 6n, ifRecv: 9n }).dsb(SECRETS.TLS_KEY_LOG, utf8('CLIENT_RANDOM 00 00\n'));
  ng.custom({ copyable: true, pen: 32473, data: filler(9) });
  ng.shb({ bigEndian: true }).idb({ linkType: 101, options: [{ code: OPT.if.fcslen, value: { u8: 4 } }] });
  ng.epb({ ts: 9n, data: ipv4Udp({ src: '10.1.0.1', dst: '10.1.0.2', srcPort: 53, dstPort: 5000, payload: dnsR }) });
  const pcapng = ng.bytes();
  const pcap = writePcap({}, recs(decoders));
  return [
    { name: 'own/pcap-usec-le-decoders', bytes: pcap },
    { name: 'own/pcap-nsec-be', bytes: writePcap({ magic: 'nsec', bigEndian: true, snaplen: 96 }, recs(F, true)) },
    { name: 'own/pcap-modified', bytes: writePcap({ magic: 'modified' }, recs(F.slice(0, 3))) },
    { name: 'own/pcap-null', bytes: writePcap({ linkType: 0 }, recs([nullLoopback(AF.INET, ipv4Udp({ src: '127.0.0.1', dst: '127.0.0.1', srcPort: 53, dstPort: 53, payload: dnsQ })), nullLoopback(AF.INET6_DARWIN, ipv6Udp({ src: '::1', dst: '::1', srcPort: 1, dstPort: 2, payload: filler(3) }))])) },
    { name: 'own/pcapng-mixed-sections', bytes: pcapng },
    { name: 'own/pcap.gz', bytes: gzip(pcap) },
    { name: 'own/pcapng.gz', bytes: gzip(pcapng) },
  ];
}

/** Corpus files up to `maxBytes`, read in place from PCAP_CORPUS (never copied into the repository). */
export function corpusSeeds(maxBytes = 16 * 1024): Seed[] {
  if (!CORPUS_PRESENT) return [];
  return manifest()
    .filter((e) => e.bytes > 0 && e.bytes <= maxBytes && existsSync(join(CORPUS_DIR, e.path)))
    .map((e) => ({ name: `corpus/${e.path}`, bytes: new Uint8Array(readFileSync(join(CORPUS_DIR, e.path))) }));
}

export function loadSeeds(): Seed[] {
  return [...ownSeeds(), ...corpusSeeds()];
}

// ── mutations ──────────────────────────────────────────────────────────────────────────────────────

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number; le: boolean; aligned: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; length: number; to: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

/** Length-like values that hit every check: zero, tiny, off by one, limits, and absurd. */
const INTERESTING_U32 = [
  0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 16, 20, 24, 28, 31, 32, 36, 64, 0xff, 0xffff, 0x10000, 262143, 262144, 262145, 16 * 1024 * 1024 - 4,
  16 * 1024 * 1024, 16 * 1024 * 1024 + 4, 100_000_000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff,
];

const position = fc.nat();

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('byte' as const), at: position, value: fc.oneof(fc.constantFrom(0, 0xff, 0x80, 0x7f, 0xc0), fc.nat(255)) }),
  fc.record({
    kind: fc.constant('u32' as const),
    at: position,
    value: fc.oneof(fc.constantFrom(...INTERESTING_U32), fc.integer({ min: 0, max: 0xffffffff })),
    le: fc.boolean(),
    aligned: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 512 }), to: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
);

const MAX_MUTATED = 1 << 20;

export function applyMutations(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = input.slice();
  for (const m of mutations) {
    const n = b.length;
    switch (m.kind) {
      case 'flip':
        if (n > 0) b[m.at % n] ^= 1 << m.bit;
        break;
      case 'byte':
        if (n > 0) b[m.at % n] = m.value;
        break;
      case 'u32': {
        if (n < 4) break;
        let at = m.at % (n - 3);
        if (m.aligned) at &= ~3;
        new DataView(b.buffer, b.byteOffset, n).setUint32(at, m.value, m.le);
        break;
      }
      case 'truncate':
        b = b.slice(0, m.at % (n + 1));
        break;
      case 'duplicate': {
        if (n === 0 || n + m.length > MAX_MUTATED) break;
        const from = m.at % n;
        const piece = b.slice(from, from + m.length);
        const to = m.to % (n + 1);
        b = concat(b.subarray(0, to), piece, b.subarray(to));
        break;
      }
      case 'insert': {
        if (n + m.bytes.length > MAX_MUTATED) break;
        const to = m.at % (n + 1);
        b = concat(b.subarray(0, to), m.bytes, b.subarray(to));
        break;
      }
    }
  }
  return b;
}

// ── the capture property ───────────────────────────────────────────────────────────────────────────

export interface CaptureCase {
  seed: number;
  mutations: Mutation[];
  /** Gzip the mutated capture (fuzzes the decompressed stream of a gzip input). */
  gzipAfter: boolean;
  /** Chunk sizes the input is cut into, cycled. */
  chunks: number[];
}

export const chunkingArb: fc.Arbitrary<number[]> = fc.oneof(
  fc.constant<number[]>([1 << 20]),
  fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 6 }),
  fc.array(fc.integer({ min: 1, max: 8192 }), { minLength: 1, maxLength: 4 }),
);

export function captureCaseArb(seedCount: number): fc.Arbitrary<CaptureCase> {
  return fc.record({
    seed: fc.nat(seedCount - 1),
    mutations: fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
    gzipAfter: fc.nat(9).map((x) => x === 0),
    chunks: chunkingArb,
  });
}

export function buildInput(seeds: readonly Seed[], c: CaptureCase): Uint8Array {
  const mutated = applyMutations(seeds[c.seed].bytes, c.mutations);
  return c.gzipAfter ? gzip(mutated) : mutated;
}

export function describeCase(seeds: readonly Seed[], c: CaptureCase): string {
  const muts = c.mutations.map((m) => {
    if (m.kind === 'insert') return `insert@${m.at}[${Array.from(m.bytes, (x) => x.toString(16).padStart(2, '0')).join('')}]`;
    const { kind, ...rest } = m;
    return `${kind}(${Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(',')})`;
  });
  return `${seeds[c.seed].name}${c.gzipAfter ? ' (gzipped after mutation)' : ''}; mutations: ${muts.join(' ')}; chunks: ${c.chunks.join(',')}`;
}

const MAX_WARNINGS = 200;
const MAX_SUMMARY_JSON = 1_000_000;

/** The bounds every summary must respect, whatever the input. Throws a descriptive error otherwise. */
export function checkSummary(s: CaptureSummary, input: Uint8Array): void {
  const fail = (what: string): never => {
    throw new Error(`${what}\nsummary: ${JSON.stringify(s).slice(0, 2000)}`);
  };
  const internal = s.warnings.filter((w) => w.code === 'internal-error');
  if (internal.length > 0) fail(`a decoder or analyzer threw: ${internal.map((w) => w.message).join(' | ')}`);
  for (const w of s.warnings) {
    if (w.severity !== 'error') continue;
    if (typeof w.offset !== 'number' || !Number.isInteger(w.offset) || w.offset < 0) fail(`error ${w.code} has no valid offset (${String(w.offset)})`);
    if (!s.compression && w.offset! > input.length) fail(`error ${w.code} points past the end of the input (${w.offset} > ${input.length})`);
  }
  // Every packet record takes at least 16 bytes of the (decompressed) capture stream read before any stop.
  if (s.packets * 16 > s.captureStreamBytes) fail(`${s.packets} packets cannot fit in the ${s.captureStreamBytes} bytes read`);
  if (!s.compression && s.packets > input.length / 16) fail(`${s.packets} packets from a ${input.length}-byte input`);
  if (s.capturedBytes > s.captureStreamBytes) fail(`captured bytes ${s.capturedBytes} exceed the ${s.captureStreamBytes} bytes read`);
  if (s.truncatedPackets > s.packets) fail('more truncated packets than packets');
  for (const [p, n] of Object.entries(s.protocols)) if (n > s.packets) fail(`protocol ${p} counted ${n} times in ${s.packets} packets`);
  const undecoded = Object.values(s.undecoded).reduce((a, b) => a + b, 0);
  if (undecoded > s.packets) fail(`${undecoded} undecoded of ${s.packets} packets`);
  const perInterface = s.interfaces.reduce((a, i) => a + i.packets, 0);
  if (perInterface !== s.packets) fail(`interfaces hold ${perInterface} packets, the summary ${s.packets}`);
  if (s.warnings.length > MAX_WARNINGS) fail(`${s.warnings.length} warnings (more than ${MAX_WARNINGS})`);
  const json = JSON.stringify(s).length;
  if (json >= MAX_SUMMARY_JSON) fail(`summary JSON is ${json} bytes`);
}

export async function checkCaptureCase(host: EngineHost, seeds: readonly Seed[], c: CaptureCase): Promise<void> {
  try {
    await checkCaptureInput(host, buildInput(seeds, c), c.chunks);
  } catch (e) {
    const message = `${describeCase(seeds, c)}\n${e instanceof Error ? e.message : String(e)}`;
    throw e instanceof EngineHangError ? new EngineHangError(message) : new Error(message);
  }
}

/** Runs one input in the given chunking and whole, and checks both summaries. */
export async function checkCaptureInput(host: EngineHost, input: Uint8Array, chunks: number[]): Promise<void> {
  const reply = await host.call({ kind: 'capture', bytes: input, chunkings: [chunks, [1 << 20]] });
  if (!reply.ok) throw new Error(`summarizeCapture threw: ${reply.error}`);
  if (reply.kind !== 'capture') throw new Error('unexpected reply');
  const [chunked, whole] = reply.summaries;
  checkSummary(chunked, input);
  checkSummary(whole, input);
  // The full analysis of the same input: a report that passes its own validator, within the size bound.
  const { report } = reply;
  if (report.internalErrors.length > 0) throw new Error(`an analyzer threw: ${report.internalErrors.join(' | ')}`);
  if (report.invalid !== null) throw new Error(`the report fails validation: ${report.invalid}`);
  if (report.jsonBytes > MAX_REPORT_BYTES) throw new Error(`the report is ${report.jsonBytes} bytes of JSON`);
  // Chunk boundaries must not matter, for gzip input too (the decompressor is fed fixed blocks).
  const a = JSON.stringify(chunked);
  const b = JSON.stringify(whole);
  if (a !== b) throw new Error(`the summary depends on the chunking:\nchunked: ${a.slice(0, 3000)}\nwhole:   ${b.slice(0, 3000)}`);
}

export function captureProperty(host: EngineHost, seeds: readonly Seed[]) {
  return fc.asyncProperty(captureCaseArb(seeds.length), (c) => checkCaptureCase(host, seeds, c));
}

// ── the DNS name property ──────────────────────────────────────────────────────────────────────────

export interface DnsCase {
  /** Bytes before the message in the buffer (msgOff = prefix length). */
  prefix: Uint8Array;
  message: Uint8Array;
  nameOff: number;
}

const dnsToken: fc.Arbitrary<Uint8Array> = fc.oneof(
  // a label (length 0 is the root)
  fc.uint8Array({ maxLength: 63 }).map((b) => concat(new Uint8Array([b.length]), b)),
  fc.constant(concat(new Uint8Array([63]), filler(63))),
  // a compression pointer, mostly to nearby offsets
  fc.oneof(fc.nat(80), fc.nat(0x3fff)).map((o) => dnsPointer(o)),
  // reserved label types 0x40 / 0x80
  fc.integer({ min: 0x40, max: 0xbf }).map((b) => new Uint8Array([b])),
  fc.nat(255).map((b) => new Uint8Array([b])),
);

export const dnsCaseArb: fc.Arbitrary<DnsCase> = fc
  .record({
    prefix: fc.uint8Array({ maxLength: 8 }),
    header: fc.uint8Array({ minLength: 12, maxLength: 12 }),
    body: fc.array(dnsToken, { maxLength: 48 }),
    nameOffSeed: fc.nat(),
  })
  .map(({ prefix, header, body, nameOffSeed }) => {
    const message = concat(header, ...body);
    // Mostly the question name at 12; sometimes anywhere, including at or past the end.
    const nameOff = nameOffSeed % 3 === 0 ? nameOffSeed % (message.length + 3) : Math.min(12, message.length);
    return { prefix, message, nameOff };
  });

export async function checkDnsCase(host: EngineHost, c: DnsCase): Promise<void> {
  const bytes = concat(c.prefix, c.message, filler(4)); // bytes after the message must never be read
  const reply = await host.call({ kind: 'dns', bytes, msgOff: c.prefix.length, msgLen: c.message.length, nameOff: c.nameOff });
  if (!reply.ok) throw new Error(`the DNS name reader threw: ${reply.error}`);
  if (reply.kind !== 'dns') throw new Error('unexpected reply');
  const { read, skip } = reply;
  if (read.ok) {
    if (read.wireBytes > 255) throw new Error(`accepted a name of ${read.wireBytes} wire bytes`);
    if (read.labels.length > 127) throw new Error(`accepted ${read.labels.length} labels`);
    if (read.next <= c.nameOff || read.next > c.message.length) throw new Error(`next offset ${read.next} outside (${c.nameOff}, ${c.message.length}]`);
    if (skip !== read.next) throw new Error(`skipDnsName says ${skip}, readDnsName says next=${read.next}`);
  } else {
    const code = -(NAME_ERRORS.indexOf(read.error) + 1);
    if (skip !== code) throw new Error(`skipDnsName says ${skip}, readDnsName says ${read.error} (${code})`);
  }
}

export const dnsProperty = (host: EngineHost) => fc.asyncProperty(dnsCaseArb, (c) => checkDnsCase(host, c));
