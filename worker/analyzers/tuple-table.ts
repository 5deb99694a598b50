/**
 * An open-addressing hash index over address/port tuples, with the tuples stored in typed-array
 * columns: no per-packet allocation, no string keys. Used for flows (5-tuples), IP conversations
 * (address pairs) and endpoints (single addresses). Tuples are unordered pairs: (A, B) and (B, A) are
 * the same entry, and `lookup` reports which way round the packet was.
 */
export class TupleTable {
  /** Number of entries. */
  size = 0;
  capacity: number;
  /** Four 32-bit words per side; IPv4 uses word 0 only. */
  addrA: Uint32Array;
  addrB: Uint32Array;
  portA: Uint16Array;
  portB: Uint16Array;
  version: Uint8Array;
  proto: Uint8Array;
  private slots: Int32Array;
  private mask: number;
  /** Set by find/insert: 0 when the packet's source is side A, 1 when it is side B. */
  dir = 0;
  /** Slot of the entry `find` last returned (for `supersede`). */
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

  /**
   * Finds the entry for (src → dst); returns its index or, when absent, -1 - slot (for insert).
   * `s0..s3`/`d0..d3` are the address words (IPv4: s0/d0 only, others 0).
   */
  find(version: number, proto: number, s0: number, s1: number, s2: number, s3: number, sp: number, d0: number, d1: number, d2: number, d3: number, dp: number): number {
    // Canonical order so both directions hash alike: compare (address, port) lexicographically.
    const swap = cmp(s0, s1, s2, s3, sp, d0, d1, d2, d3, dp) > 0;
    let h = Math.imul(version * 31 + proto, 0x9e3779b1);
    if (swap) {
      h = mix(mix(mix(mix(mix(mix(mix(mix(mix(mix(h, d0), d1), d2), d3), dp), s0), s1), s2), s3), sp);
    } else {
      h = mix(mix(mix(mix(mix(mix(mix(mix(mix(mix(h, s0), s1), s2), s3), sp), d0), d1), d2), d3), dp);
    }
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const idx = this.slots[slot];
      if (idx < 0) {
        this.dir = swap ? 1 : 0;
        return -1 - slot;
      }
      if (this.version[idx] === version && this.proto[idx] === proto) {
        const a = idx * 4;
        const A = this.addrA;
        const B = this.addrB;
        if (
          A[a] === s0 && A[a + 1] === s1 && A[a + 2] === s2 && A[a + 3] === s3 && this.portA[idx] === sp &&
          B[a] === d0 && B[a + 1] === d1 && B[a + 2] === d2 && B[a + 3] === d3 && this.portB[idx] === dp
        ) {
          this.dir = 0;
          this.lastSlot = slot;
          return idx;
        }
        if (
          A[a] === d0 && A[a + 1] === d1 && A[a + 2] === d2 && A[a + 3] === d3 && this.portA[idx] === dp &&
          B[a] === s0 && B[a + 1] === s1 && B[a + 2] === s2 && B[a + 3] === s3 && this.portB[idx] === sp
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
   * Adds an entry with side A = the packet's source, at the slot `find` returned (as -1 - slot).
   * Returns the new index, or -1 when the table is full.
   */
  insert(notFound: number, version: number, proto: number, s0: number, s1: number, s2: number, s3: number, sp: number, d0: number, d1: number, d2: number, d3: number, dp: number): number {
    if (this.size >= this.maxEntries) return -1;
    let slot = -1 - notFound;
    if (this.size * 2 >= this.slots.length) {
      this.rehash(this.slots.length * 2);
      const again = this.find(version, proto, s0, s1, s2, s3, sp, d0, d1, d2, d3, dp);
      slot = -1 - again;
    }
    const idx = this.append(version, proto, s0, s1, s2, s3, sp, d0, d1, d2, d3, dp);
    this.slots[slot] = idx;
    this.dir = 0;
    return idx;
  }

  private append(version: number, proto: number, s0: number, s1: number, s2: number, s3: number, sp: number, d0: number, d1: number, d2: number, d3: number, dp: number): number {
    if (this.size >= this.capacity) this.grow();
    const idx = this.size++;
    const a = idx * 4;
    this.addrA[a] = s0;
    this.addrA[a + 1] = s1;
    this.addrA[a + 2] = s2;
    this.addrA[a + 3] = s3;
    this.addrB[a] = d0;
    this.addrB[a + 1] = d1;
    this.addrB[a + 2] = d2;
    this.addrB[a + 3] = d3;
    this.portA[idx] = sp;
    this.portB[idx] = dp;
    this.version[idx] = version;
    this.proto[idx] = proto;
    return idx;
  }

  /**
   * Starts a new entry for the tuple `find` just returned (ports reused): the old entry stays as a row
   * but is no longer reachable; the new one has side A = the packet's source. Returns its index, or -1
   * when the table is full.
   */
  supersede(oldIdx: number, s0: number, s1: number, s2: number, s3: number, sp: number, d0: number, d1: number, d2: number, d3: number, dp: number): number {
    if (this.size >= this.maxEntries) return -1;
    const slot = this.lastSlot;
    const n = this.append(this.version[oldIdx], this.proto[oldIdx], s0, s1, s2, s3, sp, d0, d1, d2, d3, dp);
    this.superseded[oldIdx] = 1;
    this.slots[slot] = n;
    this.dir = 0;
    return n;
  }

  /** Called after the columns may have grown, so owners can grow their parallel columns. */
  onGrow: ((capacity: number) => void) | undefined;

  private grow(): void {
    const cap = Math.min(this.maxEntries, this.capacity * 2);
    this.addrA = growU32(this.addrA, cap * 4);
    this.addrB = growU32(this.addrB, cap * 4);
    this.portA = growU16(this.portA, cap);
    this.portB = growU16(this.portB, cap);
    this.version = growU8(this.version, cap);
    this.proto = growU8(this.proto, cap);
    this.superseded = growU8(this.superseded, cap);
    this.capacity = cap;
    this.onGrow?.(cap);
  }

  private rehash(slots: number): void {
    this.slots = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
    const A = this.addrA;
    const B = this.addrB;
    for (let i = 0; i < this.size; i++) {
      if (this.superseded[i]) continue;
      const a = i * 4;
      const r = this.find(this.version[i], this.proto[i], A[a], A[a + 1], A[a + 2], A[a + 3], this.portA[i], B[a], B[a + 1], B[a + 2], B[a + 3], this.portB[i]);
      if (r < 0) this.slots[-1 - r] = i;
    }
  }
}

function mix(h: number, x: number): number {
  h ^= x;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

function cmp(s0: number, s1: number, s2: number, s3: number, sp: number, d0: number, d1: number, d2: number, d3: number, dp: number): number {
  if (s0 !== d0) return s0 < d0 ? -1 : 1;
  if (s1 !== d1) return s1 < d1 ? -1 : 1;
  if (s2 !== d2) return s2 < d2 ? -1 : 1;
  if (s3 !== d3) return s3 < d3 ? -1 : 1;
  return sp - dp;
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
