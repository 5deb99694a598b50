/**
 * Bounded-memory statistics helpers (first written for the DNS analyzer, usable by any analyzer):
 *
 * - `DistributionBuilder` — the report's `distribution` (count, min, mean, median, p95, max and a
 *   log-spaced histogram of at most 64 bins) from a stream of any length in fixed memory.
 * - `SpaceSavingTopK` — heavy hitters (Metwally et al., "space-saving"): exact counts while fewer than
 *   `capacity` distinct keys were seen, bounded over-estimates after that.
 * - `TopN` — keeps the N best items of a stream under an ordering, and counts the rest.
 */
import type * as v from 'valibot';
import type { distribution } from '../report/primitives.js';

export type Distribution = v.InferOutput<typeof distribution>;

export interface DistributionOptions {
  /** Samples kept exactly for the median and p95; beyond this a uniform reservoir of this size. */
  sampleCap?: number;
  /** Histogram resolution: internal bins per decade (edges are 10^(k/binsPerDecade), 3 significant digits). */
  binsPerDecade?: number;
  /** Most bins in the output histogram (the schema allows 64). */
  maxBins?: number;
  /** Smallest positive value with a bin of its own; smaller (and ≤ 0) values share the first bin. */
  minPositive?: number;
  /** Values at or above this share the last bin. */
  maxValue?: number;
}

/**
 * Streaming distribution. count, min, mean and max are exact. The median and p95 are exact while at
 * most `sampleCap` values were added (linear interpolation between order statistics, like numpy's
 * default), then estimated from a uniform reservoir sample (Algorithm R, deterministic seed so reports
 * are reproducible). Histogram counts are exact: values are counted in fine log-spaced internal bins
 * that the output merges (by whole groups) into at most `maxBins` bins spanning the data.
 */
export class DistributionBuilder {
  private n = 0;
  /**
   * Sum, minimum and maximum. Kept in a Float64Array rather than number fields: a field that starts
   * as 0 holds a small integer, and the first fractional value changes the object's hidden class,
   * which deoptimizes every compiled function that has seen the old one.
   */
  private readonly acc = Float64Array.of(0, Infinity, -Infinity);
  private readonly cap: number;
  private samples: Float64Array;
  /** xorshift32 state as int32 (as uint32 it would not stay a small integer either). */
  private rng = 0x2545f491;
  private readonly perDecade: number;
  private readonly maxBins: number;
  private readonly kMin: number;
  private readonly kMax: number;
  /** edges[i] = lower edge of internal bin kMin + i (one more entry than bins). */
  private readonly edges: Float64Array;
  private readonly bins: Float64Array;
  private low = 0;
  private high = 0;

  constructor(o: DistributionOptions = {}) {
    this.cap = Math.max(1, o.sampleCap ?? 65_536);
    this.samples = new Float64Array(Math.min(this.cap, 1024));
    this.perDecade = Math.max(1, Math.round(o.binsPerDecade ?? 10));
    this.maxBins = Math.max(3, Math.min(64, o.maxBins ?? 64));
    this.kMin = Math.floor(Math.log10(o.minPositive ?? 1e-9) * this.perDecade);
    this.kMax = Math.ceil(Math.log10(o.maxValue ?? 1e7) * this.perDecade);
    const nb = this.kMax - this.kMin;
    this.edges = binEdges(this.perDecade, this.kMin, this.kMax);
    this.bins = new Float64Array(nb);
  }

  get count(): number {
    return this.n;
  }

  get mean(): number | null {
    return this.n > 0 ? this.acc[0] / this.n : null;
  }

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    const n = this.n++;
    const acc = this.acc;
    acc[0] += x;
    if (x < acc[1]) acc[1] = x;
    if (x > acc[2]) acc[2] = x;
    if (n < this.cap) {
      if (n >= this.samples.length) {
        const grown = new Float64Array(Math.min(this.cap, this.samples.length * 2));
        grown.set(this.samples);
        this.samples = grown;
      }
      this.samples[n] = x;
    } else {
      // Algorithm R: the (n+1)-th value replaces a random slot with probability cap/(n+1).
      const j = Math.floor(this.random() * (n + 1));
      if (j < this.cap) this.samples[j] = x;
    }
    this.bin(x);
  }

  private bin(x: number): void {
    const e = this.edges;
    if (!(x >= e[0])) {
      this.low++;
      return;
    }
    if (x >= e[e.length - 1]) {
      this.high++;
      return;
    }
    let i = Math.floor(Math.log10(x) * this.perDecade) - this.kMin;
    if (i < 0) i = 0;
    if (i > e.length - 2) i = e.length - 2;
    // The edges are rounded: settle the index against them exactly.
    while (i > 0 && x < e[i]) i--;
    while (i < e.length - 2 && x >= e[i + 1]) i++;
    this.bins[i]++;
  }

  /** xorshift32 in [0, 1). */
  private random(): number {
    let s = this.rng;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.rng = s | 0;
    return (s >>> 0) / 4294967296;
  }

  result(): Distribution {
    if (this.n === 0) return { count: 0, min: null, mean: null, median: null, p95: null, max: null, histogram: { edges: [], counts: [] } };
    const k = Math.min(this.n, this.cap);
    const sorted = this.samples.slice(0, k).sort();
    return {
      count: this.n,
      min: this.acc[1],
      mean: this.acc[0] / this.n,
      median: quantile(sorted, 0.5),
      p95: quantile(sorted, 0.95),
      max: this.acc[2],
      histogram: this.histogram(),
    };
  }

  private histogram(): { edges: number[]; counts: number[] } {
    const e = this.edges;
    const top = e.length - 1;
    const bins = this.bins;
    let first = -1;
    let last = -1;
    for (let i = 0; i < bins.length; i++) {
      if (bins[i] === 0) continue;
      if (first < 0) first = i;
      last = i;
    }
    const edges: number[] = [];
    const counts: number[] = [];
    // Values below the first internal edge (including zero and negatives) share one bin from the minimum.
    if (this.low > 0) {
      edges.push(this.acc[1]);
      counts.push(this.low);
    }
    if (first >= 0) {
      const span = last - first + 1;
      const slots = this.maxBins - (this.low > 0 ? 1 : 0) - (this.high > 0 ? 2 : 0);
      const group = Math.ceil(span / slots);
      for (let i = first; i <= last; i += group) {
        edges.push(e[i]);
        let c = 0;
        for (let j = i; j < i + group && j < bins.length; j++) c += bins[j];
        counts.push(c);
      }
      const end = Math.min(first + Math.ceil(span / group) * group, top);
      edges.push(e[end]);
    } else if (this.low > 0) {
      edges.push(e[0]);
    }
    // Values at or above the last internal edge share one bin up to the maximum.
    if (this.high > 0) {
      if (edges.length === 0) edges.push(e[top]);
      else if (edges[edges.length - 1] < e[top]) {
        edges.push(e[top]);
        counts.push(0);
      }
      edges.push(this.acc[2] > e[top] ? this.acc[2] : e[top] * 10);
      counts.push(this.high);
    }
    return { edges, counts };
  }
}

