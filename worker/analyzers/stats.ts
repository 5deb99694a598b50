/**
 * Small allocation-free building blocks shared by the traffic analyzers: a hash table keyed by four
 * 32-bit words, a bounded "largest N" keeper, and growable typed columns indexed by flow row.
 */

/** Mixes four 32-bit words into a 32-bit hash (murmur3-style finalisation per word). */
export function hash4(a: number, b: number, c: number, d: number): number {
  let h = 0x9747b28c;
  h = Math.imul(h ^ mix(a), 0x85ebca6b);
  h = Math.imul(h ^ mix(b), 0xc2b2ae35);
  h = Math.imul(h ^ mix(c), 0x85ebca6b);
  h = Math.imul(h ^ mix(d), 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

/** Folds the 16 bytes of an IPv6 address at `off` in `dv` into 32 bits. */
export function hashAddress16(dv: DataView, off: number): number {
  return hash4(dv.getUint32(off), dv.getUint32(off + 4), dv.getUint32(off + 8), dv.getUint32(off + 12));
}

/**
 * Open-addressing hash table (linear probing, backward-shift deletion) keyed by four uint32 words,
 * with one float64 value per entry. Fixed capacity; `insert` refuses (returns -1) once `maxEntries`
 * are live, so memory is bounded and probing stays short (load ≤ 50 %).
 */
export class QuadKeyTable {
  readonly capacity: number;
  readonly maxEntries: number;
  private readonly mask: number;
  private readonly keys: Uint32Array;
  private readonly used: Uint8Array;
  readonly value: Float64Array;
  size = 0;

  constructor(log2Capacity: number) {
    this.capacity = 1 << log2Capacity;
    this.maxEntries = this.capacity >>> 1;
    this.mask = this.capacity - 1;
    this.keys = new Uint32Array(this.capacity * 4);
    this.used = new Uint8Array(this.capacity);
    this.value = new Float64Array(this.capacity);
  }

  private home(a: number, b: number, c: number, d: number): number {
    return hash4(a, b, c, d) & this.mask;
  }

  /** Slot holding the key, or -1. */
  find(a: number, b: number, c: number, d: number): number {
    const k = this.keys;
    let i = this.home(a, b, c, d);
    while (this.used[i]) {
      const o = i * 4;
      if (k[o] === a >>> 0 && k[o + 1] === b >>> 0 && k[o + 2] === c >>> 0 && k[o + 3] === d >>> 0) return i;
      i = (i + 1) & this.mask;
    }
    return -1;
  }

  /** Inserts a key known to be absent; returns its slot, or -1 when the table is full. */
  insert(a: number, b: number, c: number, d: number, value: number): number {
    if (this.size >= this.maxEntries) return -1;
    let i = this.home(a, b, c, d);
    while (this.used[i]) i = (i + 1) & this.mask;
    const o = i * 4;
    this.keys[o] = a;
    this.keys[o + 1] = b;
    this.keys[o + 2] = c;
    this.keys[o + 3] = d;
    this.used[i] = 1;
    this.value[i] = value;
    this.size++;
    return i;
  }

  remove(slot: number): void {
    const k = this.keys;
    const mask = this.mask;
    let i = slot;
    this.used[i] = 0;
    this.size--;
    // Backward-shift: move later entries of the probe run into the hole when their home allows it.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (!this.used[j]) return;
      const oj = j * 4;
      const h = this.home(k[oj], k[oj + 1], k[oj + 2], k[oj + 3]);
      // Entry j may move to i only if its home is not cyclically within (i, j].
      const between = i <= j ? h > i && h <= j : h > i || h <= j;
      if (between) continue;
      const oi = i * 4;
      k[oi] = k[oj];
      k[oi + 1] = k[oj + 1];
      k[oi + 2] = k[oj + 2];
      k[oi + 3] = k[oj + 3];
      this.value[i] = this.value[j];
      this.used[i] = 1;
      this.used[j] = 0;
      i = j;
    }
  }

  /** Removes every entry whose value is below `limit`; returns how many were removed. */
  removeBelow(limit: number): number {
    let removed = 0;
    // Removal shifts later entries of the run backwards into the hole, so rescan the slot. Entries only
    // move backwards, into slots already kept or about to be rescanned, so one pass finds them all.
    for (let i = 0; i < this.capacity; ) {
      if (this.used[i] && this.value[i] < limit) {
        this.remove(i);
        removed++;
        continue;
      }
      i++;
    }
    return removed;
  }
}

/**
 * Keeps the N entries with the largest keys among everything offered, each with `fields` numbers,
 * in one flat Float64Array. Offering is O(1) unless the entry makes the cut (then O(N) to find the new
 * minimum), so it suits events that are rare relative to packets (gaps, bursts).
 */
export class TopN {
  readonly keys: Float64Array;
  readonly data: Float64Array;
  size = 0;
  /** Everything ever offered. */
  offered = 0;
  private minIdx = 0;

  constructor(
    readonly capacity: number,
    readonly fields: number,
  ) {
    this.keys = new Float64Array(capacity);
    this.data = new Float64Array(capacity * fields);
  }

  /** Slot the caller fills with `fields` numbers at data[slot * fields …], or -1 when it did not make the cut. */
  offer(key: number): number {
    this.offered++;
    let slot: number;
    if (this.size < this.capacity) {
      slot = this.size++;
    } else {
      if (key <= this.keys[this.minIdx]) return -1;
      slot = this.minIdx;
    }
    this.keys[slot] = key;
    if (this.size === this.capacity) {
      let m = 0;
      for (let i = 1; i < this.size; i++) if (this.keys[i] < this.keys[m]) m = i;
      this.minIdx = m;
    }
    return slot;
  }

  /** Slots ordered by key, largest first (ties: the earlier slot first). */
  order(): number[] {
    const idx = Array.from({ length: this.size }, (_, i) => i);
    return idx.sort((a, b) => this.keys[b] - this.keys[a] || a - b);
  }

  get omitted(): number {
    return this.offered - this.size;
  }
}

/** A copy of a typed array grown to at least `min` elements (doubling), `fill` in the new cells. */
export function growF64(a: Float64Array, min: number, fill = 0): Float64Array<ArrayBuffer> {
  const b = new Float64Array(Math.max(min, a.length * 2));
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}

export function growI32(a: Int32Array, min: number, fill = 0): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(min, a.length * 2));
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}

/** Rounds to `digits` decimals for report output (keeps reports stable and small). */
export function round(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
