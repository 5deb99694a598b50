/**
 * An open-addressing hash index over address/port tuples, with the tuples stored in typed-array
 * columns: no per-packet allocation, no string keys. Used for flows (5-tuples), IP conversations
 * (address pairs) and endpoints (single addresses). Tuples are unordered pairs: (A, B) and (B, A) are
 * the same entry, and `lookup` reports which way round the packet was.
 *
 * The tuple to look up is passed in `key` (filled by the caller), not as arguments: address words
 * ≥ 2^31 passed as numbers to a call V8 does not inline are boxed as heap numbers, one allocation per
 * word and packet, and twelve-argument calls are slow in themselves. `key` holds the words as int32
 * (the same bits), and the table compares them through int32 views of its address columns; the public
 * `addrA`/`addrB` columns stay unsigned for readers.
 */

/** Positions in `TupleTable.key`. */
export const enum Key {
  /** Source address words 0–3 (IPv4: word 0, words 1–3 zero). */
  SRC = 0,
  /** Destination address words 4–7. */
  DST = 4,
  SPORT = 8,
  DPORT = 9,
}
export const K_SRC = Key.SRC;
export const K_DST = Key.DST;
export const K_SPORT = Key.SPORT;
export const K_DPORT = Key.DPORT;

export class TupleTable {
  /** Number of entries. */
  size = 0;
  capacity: number;
  /** The tuple `lookup`, `insert` and `supersede` work on (see K_*); int32 words. */
  readonly key = new Int32Array(10);
  /** Four 32-bit words per side; IPv4 uses word 0 only. */
  addrA: Uint32Array;
  addrB: Uint32Array;
  /** The same memory as int32, for comparisons with `key`. */
  private a32: Int32Array;
  private b32: Int32Array;
  portA: Uint16Array;
  portB: Uint16Array;
  version: Uint8Array;
  proto: Uint8Array;
  private slots: Int32Array;
  private mask: number;
  /** Set by lookup/insert: 0 when the packet's source is side A, 1 when it is side B. */
  dir = 0;
  /** Slot of the entry `lookup` last returned (for `supersede`). */
  private lastSlot = -1;
  /** 1 for entries replaced by a newer entry for the same tuple (ports reused): rows, not indexed. */
  superseded: Uint8Array;

  constructor(
    readonly maxEntries: number,
    initial = 1024,
  ) {
    this.capacity = Math.min(initial, maxEntries);
    this.addrA = new Uint32Array(this.capacity * 4);
    this.addrB = new Uint32Array(this.capacity * 4);
    this.a32 = new Int32Array(this.addrA.buffer);
    this.b32 = new Int32Array(this.addrB.buffer);
    this.portA = new Uint16Array(this.capacity);
    this.portB = new Uint16Array(this.capacity);
    this.version = new Uint8Array(this.capacity);
    this.proto = new Uint8Array(this.capacity);
    this.superseded = new Uint8Array(this.capacity);
    const slots = nextPow2(this.capacity * 2);
    this.slots = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
  }

  get full(): boolean {
    return this.size >= this.maxEntries;
  }

  /** Sets the key's addresses to one IPv4 pair (ports untouched). */
  setV4(src: number, dst: number): void {
    const k = this.key;
    k[0] = src;
    k[1] = k[2] = k[3] = 0;
    k[4] = dst;
    k[5] = k[6] = k[7] = 0;
  }

  /** Sets the key's addresses from 16-byte addresses at `so`/`dof` in `dv` (ports untouched). */
  setV6(dv: DataView, so: number, dof: number): void {
    const k = this.key;
    k[0] = dv.getInt32(so);
    k[1] = dv.getInt32(so + 4);
    k[2] = dv.getInt32(so + 8);
    k[3] = dv.getInt32(so + 12);
    k[4] = dv.getInt32(dof);
    k[5] = dv.getInt32(dof + 4);
    k[6] = dv.getInt32(dof + 8);
    k[7] = dv.getInt32(dof + 12);
  }

  /** Sets the key's ports. */
  setPorts(sp: number, dp: number): void {
    this.key[Key.SPORT] = sp;
    this.key[Key.DPORT] = dp;
  }

