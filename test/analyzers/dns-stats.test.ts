import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { DistributionBuilder, quantile, SpaceSavingTopK, TopN } from '../../worker/analyzers/dns-stats.js';
import { distribution } from '../../worker/report/primitives.js';

function histogramOk(d: ReturnType<DistributionBuilder['result']>): void {
  v.parse(distribution, d);
  const { edges, counts } = d.histogram;
  expect(counts.length).toBeLessThanOrEqual(64);
  expect(edges.length).toBe(counts.length === 0 ? 0 : counts.length + 1);
  for (let i = 1; i < edges.length; i++) expect(edges[i]).toBeGreaterThan(edges[i - 1]);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(d.count);
  if (d.count > 0) {
    expect(edges[0]).toBeLessThanOrEqual(d.min!);
    expect(edges[edges.length - 1]).toBeGreaterThanOrEqual(d.max!);
  }
}

describe('DistributionBuilder', () => {
  it('is empty with nulls and no bins', () => {
    const d = new DistributionBuilder().result();
    expect(d).toEqual({ count: 0, min: null, mean: null, median: null, p95: null, max: null, histogram: { edges: [], counts: [] } });
  });

  it('gives exact statistics for small samples (numpy-style interpolated quantiles)', () => {
    const b = new DistributionBuilder();
    for (const x of [0.004, 0.001, 0.003, 0.002, 0.1]) b.add(x);
    const d = b.result();
    expect(d.count).toBe(5);
    expect(d.min).toBe(0.001);
    expect(d.max).toBe(0.1);
    expect(d.mean).toBeCloseTo(0.022, 12);
    expect(d.median).toBe(0.003);
    expect(d.p95).toBeCloseTo(0.004 + 0.8 * (0.1 - 0.004), 12);
    histogramOk(d);
  });

  it('puts each value in the bin whose edges contain it', () => {
    const b = new DistributionBuilder();
    const xs = [0.001, 0.00126, 0.0015, 0.01, 0.0999, 0.1, 1];
    for (const x of xs) b.add(x);
    const d = b.result();
    histogramOk(d);
    for (const x of xs) {
      const i = d.histogram.edges.findIndex((e, k) => k < d.histogram.counts.length && x >= e && x < d.histogram.edges[k + 1]);
      expect(i, `bin for ${x}`).toBeGreaterThanOrEqual(0);
    }
  });

  it('handles zero, negative and huge values (out-of-order timestamps, stalls)', () => {
    const b = new DistributionBuilder();
    for (const x of [-0.5, 0, 0, 0.002, 1e9]) b.add(x);
    b.add(Number.NaN);
    const d = b.result();
    expect(d.count).toBe(5);
    expect(d.min).toBe(-0.5);
    expect(d.max).toBe(1e9);
    histogramOk(d);
    const only0 = new DistributionBuilder();
    only0.add(0);
    histogramOk(only0.result());
    const onlyHuge = new DistributionBuilder();
    onlyHuge.add(5e8);
    histogramOk(onlyHuge.result());
  });

  it('merges bins to at most 64 over a wide range', () => {
    const b = new DistributionBuilder();
    for (let e = -9; e < 7; e += 0.01) b.add(10 ** e);
    const d = b.result();
    histogramOk(d);
    expect(d.histogram.counts.length).toBeGreaterThan(30);
  });

  it('keeps count, mean, min and max exact beyond the sample cap, with quantiles from a reservoir', () => {
    const b = new DistributionBuilder({ sampleCap: 1000 });
    let sum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = (i % 1000) / 1000; // uniform on [0, 1)
      sum += x;
      b.add(x);
    }
    const d = b.result();
    expect(d.count).toBe(n);
    expect(d.mean).toBeCloseTo(sum / n, 12);
    expect(d.min).toBe(0);
    expect(d.max).toBe(0.999);
    expect(d.median!).toBeGreaterThan(0.4);
    expect(d.median!).toBeLessThan(0.6);
    expect(d.p95!).toBeGreaterThan(0.9);
    histogramOk(d);
  });

  it('quantile() interpolates', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  });
});

describe('SpaceSavingTopK', () => {
  it('is exact while keys fit, and keeps heavy hitters when they do not', () => {
    // Space-saving keeps every key heavier than total/capacity (270/16 ≈ 17) with an exact count here.
    const t = new SpaceSavingTopK<{ hits: number }>(16, () => ({ hits: 0 }));
    for (let i = 0; i < 50; i++) t.add('heavy').value.hits++;
    for (let i = 0; i < 20; i++) t.add('medium');
    for (let i = 0; i < 200; i++) t.add(`rare${i}`);
    const e = t.entries();
    expect(e).toHaveLength(16);
    expect(e[0]).toMatchObject({ key: 'heavy', count: 50, error: 0 });
    expect(e[0].value.hits).toBe(50);
    expect(e[1]).toMatchObject({ key: 'medium', count: 20, error: 0 });
    expect(t.replaced).toBe(186);
    expect(e[2].count).toBeLessThan(20);
    expect(t.total).toBe(270);
  });

  it('weights and lookups', () => {
    const t = new SpaceSavingTopK<null>(8, () => null);
    t.add('a', 5);
    t.add('b', 2);
    t.add('a');
    expect(t.get('a')?.count).toBe(6);
    expect(t.get('zzz')).toBeUndefined();
    expect(t.entries().map((x) => x.key)).toEqual(['a', 'b']);
  });
});

describe('TopN', () => {
  it('keeps the best n in order and counts the rest', () => {
    const t = new TopN<number>(3, (a, b) => b - a);
    for (const x of [5, 1, 9, 3, 7, 2]) t.add(x);
    expect(t.result()).toEqual({ items: [9, 7, 5], omitted: 3 });
  });
});
