/**
 * Time bins whose width adapts to the capture: they start fine (1 ms) and double — merging pairs of
 * bins in every registered series — whenever a time falls beyond `maxBins` bins. So a series never has
 * more than `maxBins` cells whatever the duration, and a huge jump in time costs a few merges (once
 * everything sits in bin 0, further doublings cost nothing), never millions of bins.
 *
 * Bin i covers [i·w, (i+1)·w) from the first packet. Times are binned as whole nanoseconds against an
 * integer width in nanoseconds: floor(ns / w) of two integers below 2^53 is exact (so a packet at
 * 0.7 s lands in the 700th 1 ms bin, not the 699th as 0.7 / 0.001 would put it), and
 * floor(ns / 2w) = floor(floor(ns / w) / 2), so a value lands in the same bin whether it was added
 * before or after a merge.
 */
export class AdaptiveBins {
  /** Current width in nanoseconds (1 ms × 2^k). */
  binNs: number;
  /** One past the highest bin written. */
  used = 0;
  private readonly series: Float64Array[] = [];

  constructor(
    readonly maxBins: number,
    initialNs = 1_000_000,
  ) {
    this.binNs = initialNs;
  }

  get binSeconds(): number {
    return this.binNs / 1e9;
  }

  /** A new zeroed series that follows every merge. */
  create(): Float64Array {
    const s = new Float64Array(this.maxBins);
    this.series.push(s);
    return s;
  }

  /** Bin of time `t` seconds (t < 0 counts as 0), widening the bins first when needed. */
  bin(t: number): number {
    if (!(t > 0)) {
      if (this.used === 0) this.used = 1;
      return 0;
    }
    const ns = Math.round(t * 1e9);
    let b = Math.floor(ns / this.binNs);
    if (b >= this.maxBins) b = this.widen(ns);
    if (b >= this.used) this.used = b + 1;
    return b;
  }

  private widen(ns: number): number {
    const series = this.series;
    let b = Math.floor(ns / this.binNs);
    while (b >= this.maxBins) {
      if (this.used > 1) {
        const half = (this.used + 1) >> 1;
        for (let k = 0; k < series.length; k++) {
          const s = series[k];
          for (let i = 0; i < half; i++) {
            const j = i * 2;
            s[i] = s[j] + (j + 1 < this.used ? s[j + 1] : 0);
          }
          s.fill(0, half, this.used);
        }
        this.used = half;
      }
      this.binNs *= 2;
      b = Math.floor(ns / this.binNs);
    }
    return b;
  }

  /** The first `used` cells of a series as a plain array. */
  take(s: Float64Array): number[] {
    return Array.from(s.subarray(0, this.used));
  }
}
