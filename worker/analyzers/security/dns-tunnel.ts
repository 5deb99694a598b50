import type { PacketView } from '../../decode/packet.js';
import type { Detection } from '../../report/sections/security.js';
import { visibleText } from '../../text.js';
import { addressText, bytesText, detection, n, pct } from './common.js';
import { KeyTable, keepUpperHalf, moveColumns, resized } from './key-table.js';

/** Registered domains followed; when full, the less-queried half is evicted. */
export const DNS_DOMAINS = 4096;
const HLL = 128; // HyperLogLog registers per domain for distinct query names (~9% standard error, ~7% at 80 names)
const FRAMES = 10;
const MAX_LABELS = 128;

/**
 * Second-level labels under which a two-letter country TLD sells names at the third level
 * (co.uk, com.au, ac.jp, gov.br …). Packed lower-case bytes; see registrableLabels.
 */
const CC_SECOND_LEVEL = new Set(
  ['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'or', 'ne', 'go', 'gob', 'mil', 'nom', 'sch', 'ltd', 'plc', 'gen', 'biz', 'info', 'nic', 'res', 'gv', 'ed', 'lg', 'gouv'].map(
    (s) => packLabel(Uint8Array.from(s, (c) => c.charCodeAt(0)), 0, s.length),
  ),
);

function packLabel(buf: Uint8Array, off: number, len: number): number {
  if (len > 4) return -1;
  let x = len;
  for (let i = 0; i < len; i++) x = x * 256 + (buf[off + i] | 0x20);
  return x;
}

const nlogn = (i: number): number => (i > 1 ? i * Math.log2(i) : 0);
/** (c+1)·log2(c+1) − c·log2(c): how Σ c·log2(c) grows when a character count goes from c to c+1 (names are ≤ 255 bytes). */
const DELTA = Float64Array.from({ length: 256 }, (_, c) => nlogn(c + 1) - nlogn(c));
/** ASCII lower case of a byte. */
const LOWER = Uint8Array.from({ length: 256 }, (_, c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c));
const lower = (c: number): number => LOWER[c];

/**
 * How many trailing labels make the registered domain: the last two, or three when the TLD has two
 * letters and the second-level label is a common public second level (example.co.uk, example.com.au).
 * An approximation of the Public Suffix List that needs no data file; documented in
 * docs/security-detectors.md.
 */
export function registrableLabels(buf: Uint8Array, labelOff: Int32Array, labelLen: Int32Array, count: number): number {
  if (count <= 2) return count;
  const tld = count - 1;
  const sld = count - 2;
  if (labelLen[tld] === 2 && CC_SECOND_LEVEL.has(packLabel(buf, labelOff[sld], labelLen[sld]))) return 3;
  return 2;
}

/** Same rule on a dotted name (tests and docs). */
export function registeredDomain(name: string): string {
  const labels = name.replace(/\.$/, '').split('.');
  const bytes = new TextEncoder().encode(labels.join(''));
  const off = new Int32Array(labels.length);
  const len = new Int32Array(labels.length);
  let p = 0;
  labels.forEach((l, i) => {
    off[i] = p;
    len[i] = l.length;
    p += l.length;
  });
  return labels.slice(labels.length - registrableLabels(bytes, off, len, labels.length)).join('.').toLowerCase();
}

/**
 * DNS tunnelling, per registered domain: query volume, distinct query names per query (HyperLogLog),
 * subdomain length and character entropy, TXT/NULL/private-type share, and DNS bytes per query. Names
 * are walked in place (no strings) except once per new domain. Reverse lookups (.arpa) and .local
 * are ignored.
 */