  /**
   * Finds the entry for (src → dst) given as arguments (IPv4: s0/d0 only, others 0). A convenience for
   * cold paths: hot paths fill `key` and call `lookup`.
   */
  find(version: number, proto: number, s0: number, s1: number, s2: number, s3: number, sp: number, d0: number, d1: number, d2: number, d3: number, dp: number): number {
    const k = this.key;
    k[0] = s0;
    k[1] = s1;
    k[2] = s2;
    k[3] = s3;
    k[4] = d0;
    k[5] = d1;
    k[6] = d2;
    k[7] = d3;
    k[Key.SPORT] = sp;
    k[Key.DPORT] = dp;
    return this.lookup(version, proto);
  }

  /** Finds the entry for the tuple in `key`; returns its index or, when absent, -1 - slot (for insert). */
  lookup(version: number, proto: number): number {
    const k = this.key;
    const s0 = k[0];
    const s1 = k[1];
    const s2 = k[2];
    const s3 = k[3];
    const d0 = k[4];
    const d1 = k[5];
    const d2 = k[6];
    const d3 = k[7];
    const sp = k[8];
    const dp = k[9];
    // Canonical order so both directions hash alike (any total order will do: it only places entries).
    // The same hash as hashTuple (kept inline here: this is the per-packet path).
    const swap = s0 !== d0 ? s0 > d0 : s1 !== d1 ? s1 > d1 : s2 !== d2 ? s2 > d2 : s3 !== d3 ? s3 > d3 : sp > dp;
    let h = Math.imul(version * 31 + proto, 0x9e3779b1);
    if (version !== 4) {
      // IPv4 keys have words 1–3 zero: only IPv6 needs them hashed.
      h = swap ? mix(mix(mix(mix(mix(mix(h, d1), d2), d3), s1), s2), s3) : mix(mix(mix(mix(mix(mix(h, s1), s2), s3), d1), d2), d3);
    }
    h = swap ? mix(mix(mix(mix(h, d0), dp), s0), sp) : mix(mix(mix(mix(h, s0), sp), d0), dp);
    const mask = this.mask;
    const slots = this.slots;
    const A = this.a32;
    const B = this.b32;
    let slot = h & mask;
    for (;;) {
      const idx = slots[slot];
      if (idx < 0) {
        this.dir = swap ? 1 : 0;
        return -1 - slot;
      }
      if (this.version[idx] === version && this.proto[idx] === proto) {
        const a = idx * 4;
        if (
          A[a] === s0 && B[a] === d0 && A[a + 1] === s1 && A[a + 2] === s2 && A[a + 3] === s3 && this.portA[idx] === sp &&
          B[a + 1] === d1 && B[a + 2] === d2 && B[a + 3] === d3 && this.portB[idx] === dp
        ) {
          this.dir = 0;
          this.lastSlot = slot;
          return idx;
        }
        if (
          A[a] === d0 && B[a] === s0 && A[a + 1] === d1 && A[a + 2] === d2 && A[a + 3] === d3 && this.portA[idx] === dp &&
          B[a + 1] === s1 && B[a + 2] === s2 && B[a + 3] === s3 && this.portB[idx] === sp
        ) {
          this.dir = 1;
          this.lastSlot = slot;
          return idx;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  /**
   * Adds the tuple in `key` with side A = the packet's source, at the slot `lookup` returned (as
   * -1 - slot). Returns the new index, or -1 when the table is full.
   */
  insert(notFound: number, version: number, proto: number): number {
    if (this.size >= this.maxEntries) return -1;
    let slot = -1 - notFound;
    if (this.size * 2 >= this.slots.length) {
      this.rehash(this.slots.length * 2);
      slot = -1 - this.lookup(version, proto);
    }
    const idx = this.append(version, proto);
    this.slots[slot] = idx;
    this.dir = 0;
    return idx;
  }

  private append(version: number, proto: number): number {
    if (this.size >= this.capacity) this.grow();
    const idx = this.size++;
    const a = idx * 4;
    const k = this.key;
    const A = this.a32;
    const B = this.b32;
    A[a] = k[0];
    A[a + 1] = k[1];
    A[a + 2] = k[2];
    A[a + 3] = k[3];
    B[a] = k[4];
    B[a + 1] = k[5];
    B[a + 2] = k[6];
    B[a + 3] = k[7];
    this.portA[idx] = k[Key.SPORT];
    this.portB[idx] = k[Key.DPORT];
    this.version[idx] = version;
    this.proto[idx] = proto;
    return idx;
  }

  /**
   * Starts a new entry for the tuple `lookup` just returned (ports reused; the tuple is still in `key`):
   * the old entry stays as a row but is no longer reachable; the new one has side A = the packet's
   * source. Returns its index, or -1 when the table is full.
   */
  supersede(oldIdx: number): number {
    if (this.size >= this.maxEntries) return -1;
    const slot = this.lastSlot;
    const n = this.append(this.version[oldIdx], this.proto[oldIdx]);
    this.superseded[oldIdx] = 1;
    this.slots[slot] = n;
    this.dir = 0;
    return n;
  }

  /** Called after the columns may have grown, so owners can grow their parallel columns. */
  onGrow: ((capacity: number) => void) | undefined;

  /**
   * Doubles the columns, but stops once at half the cap: the last step is then from half the cap, not
   * from the largest power-of-two multiple below it (a flow table filled to 400,000 rows grows 131,072 →
   * 200,000 → 400,000, not 262,144 → 400,000). While the owner and every analyzer with columns by row
   * copy theirs, old and new are held together: the fewer old rows, the lower that peak.
   */
  private grow(): void {
    const half = Math.ceil(this.maxEntries / 2);
    let cap = Math.min(this.maxEntries, this.capacity * 2);
    if (this.capacity < half && cap > half) cap = half;
    this.addrA = growU32(this.addrA, cap * 4);
    this.addrB = growU32(this.addrB, cap * 4);
    this.a32 = new Int32Array(this.addrA.buffer);
    this.b32 = new Int32Array(this.addrB.buffer);
    this.portA = growU16(this.portA, cap);
    this.portB = growU16(this.portB, cap);
    this.version = growU8(this.version, cap);
    this.proto = growU8(this.proto, cap);
    this.superseded = growU8(this.superseded, cap);
    this.capacity = cap;
    this.onGrow?.(cap);
  }

  private rehash(slots: number): void {
    const S = (this.slots = new Int32Array(slots).fill(-1));
    const mask = (this.mask = slots - 1);
    // Entries are unique, so each goes to the first free slot of its probe sequence: where `lookup`
    // would have stopped, without comparing keys. (Superseded entries are rows only, not indexed.)
    const A = this.a32;
    const B = this.b32;
    for (let i = 0; i < this.size; i++) {
      if (this.superseded[i]) continue;
      const a = i * 4;
      let slot = hashTuple(this.version[i], this.proto[i], A[a], A[a + 1], A[a + 2], A[a + 3], this.portA[i], B[a], B[a + 1], B[a + 2], B[a + 3], this.portB[i]) & mask;
      while (S[slot] >= 0) slot = (slot + 1) & mask;
      S[slot] = i;
    }
  }
}

/**
 * The hash `lookup` computes, for rehashing (a cold path: the twelve arguments are acceptable there).
 * Keep the two in step.
 */
function hashTuple(version: number, proto: number, s0: number, s1: number, s2: number, s3: number, sp: number, d0: number, d1: number, d2: number, d3: number, dp: number): number {
  const swap = s0 !== d0 ? s0 > d0 : s1 !== d1 ? s1 > d1 : s2 !== d2 ? s2 > d2 : s3 !== d3 ? s3 > d3 : sp > dp;
  let h = Math.imul(version * 31 + proto, 0x9e3779b1);
  if (version !== 4) {
    h = swap ? mix(mix(mix(mix(mix(mix(h, d1), d2), d3), s1), s2), s3) : mix(mix(mix(mix(mix(mix(h, s1), s2), s3), d1), d2), d3);
  }
  return swap ? mix(mix(mix(mix(h, d0), dp), s0), sp) : mix(mix(mix(mix(h, s0), sp), d0), dp);
}

function mix(h: number, x: number): number {
  h ^= x;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function growU32(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}
function growU16(a: Uint16Array, n: number): Uint16Array {
  const b = new Uint16Array(n);
  b.set(a);
  return b;
}
function growU8(a: Uint8Array, n: number): Uint8Array {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}
