import { describe, expect, it } from 'vitest';
import { formatCount } from '../../worker/analyzers/findings.js';

describe('formatCount', () => {
  it("writes numbers exactly as toLocaleString('en-US') does", () => {
    const xs = [0, -0, 1, 12, 123, 999, 1000, 1234, 12345, 123456, 999999, 1_000_000, 1_234_567, 12_345_678, -1, -999, -1000, -1_234_567];
    xs.push(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1e21, 1.5, 1234.5678, -0.25, Number.NaN, Infinity, -Infinity);
    let seed = 12345;
    for (let i = 0; i < 20_000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      const magnitude = 10 ** ((seed >>> 8) % 16);
      xs.push(Math.floor(((seed >>> 0) / 4294967296) * magnitude) * (seed & 1 ? -1 : 1));
    }
    for (const x of xs) expect(formatCount(x), String(x)).toBe(x.toLocaleString('en-US'));
  });
});