export class DnsTunnelDetector {
  readonly table = new KeyTable(2, DNS_DOMAINS, 64);
  private names: string[] = [];
  private queries = new Float64Array(64);
  private responses = new Float64Array(64);
  private nxdomain = new Float64Array(64);
  private subLenSum = new Float64Array(64);
  private maxLabel = new Uint8Array(64);
  private entropySum = new Float64Array(64);
  private entropyN = new Float64Array(64);
  private txtNull = new Float64Array(64);
  private bytes = new Float64Array(64);
  private first = new Float64Array(64);
  private last = new Float64Array(64);
  /** First client and server: version, 4 words each. */
  private peers = new Uint32Array(64 * 9);
  private hll = new Uint8Array(64 * HLL);
  private frames = new Int32Array(64 * FRAMES);
  private nFrames = new Uint8Array(64);
  private readonly labelOff = new Int32Array(MAX_LABELS);
  private readonly labelLen = new Int32Array(MAX_LABELS);
  /** Character counts of the current name (all zero between names). */
  private readonly chars = new Uint8Array(256);
  private readonly key = new Uint32Array(2);
  messages = 0;

  constructor() {
    this.table.onGrow = (cap) => {
      this.queries = resized(this.queries, cap);
      this.responses = resized(this.responses, cap);
      this.nxdomain = resized(this.nxdomain, cap);
      this.subLenSum = resized(this.subLenSum, cap);
      this.maxLabel = resized(this.maxLabel, cap);
      this.entropySum = resized(this.entropySum, cap);
      this.entropyN = resized(this.entropyN, cap);
      this.txtNull = resized(this.txtNull, cap);
      this.bytes = resized(this.bytes, cap);
      this.first = resized(this.first, cap);
      this.last = resized(this.last, cap);
      this.peers = resized(this.peers, cap * 9);
      this.hll = resized(this.hll, cap * HLL);
      this.frames = resized(this.frames, cap * FRAMES);
      this.nFrames = resized(this.nFrames, cap);
    };
  }

  onPacket(v: PacketView): void {
    for (let m = 0; m < v.dnsCount; m++) this.message(v, v.dnsBuf[m], v.dnsOff[m], v.dnsLen[m]);
  }