/** Internal bin edges by resolution, computed once per process (every builder with the same options shares them; never written). */
const EDGES = new Map<string, Float64Array>();

function binEdges(perDecade: number, kMin: number, kMax: number): Float64Array {
  const key = `${perDecade}/${kMin}/${kMax}`;
  let e = EDGES.get(key);
  if (e === undefined) {
    e = new Float64Array(kMax - kMin + 1);
    for (let i = 0; i < e.length; i++) e[i] = Number((10 ** ((kMin + i) / perDecade)).toPrecision(3));
    EDGES.set(key, e);
  }
  return e;
}

/** Linear interpolation between order statistics of an ascending array (numpy's default method). */
export function quantile(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * q;
  const i = Math.floor(h);
  if (i >= n - 1) return sorted[n - 1];
  return sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]);
}

export interface TopKEntry<T> {
  readonly key: string;
  /** Weight counted for the key; an over-estimate by at most `error` once keys were replaced. */
  count: number;
  /** Weight the key may have inherited from the key it replaced (0 = exact). */
  error: number;
  value: T;
  /** Position in the heap. */
  pos: number;
}

/**
 * Space-saving heavy hitters over string keys with a payload per key. `add` counts weight for a key;
 * when `capacity` keys are tracked, a new key replaces the one with the smallest count and inherits
 * that count (as `error`); its payload starts fresh. O(log capacity) per call.
 */
export class SpaceSavingTopK<T> {
  private readonly map = new Map<string, TopKEntry<T>>();
  private readonly heap: TopKEntry<T>[] = [];
  /** Keys dropped to make room (a key can be dropped more than once). */
  replaced = 0;
  /** Total weight added. */
  total = 0;

  constructor(
    readonly capacity: number,
    private readonly make: (key: string) => T,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): TopKEntry<T> | undefined {
    return this.map.get(key);
  }

  add(key: string, weight = 1): TopKEntry<T> {
    this.total += weight;
    let e = this.map.get(key);
    if (e) {
      e.count += weight;
      this.down(e.pos);
      return e;
    }
    if (this.heap.length < this.capacity) {
      e = { key, count: weight, error: 0, value: this.make(key), pos: this.heap.length };
      this.heap.push(e);
      this.map.set(key, e);
      this.up(e.pos);
      return e;
    }
    const min = this.heap[0];
    this.map.delete(min.key);
    this.replaced++;
    e = { key, count: min.count + weight, error: min.count, value: this.make(key), pos: 0 };
    this.heap[0] = e;
    this.map.set(key, e);
    this.down(0);
    return e;
  }

  /** Tracked entries, largest count first (ties by key). */
  entries(): TopKEntry<T>[] {
    return [...this.heap].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private up(i: number): void {
    const h = this.heap;
    const e = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].count <= e.count) break;
      h[i] = h[p];
      h[i].pos = i;
      i = p;
    }
    h[i] = e;
    e.pos = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r].count < h[l].count ? r : l;
      if (h[c].count >= e.count) break;
      h[i] = h[c];
      h[i].pos = i;
      i = c;
    }
    h[i] = e;
    e.pos = i;
  }
}

/**
 * The `n` best items of a stream under `before` (a negative result puts `a` ahead of `b`), and how
 * many were left out. Adding is O(1) when the item does not make the cut, O(n) when it does.
 */
export class TopN<T> {
  readonly items: T[] = [];
  omitted = 0;

  constructor(
    readonly n: number,
    private readonly before: (a: T, b: T) => number,
  ) {}

  /** Whether an item ranked like `probe` would be kept (lets callers skip building the item). */
  wouldKeep(probe: T): boolean {
    return this.items.length < this.n || this.before(probe, this.items[this.items.length - 1]) < 0;
  }

  add(item: T): void {
    const items = this.items;
    if (items.length >= this.n) {
      this.omitted++;
      if (this.n === 0 || this.before(item, items[items.length - 1]) >= 0) return;
      items.pop();
    }
    let i = items.length;
    while (i > 0 && this.before(item, items[i - 1]) < 0) i--;
    items.splice(i, 0, item);
  }

  result(): { items: T[]; omitted: number } {
    return { items: [...this.items], omitted: this.omitted };
  }
}
