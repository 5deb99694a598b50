import * as v from 'valibot';

/**
 * Building blocks for the report schema. Every string and array is bounded, because a shared report
 * is untrusted input: the validator is what stops an oversized or hostile report on the server and in
 * other people's browsers.
 */
export const count = v.pipe(v.number(), v.integer(), v.minValue(0));
export const num = v.pipe(v.number(), v.finite());
export const nonNeg = v.pipe(v.number(), v.finite(), v.minValue(0));
export const seconds = nonNeg;
export const frame = v.pipe(v.number(), v.integer(), v.minValue(1));
export const flowId = v.pipe(v.number(), v.integer(), v.minValue(0));

export function text(max: number) {
  return v.pipe(v.string(), v.maxLength(max));
}

export function list<T extends v.GenericSchema>(item: T, max: number) {
  return v.pipe(v.array(item), v.maxLength(max));
}

/** A map with bounded keys and entry count. */
export function dict<T extends v.GenericSchema>(value: T, maxEntries: number, keyMax = 64) {
  return v.pipe(
    v.record(text(keyMax), value),
    v.check((r) => Object.keys(r).length <= maxEntries, `at most ${maxEntries} entries`),
  );
}

/** An IPv4 or IPv6 address in text form (or a pseudonym after redaction). */
export const address = text(64);

export const endpoint = v.object({ ip: address, port: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)) });

/** Histogram-ready distribution of a sample of values (seconds unless stated). */
export const distribution = v.object({
  count,
  min: v.nullable(num),
  mean: v.nullable(num),
  median: v.nullable(num),
  p95: v.nullable(num),
  max: v.nullable(num),
  /** Bin edges (ascending, length = counts.length + 1) and counts. */
  histogram: v.object({ edges: list(num, 65), counts: list(count, 64) }),
});

/** A capped list: what was kept and how many were left out. */
export function capped<T extends v.GenericSchema>(item: T, max: number) {
  return v.object({ items: list(item, max), omitted: count });
}

/** Evidence a finding or event points to, with a Wireshark display filter selecting it. */
export const evidence = v.object({
  flows: list(flowId, 50),
  frames: list(frame, 100),
  filter: text(1000),
});