  private message(v: PacketView, buf: Uint8Array, off: number, len: number): void {
    if (len < 17) return;
    const qd = (buf[off + 4] << 8) | buf[off + 5];
    if (qd === 0) return;
    const response = (buf[off + 2] & 0x80) !== 0;
    // Walk the first question's labels (pointers allowed, strictly backwards, bounded).
    const LO = this.labelOff;
    const LL = this.labelLen;
    let count = 0;
    let nameBytes = 1;
    let p = 12;
    let limit = 12;
    let qEnd = -1;
    for (let hops = 0; hops < MAX_LABELS; hops++) {
      if (p >= len) return;
      const b = buf[off + p];
      if (b === 0) {
        if (qEnd < 0) qEnd = p + 1;
        break;
      }
      if ((b & 0xc0) === 0xc0) {
        if (p + 1 >= len) return;
        const target = ((b & 0x3f) << 8) | buf[off + p + 1];
        if (qEnd < 0) qEnd = p + 2;
        if (target >= limit) return;
        limit = target;
        p = target;
        continue;
      }
      if (b & 0xc0 || p + 1 + b > len || count >= MAX_LABELS) return;
      nameBytes += b + 1;
      if (nameBytes > 255) return; // RFC 1035 limit (also keeps per-character counts below 256)
      LO[count] = off + p + 1;
      LL[count] = b;
      count++;
      p += 1 + b;
      if (qEnd < 0 && p > limit) limit = p;
    }
    if (count === 0 || qEnd < 0 || qEnd + 4 > len) return;
    // Ignore reverse lookups and link-local names.
    const tl = LL[count - 1];
    const to = LO[count - 1];
    if (tl === 4 && lower(buf[to]) === 0x61 && lower(buf[to + 1]) === 0x72 && lower(buf[to + 2]) === 0x70 && lower(buf[to + 3]) === 0x61) return;
    if (tl === 5 && lower(buf[to]) === 0x6c && lower(buf[to + 1]) === 0x6f && lower(buf[to + 2]) === 0x63 && lower(buf[to + 3]) === 0x61 && lower(buf[to + 4]) === 0x6c) return;
    const reg = registrableLabels(buf, LO, LL, count);
    const firstReg = count - reg;
    // Two independent hashes of the registered domain (lower case) form the key.
    let h1 = 0x811c9dc5;
    let h2 = 0x2545f491;
    for (let l = firstReg; l < count; l++) {
      const o = LO[l];
      const ln = LL[l];
      h1 = Math.imul(h1 ^ ln, 0x01000193);
      h2 = Math.imul(h2 ^ ln, 0x5bd1e995);
      for (let i = 0; i < ln; i++) {
        const c = lower(buf[o + i]);
        h1 = Math.imul(h1 ^ c, 0x01000193);
        h2 = Math.imul(h2 ^ c, 0x5bd1e995);
        h2 ^= h2 >>> 15;
      }
    }
    const k = this.key;
    k[0] = h1;
    k[1] = h2;
    let idx = this.table.findOrInsert(k);
    if (idx < 0) {
      this.evict();
      idx = this.table.findOrInsert(k);
      if (idx < 0) return;
    }
    if (this.table.inserted) this.start(idx, v, buf, firstReg, count);
    this.messages++;
    this.bytes[idx] += len;
    if (v.time > this.last[idx]) this.last[idx] = v.time;
    if (response) {
      this.responses[idx]++;
      if ((buf[off + 3] & 0x0f) === 3) this.nxdomain[idx]++;
      return;
    }
    this.queries[idx]++;
    const q = off + qEnd;
    const qtype = (buf[q] << 8) | buf[q + 1];
    if (qtype === 16 || qtype === 10 || (qtype >= 65280 && qtype <= 65534)) this.txtNull[idx]++;
    // One pass over the subdomain (the labels left of the registered domain): its length, longest
    // label, character counts with Σ c·log2(c) kept incrementally for the entropy, and the hash of the
    // full name (seeded with the registered domain's key) for the distinct-name HyperLogLog.
    const chars = this.chars;
    let h = h1 ^ Math.imul(h2, 0x9e3779b1);
    let subLen = 0;
    let maxL = this.maxLabel[idx];
    let s = 0;
    for (let l = 0; l < firstReg; l++) {
      const o = LO[l];
      const ln = LL[l];
      subLen += ln;
      if (ln > maxL) maxL = ln;
      h = Math.imul(h ^ ln, 0x5bd1e995);
      let word = 0;
      for (let i = 0; i < ln; i++) {
        const c = LOWER[buf[o + i]];
        // The name hash takes four characters per multiply (the serial part of this loop).
        word = (word << 8) | c;
        if ((i & 3) === 3) {
          h = Math.imul(h ^ word, 0x5bd1e995);
          h ^= h >>> 15;
          word = 0;
        }
        const cnt = chars[c];
        s += DELTA[cnt];
        chars[c] = cnt + 1;
      }
      h = Math.imul(h ^ word, 0x5bd1e995);
      h ^= h >>> 15;
    }
    // Clear the counts (a branch-free pass is cheaper than tracking which counts are stale).
    for (let l = 0; l < firstReg; l++) {
      const e = LO[l] + LL[l];
      for (let i = LO[l]; i < e; i++) chars[LOWER[buf[i]]] = 0;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    const hi = idx * HLL + (h & (HLL - 1));
    const rank = Math.clz32((h >>> 7) | 1) - 6;
    if (rank > this.hll[hi]) this.hll[hi] = rank;
    this.maxLabel[idx] = maxL;
    this.subLenSum[idx] += subLen;
    // Shannon entropy in bits per character: log2(N) − Σ c·log2(c) / N.
    if (subLen >= 8) {
      this.entropySum[idx] += Math.log2(subLen) - s / subLen;
      this.entropyN[idx]++;
    }
    const nf = this.nFrames[idx];
    if (nf < FRAMES) {
      this.frames[idx * FRAMES + nf] = v.frame;
      this.nFrames[idx] = nf + 1;
    }
  }

  /** New domain: its name (the one allocation, per new entity), first time, client and server. */
  private start(idx: number, v: PacketView, buf: Uint8Array, firstReg: number, count: number): void {
    const parts: string[] = [];
    for (let l = firstReg; l < count; l++) {
      let s = '';
      const o = this.labelOff[l];
      for (let i = 0; i < this.labelLen[l]; i++) {
        const c = lower(buf[o + i]);
        s += c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c ? String.fromCharCode(c) : `\\${String(c).padStart(3, '0')}`;
      }
      parts.push(s);
    }
    this.names[idx] = parts.join('.');
    this.first[idx] = v.time;
    this.last[idx] = v.time;
    const response = v.dnsCount > 0 && (v.dnsBuf[0][v.dnsOff[0] + 2] & 0x80) !== 0;
    const P = this.peers;
    const o = idx * 9;
    P[o] = v.ipVersion;
    if (v.ipVersion === 4) {
      P[o + 1] = response ? v.dst4 : v.src4;
      P[o + 5] = response ? v.src4 : v.dst4;
    } else if (v.ipVersion === 6) {
      const c = response ? v.dstAddrOff : v.srcAddrOff;
      const s = response ? v.srcAddrOff : v.dstAddrOff;
      for (let i = 0; i < 4; i++) {
        P[o + 1 + i] = v.dv.getUint32(c + i * 4);
        P[o + 5 + i] = v.dv.getUint32(s + i * 4);
      }
    }
  }

  private evict(): void {
    const size = this.table.size;
    const remap = this.table.compact(keepUpperHalf(this.queries, size));
    const names = this.names;
    for (let i = 0; i < size; i++) if (remap[i] >= 0) names[remap[i]] = names[i];
    names.length = this.table.size;
    moveColumns(remap, size, [
      [this.queries, 1],
      [this.responses, 1],
      [this.nxdomain, 1],
      [this.subLenSum, 1],
      [this.maxLabel, 1],
      [this.entropySum, 1],
      [this.entropyN, 1],
      [this.txtNull, 1],
      [this.bytes, 1],
      [this.first, 1],
      [this.last, 1],
      [this.peers, 9],
      [this.hll, HLL],
      [this.frames, FRAMES],
      [this.nFrames, 1],
    ]);
  }

  /** HyperLogLog estimate of distinct query names (linear counting while registers are sparse). */
  distinct(idx: number): number {
    let zeros = 0;
    let sum = 0;
    for (let r = 0; r < HLL; r++) {
      const x = this.hll[idx * HLL + r];
      if (x === 0) zeros++;
      sum += 2 ** -x;
    }
    const alpha = 0.7213 / (1 + 1.079 / HLL);
    const e = (alpha * HLL * HLL) / sum;
    if (e <= 2.5 * HLL && zeros > 0) return HLL * Math.log(HLL / zeros);
    return e;
  }

  finish(t: {
    dnsTunnelMinQueries: number;
    dnsTunnelMinUniqueRatio: number;
    dnsTunnelMinSubdomainLength: number;
    dnsTunnelMinEntropy: number;
    dnsTunnelMinTxtNullRatio: number;
    dnsTunnelMinBytesPerQuery: number;
    dnsTunnelMinSignals: number;
  }): Detection[] {
    const out: Detection[] = [];
    for (let i = 0; i < this.table.size; i++) {
      const q = this.queries[i];
      if (q < t.dnsTunnelMinQueries) continue;
      const unique = Math.min(1, this.distinct(i) / q);
      if (unique < t.dnsTunnelMinUniqueRatio) continue;
      const meanSub = this.subLenSum[i] / q;
      const entropy = this.entropyN[i] > 0 ? this.entropySum[i] / this.entropyN[i] : 0;
      const txt = this.txtNull[i] / q;
      const perQuery = this.bytes[i] / q;
      const signals = [
        meanSub >= t.dnsTunnelMinSubdomainLength ? `mean subdomain ${meanSub.toFixed(0)} characters (≥ ${t.dnsTunnelMinSubdomainLength})` : '',
        entropy >= t.dnsTunnelMinEntropy ? `entropy ${entropy.toFixed(2)} bits/character (≥ ${t.dnsTunnelMinEntropy})` : '',
        txt >= t.dnsTunnelMinTxtNullRatio ? `${pct(txt)} TXT/NULL queries (≥ ${pct(t.dnsTunnelMinTxtNullRatio)})` : '',
        perQuery >= t.dnsTunnelMinBytesPerQuery ? `${perQuery.toFixed(0)} DNS bytes per query (≥ ${t.dnsTunnelMinBytesPerQuery})` : '',
      ].filter(Boolean);
      if (signals.length < t.dnsTunnelMinSignals) continue;
      const domain = this.names[i];
      const shown = visibleText(domain, 120);
      const P = this.peers;
      const o = i * 9;
      const client = addressText(P[o], P[o + 1], P[o + 2], P[o + 3], P[o + 4]);
      const server = addressText(P[o], P[o + 5], P[o + 6], P[o + 7], P[o + 8]);
      // The domain is written literally (its dots match any character in the regular expression, a
      // harmless widening) so report redaction can replace it in the filter like anywhere else.
      const safe = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(domain);
      const filter = safe ? `dns.qry.name matches "(^|\\\\.)${domain}$"` : 'dns';
      out.push(
        detection({
          // Numbered, not named: ids stay free of packet-derived names (redaction, URLs).
          id: `dns-tunnel-${out.length + 1}`,
          kind: 'dns_tunneling',
          severity: signals.length >= 3 ? 'critical' : 'warning',
          confidence: 0.4 + 0.15 * signals.length,
          title: `Possible DNS tunnel via ${shown}: ${n(q)} queries, ${pct(unique)} distinct names — ${signals.join(', ')}`,
          rule:
            `DNS tunnelling, per registered domain (last two labels, three under a ccTLD second level such as co.uk): ≥ ${t.dnsTunnelMinQueries} queries with ≥ ${pct(t.dnsTunnelMinUniqueRatio)} distinct names, ` +
            `and at least ${t.dnsTunnelMinSignals} of: mean subdomain ≥ ${t.dnsTunnelMinSubdomainLength} characters; entropy ≥ ${t.dnsTunnelMinEntropy} bits/character; ≥ ${pct(t.dnsTunnelMinTxtNullRatio)} TXT/NULL/private-type queries; ≥ ${t.dnsTunnelMinBytesPerQuery} DNS bytes per query. ` +
            `Here: ${signals.length} signals; longest label ${this.maxLabel[i]} characters; ${bytesText(this.bytes[i])} of DNS in ${n(q)} queries and ${n(this.responses[i])} responses${this.nxdomain[i] ? ` (${n(this.nxdomain[i])} NXDOMAIN)` : ''}.`,
          hosts: [client, server],
          ports: [53],
          domains: [domain],
          start: this.first[i],
          end: this.last[i],
          frames: this.frames.subarray(i * FRAMES, i * FRAMES + this.nFrames[i]),
          filter,
          metrics: {
            queries: q,
            responses: this.responses[i],
            uniqueNameRatio: unique,
            meanSubdomainLength: meanSub,
            maxLabelLength: this.maxLabel[i],
            meanEntropyBits: entropy,
            txtNullRatio: txt,
            bytesPerQuery: perQuery,
            nxdomain: this.nxdomain[i],
            signals: signals.length,
          },
        }),
      );
    }
    return out;
  }

  get evicted(): number {
    return this.table.evicted;
  }
}

