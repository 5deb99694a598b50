/**
 * A bounded open-addressing index over keys of `words` 32-bit words (addresses, ports, hashes), for the
 * detectors' per-entity state. No per-lookup allocation; the caller keeps its statistics in typed-array
 * columns indexed by the entry number, grown in `onGrow` as the table doubles from a small start up to
 * `maxCapacity` (so ordinary captures allocate little). When the table is full the caller evicts entries
 * with `compact`, which renumbers survivors downwards (new index ≤ old index), so columns can be
 * moved in place.
 */
export class KeyTable {
  keys: Uint32Array;
  size = 0;
  /** Current capacity; grows by doubling up to maxCapacity (then callers evict). */
  capacity: number;
  /** Entries dropped by compactions over the run (reported as untracked state). */
  evicted = 0;
  /** Called after the table grew, so the owner can grow its columns to the new capacity. */
  onGrow: ((capacity: number) => void) | undefined;
  private slots: Int32Array;
  private mask: number;

  constructor(
    readonly words: number,
    readonly maxCapacity: number,
    initial = 256,
  ) {
    this.capacity = Math.min(initial, maxCapacity);
    this.keys = new Uint32Array(words * this.capacity);
    const n = slotCount(this.capacity);
    this.slots = new Int32Array(n).fill(-1);
    this.mask = n - 1;
  }

  private grow(): void {
    const cap = Math.min(this.maxCapacity, this.capacity * 2);
    const keys = new Uint32Array(this.words * cap);
    keys.set(this.keys);
    this.keys = keys;
    this.capacity = cap;
    const n = slotCount(cap);
    this.slots = new Int32Array(n).fill(-1);
    this.mask = n - 1;
    this.reindex();
    this.onGrow?.(cap);
  }

  private reindex(): void {
    const W = this.words;
    this.slots.fill(-1);
    for (let i = 0; i < this.size; i++) {
      let slot = this.hash(this.keys.subarray(i * W, i * W + W)) & this.mask;
      while (this.slots[slot] >= 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = i;
    }
  }

  get full(): boolean {
    return this.size >= this.maxCapacity;
  }

  /** Hash of the key in `k[0 .. words)`. */
  private hash(k: Uint32Array | readonly number[]): number {
    let h = 0x9e3779b1;
    for (let i = 0; i < this.words; i++) {
      h ^= k[i];
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
    }
    return h;
  }

  /** Index of the key, or -1. */
  find(k: Uint32Array): number {
    const W = this.words;
    const keys = this.keys;
    let slot = this.hash(k) & this.mask;
    for (;;) {
      const idx = this.slots[slot];
      if (idx < 0) return -1;
      let j = 0;
      const base = idx * W;
      while (j < W && keys[base + j] === k[j]) j++;
      if (j === W) return idx;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Index of the key, inserting it when absent; -1 when absent and the table is full. `inserted` tells which. */
  inserted = false;
  findOrInsert(k: Uint32Array): number {
    const W = this.words;
    const keys = this.keys;
    let slot = this.hash(k) & this.mask;
    for (;;) {
      const idx = this.slots[slot];
      if (idx < 0) break;
      let j = 0;
      const base = idx * W;
      while (j < W && keys[base + j] === k[j]) j++;
      if (j === W) {
        this.inserted = false;
        return idx;
      }
      slot = (slot + 1) & this.mask;
    }
    if (this.size >= this.capacity) {
      if (this.capacity >= this.maxCapacity) {
        this.inserted = false;
        return -1;
      }
      this.grow();
      return this.findOrInsert(k);
    }
    const idx = this.size++;
    keys.set(k.subarray(0, W), idx * W);
    this.slots[slot] = idx;
    this.inserted = true;
    return idx;
  }

  /**
   * Keeps the entries for which keep[i] is non-zero, renumbered in order; returns old → new index
   * (-1 for dropped entries). The caller moves its columns with `moveColumns`.
   */
  compact(keep: Uint8Array): Int32Array {
    const W = this.words;
    const remap = new Int32Array(this.size).fill(-1);
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      if (!keep[i]) continue;
      if (n !== i) this.keys.copyWithin(n * W, i * W, i * W + W);
      remap[i] = n++;
    }
    this.evicted += this.size - n;
    this.keys.fill(0, n * W, this.size * W);
    this.size = n;
    this.reindex();
    return remap;
  }
}

function slotCount(capacity: number): number {
  let n = 1;
  while (n < capacity * 2) n *= 2;
  return n;
}

type Column = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** A copy of `a` with room for `n` values (the existing values kept, the rest zero). */
export function resized<T extends Column>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a.length <= n ? a : (a.subarray(0, n) as T));
  return b;
}

/** Moves per-entry blocks of `stride` values after a compaction (new index ≤ old index), zeroing the tail. */
export function moveColumns(remap: Int32Array, oldSize: number, columns: ReadonlyArray<readonly [Column, number]>): void {
  let kept = 0;
  for (let i = 0; i < oldSize; i++) if (remap[i] >= 0) kept++;
  for (const [col, stride] of columns) {
    for (let i = 0; i < oldSize; i++) {
      const n = remap[i];
      if (n >= 0 && n !== i) col.copyWithin(n * stride, i * stride, i * stride + stride);
    }
    col.fill(0, kept * stride, oldSize * stride);
  }
}

/**
 * Keep-mask for evicting roughly the lower half of entries by `score` (ties at the median dropped),
 * always keeping entries marked in `pinned`.
 */
export function keepUpperHalf(score: ArrayLike<number>, size: number, pinned?: Uint8Array): Uint8Array {
  const s = new Float64Array(size);
  for (let i = 0; i < size; i++) s[i] = score[i];
  s.sort();
  const median = size > 0 ? s[size >> 1] : 0;
  const keep = new Uint8Array(size);
  for (let i = 0; i < size; i++) keep[i] = score[i] > median || (pinned !== undefined && pinned[i] !== 0) ? 1 : 0;
  return keep;
}

/** Integer hash of up to four address words, for sketches. */
export function hashWords(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x27d4eb2f, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h ^ w1, 0xc2b2ae35);
  h ^= h >>> 13;
  h = Math.imul(h ^ w2, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h ^ w3, 0xc2b2ae35);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Linear-counting estimate of distinct items from a bitmap of `bits` bits with `zeros` bits unset. */
export function linearCount(bits: number, zeros: number): number {
  if (zeros <= 0) return bits * Math.log(bits); // saturated: a lower bound
  return -bits * Math.log(zeros / bits);
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
