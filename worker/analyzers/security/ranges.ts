/**
 * Internal address ranges (CIDR) and address classes used by the detectors. Addresses are handled as
 * four 32-bit words (IPv4 in word 0, the others 0), the layout of the flow table.
 */

/** RFC 1918, RFC 4193 (ULA), loopback, link-local and RFC 6598 (CGNAT) ranges. */
export const DEFAULT_INTERNAL_RANGES: readonly string[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '100.64.0.0/10',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
];

/** At most this many ranges (the report's `internalRanges` list is bounded). */
export const MAX_INTERNAL_RANGES = 64;

interface Cidr {
  version: 4 | 6;
  words: [number, number, number, number];
  prefix: number;
}

/** Parses "a.b.c.d/n" or "v6/n" (a bare address is a /32 or /128). Throws with a clear message. */
export function parseCidr(text: string): Cidr {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) throw new Error(`internal range ${JSON.stringify(text)} is not a CIDR string`);
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const v6 = addr.includes(':');
  const max = v6 ? 128 : 32;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new Error(`internal range "${text}": prefix length must be 0–${max}`);
    prefix = Number(p);
  }
  const words = v6 ? parseV6Words(addr) : parseV4Word(addr);
  if (!words) throw new Error(`internal range "${text}": "${addr}" is not an IP${v6 ? 'v6' : 'v4'} address`);
  const masked = maskWords(words, prefix);
  if (masked.some((w, i) => w !== words[i])) {
    throw new Error(`internal range "${text}" has host bits set (did you mean ${cidrText(v6 ? 6 : 4, masked, prefix)}?)`);
  }
  return { version: v6 ? 6 : 4, words: masked, prefix };
}

function parseV4Word(s: string): [number, number, number, number] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return null;
  return [((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0, 0, 0, 0];
}

function parseV6Words(s: string): [number, number, number, number] | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseV4Word(it);
        if (!v4) return null;
        out.push(v4[0] >>> 16, v4[0] & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return null;
        out.push(parseInt(it, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const g = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return [((g[0] << 16) | g[1]) >>> 0, ((g[2] << 16) | g[3]) >>> 0, ((g[4] << 16) | g[5]) >>> 0, ((g[6] << 16) | g[7]) >>> 0];
}

function maskWords(w: readonly number[], prefix: number): [number, number, number, number] {
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, prefix - i * 32));
    out[i] = bits === 0 ? 0 : bits === 32 ? w[i] >>> 0 : (w[i] & (~0 << (32 - bits))) >>> 0;
  }
  return out;
}

function cidrText(version: 4 | 6, w: readonly number[], prefix: number): string {
  if (version === 4) return `${w[0] >>> 24}.${(w[0] >>> 16) & 255}.${(w[0] >>> 8) & 255}.${w[0] & 255}/${prefix}`;
  const g: string[] = [];
  for (let i = 0; i < 4; i++) g.push((w[i] >>> 16).toString(16), (w[i] & 0xffff).toString(16));
  return `${g.join(':')}/${prefix}`;
}

/** A validated set of internal ranges with fast membership tests. */
export class InternalRanges {
  readonly texts: string[];
  private readonly v4Base: Uint32Array;
  private readonly v4Mask: Uint32Array;
  private readonly v6: Cidr[];

  constructor(ranges: readonly string[] = DEFAULT_INTERNAL_RANGES) {
    if (!Array.isArray(ranges)) throw new Error('internalRanges must be an array of CIDR strings');
    if (ranges.length > MAX_INTERNAL_RANGES) throw new Error(`internalRanges: at most ${MAX_INTERNAL_RANGES} ranges (got ${ranges.length})`);
    const parsed = ranges.map(parseCidr);
    this.texts = ranges.map((r) => r.trim());
    const v4 = parsed.filter((c) => c.version === 4);
    this.v4Base = Uint32Array.from(v4, (c) => c.words[0]);
    this.v4Mask = Uint32Array.from(v4, (c) => (c.prefix === 0 ? 0 : (~0 << (32 - c.prefix)) >>> 0));
    this.v6 = parsed.filter((c) => c.version === 6);
  }

  isInternal(version: number, w0: number, w1: number, w2: number, w3: number): boolean {
    if (version === 4) {
      for (let i = 0; i < this.v4Base.length; i++) if ((w0 & this.v4Mask[i]) >>> 0 === this.v4Base[i]) return true;
      return false;
    }
    const w = [w0, w1, w2, w3];
    for (const c of this.v6) {
      let ok = true;
      for (let i = 0; i < 4 && ok; i++) {
        const bits = Math.max(0, Math.min(32, c.prefix - i * 32));
        if (bits === 0) break;
        const mask = bits === 32 ? 0xffffffff : (~0 << (32 - bits)) >>> 0;
        ok = ((w[i] & mask) >>> 0) === c.words[i];
      }
      if (ok) return true;
    }
    return false;
  }
}

/** Multicast or broadcast destinations are never scan, beacon or flood targets of one host. */
export function isGroupAddress(version: number, w0: number): boolean {
  if (version === 4) return w0 >>> 28 === 14 || w0 >>> 0 === 0xffffffff || (w0 & 0xff) === 0xff;
  return w0 >>> 24 === 0xff;
}
