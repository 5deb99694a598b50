/**
 * Byte-level primitives shared by the capture and packet builders. Fixtures are small, so clarity wins
 * over speed; the writer still grows geometrically so a benchmark-sized capture does not go quadratic.
 */

export class ByteWriter {
  private buf = new Uint8Array(256);
  private dv = new DataView(this.buf.buffer);
  private len = 0;

  /** `littleEndian` is the default for the multi-byte writes; each call may override it. */
  constructor(public littleEndian = false) {}

  get length(): number {
    return this.len;
  }

  private reserve(n: number): number {
    const need = this.len + n;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.dv = new DataView(next.buffer);
    }
    const at = this.len;
    this.len = need;
    return at;
  }

  // Every write calls reserve() before touching this.buf/this.dv: a grow replaces both, and
  // `this.dv.set(this.reserve(n), …)` would evaluate the stale view first.
  // Values are masked rather than range-checked: malformed fixtures routinely need "wrong" field values,
  // and silently wrapping an out-of-range number matches what a C struct write would do.
  u8(v: number): this {
    const at = this.reserve(1);
    this.dv.setUint8(at, v & 0xff);
    return this;
  }

  u16(v: number, le = this.littleEndian): this {
    const at = this.reserve(2);
    this.dv.setUint16(at, v & 0xffff, le);
    return this;
  }

  u32(v: number, le = this.littleEndian): this {
    const at = this.reserve(4);
    this.dv.setUint32(at, v >>> 0, le);
    return this;
  }

  u64(v: bigint, le = this.littleEndian): this {
    const at = this.reserve(8);
    this.dv.setBigUint64(at, BigInt.asUintN(64, v), le);
    return this;
  }

  bytes(b: Uint8Array): this {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
    return this;
  }

  zeros(n: number): this {
    const at = this.reserve(n);
    this.buf.fill(0, at, at + n);
    return this;
  }

  /** Zero bytes up to the next multiple of `align`, counted from the start of this writer. */
  pad(align: number): this {
    const rem = this.len % align;
    return rem === 0 ? this : this.zeros(align - rem);
  }

  /** Overwrites an already-written u16/u32 (lengths and checksums known only at the end). */
  setU16(at: number, v: number, le = this.littleEndian): this {
    this.dv.setUint16(at, v & 0xffff, le);
    return this;
  }

  setU32(at: number, v: number, le = this.littleEndian): this {
    this.dv.setUint32(at, v >>> 0, le);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `hex('de ad:be-ef')` → bytes; separators are ignored so dumps can be pasted verbatim. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s:.-]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Deterministic filler so payloads are recognisable in a hex dump and identical on retransmission. */
export function filler(n: number, start = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 0x61 + ((start + i) % 26);
  return out;
}

/** RFC 1071 one's-complement sum, folded but not inverted, so pseudo-headers can be chained in. */
export function onesSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = data.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (data.length & 1) sum += data[data.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function internetChecksum(data: Uint8Array, initial = 0): number {
  return ~onesSum(data, initial) & 0xffff;
}
