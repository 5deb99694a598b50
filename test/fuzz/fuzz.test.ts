/**
 * A short fuzz run inside `npm test` (a few hundred cases, a few seconds). For a long run:
 * `npm run fuzz -- --seconds 600 [--seed S]`. To replay a failure reported here, set FUZZ_SEED and
 * FUZZ_PATH (capture property) or FUZZ_DNS_SEED and FUZZ_DNS_PATH (DNS names) to the seed and path
 * fast-check prints.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { frames, pcapOf } from '../engine/fixtures.js';
import { captureProperty, checkCaptureInput, dnsProperty, EngineHangError, EngineHost, loadSeeds } from './fuzz.js';

function replay(seed: string | undefined, path: string | undefined): { seed?: number; path?: string } {
  return seed ? { seed: Number(seed), ...(path ? { path } : {}) } : {};
}

describe('fuzz: mutated captures and DNS names', () => {
  const host = new EngineHost(10_000);
  const seeds = loadSeeds();
  afterAll(() => host.close());

  it('every seed, unmutated, reads within bounds and the same in any chunking', async () => {
    expect(seeds.length).toBeGreaterThanOrEqual(7);
    for (const s of seeds) {
      for (const chunks of [[1], [5, 3], [4096]]) await checkCaptureInput(host, s.bytes, chunks).catch((e: Error) => {
        throw new Error(`${s.name}: ${e.message}`);
      });
    }
  });

  it('mutated captures in random chunkings: always an answer, within bounds, independent of chunking', async () => {
    await fc.assert(captureProperty(host, seeds), { numRuns: 500, ...replay(process.env.FUZZ_SEED, process.env.FUZZ_PATH) });
  });

  it('DNS names: readDnsName and skipDnsName terminate, agree, and cap names at 255 wire bytes', async () => {
    await fc.assert(dnsProperty(host), { numRuns: 1000, ...replay(process.env.FUZZ_DNS_SEED, process.env.FUZZ_DNS_PATH) });
  });

  it('the watchdog reports an engine that does not answer in time, then starts a fresh worker', async () => {
    const impatient = new EngineHost(1);
    try {
      const big = pcapOf(frames(3000));
      await expect(checkCaptureInput(impatient, big, [1])).rejects.toBeInstanceOf(EngineHangError);
      expect(impatient.starts).toBe(1);
      await expect(checkCaptureInput(impatient, big, [1])).rejects.toBeInstanceOf(EngineHangError);
      expect(impatient.starts).toBe(2);
    } finally {
      await impatient.close();
    }
  });
});
