/**
 * Per-flow ACK RTT summaries in fixed memory: count, sum, min, max and a p95 estimate from the P²
 * algorithm (Jain & Chlamtac, 1985: five markers, parabolic adjustment), exact while a flow has at most
 * five samples. One 80-byte block per flow that has samples, allocated on its first sample.
 */
/** Numbers per block: count, sum, q0..q4 (q0 = min, q4 = max), n1..n3 (marker positions, 1-based). */
const enum Block {
  SIZE = 10,
}
const P = 0.95;
const F = [0, P / 2, P, (1 + P) / 2, 1];

export interface RttSummary {
  count: number;
  min: number;
  mean: number;
  p95: number;
  max: number;
}

export class FlowRttTable {
  private blockOf = new Int32Array(0);
  private data = new Float64Array(64 * Block.SIZE);
  private blocks = 0;

  private ensureRows(n: number): void {
    if (n <= this.blockOf.length) return;
    const b = new Int32Array(Math.max(n, this.blockOf.length * 2, 1024)).fill(-1);
    b.set(this.blockOf);
    this.blockOf = b;
  }

  /** The sample `add` records (a field, so the per-sample call boxes nothing). */
  value = 0;

  add(row: number): void {
    const x = this.value;
    this.ensureRows(row + 1);
    let b = this.blockOf[row];
    if (b < 0) {
      b = this.blocks++;
      if (b * Block.SIZE + Block.SIZE > this.data.length) {
        const d = new Float64Array(this.data.length * 2);
        d.set(this.data);
        this.data = d;
      }
      this.blockOf[row] = b;
      this.data.fill(0, b * Block.SIZE, b * Block.SIZE + Block.SIZE);
    }
    const d = this.data;
    const o = b * Block.SIZE;
    const n = d[o] + 1;
    d[o] = n;
    d[o + 1] += x;
    const q = o + 2;
    if (n <= 5) {
      // Insertion into the sorted first samples.
      let i = n - 1;
      while (i > 0 && d[q + i - 1] > x) {
        d[q + i] = d[q + i - 1];
        i--;
      }
      d[q + i] = x;
      if (n === 5) {
        d[o + 7] = 2;
        d[o + 8] = 3;
        d[o + 9] = 4;
      }
      return;
    }
    // Cell k with q[k] <= x < q[k+1]; extremes move the end markers.
    let k: number;
    if (x < d[q]) {
      d[q] = x;
      k = 0;
    } else if (x >= d[q + 4]) {
      d[q + 4] = x;
      k = 3;
    } else {
      k = 0;
      while (k < 3 && x >= d[q + k + 1]) k++;
    }
    // Marker positions: n0 = 1, n4 = count; n1..n3 stored.
    for (let i = k + 1; i <= 3; i++) d[o + 6 + i]++;
    for (let i = 1; i <= 3; i++) {
      const ni = d[o + 6 + i];
      const nPrev = i === 1 ? 1 : d[o + 6 + i - 1];
      const nNext = i === 3 ? n : d[o + 6 + i + 1];
      const want = 1 + (n - 1) * F[i];
      const delta = want - ni;
      if ((delta >= 1 && nNext - ni > 1) || (delta <= -1 && nPrev - ni < -1)) {
        const s = delta >= 0 ? 1 : -1;
        const qi = d[q + i];
        const qPrev = d[q + i - 1];
        const qNext = d[q + i + 1];
        const par = qi + (s / (nNext - nPrev)) * (((ni - nPrev + s) * (qNext - qi)) / (nNext - ni) + ((nNext - ni - s) * (qi - qPrev)) / (ni - nPrev));
        if (qPrev < par && par < qNext) d[q + i] = par;
        else d[q + i] = qi + (s * (d[q + i + s] - qi)) / ((s === 1 ? nNext : nPrev) - ni);
        d[o + 6 + i] = ni + s;
      }
    }
  }

  summary(row: number): RttSummary | null {
    if (row >= this.blockOf.length) return null;
    const b = this.blockOf[row];
    if (b < 0) return null;
    const d = this.data;
    const o = b * Block.SIZE;
    const n = d[o];
    const q = o + 2;
    if (n <= 5) {
      const h = (n - 1) * P;
      const i = Math.floor(h);
      const p95 = i >= n - 1 ? d[q + n - 1] : d[q + i] + (h - i) * (d[q + i + 1] - d[q + i]);
      return { count: n, min: d[q], mean: d[o + 1] / n, p95, max: d[q + n - 1] };
    }
    return { count: n, min: d[q], mean: d[o + 1] / n, p95: d[q + 2], max: d[q + 4] };
  }
}
