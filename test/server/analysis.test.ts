import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { validateReport } from '../../worker/index.js';
import { inlineRunner, threadRunner } from '../../server/analysis.js';
import { AnalysisFailure } from '../../server/engine.js';
import { captureFile, tempDir } from './helpers.js';

/** The analysis runners: the worker thread gives the same report as the inline engine, and fails cleanly. */
const tmp = tempDir('pcap-analysis-');
afterAll(() => tmp.cleanup());
const hooks = () => ({ signal: new AbortController().signal, onProgress: () => {} });
const strip = (json: string) => {
  const { analyzedAt: _a, performance: _p, ...rest } = JSON.parse(json) as Record<string, unknown>;
  return rest;
};

describe('analysis runners', () => {
  it('the worker thread (server/analysis-thread.ts) reports what the inline engine reports', async () => {
    const spoolPath = captureFile(tmp.dir, 2_000_000, 'thread.pcap');
    const job = { spoolPath, fileName: 'thread.pcap', totalBytes: 0 };
    const progress: number[] = [];
    const threaded = await threadRunner({ memoryMb: 512, timeoutMs: 60_000 })(job, { signal: new AbortController().signal, onProgress: (p) => progress.push(p.sourceBytes) });
    const inline = await inlineRunner(job, hooks());
    expect(strip(threaded.json)).toEqual(strip(inline.json));
    expect(validateReport(JSON.parse(threaded.json)).ok).toBe(true);
    expect(threaded.packets).toBeGreaterThan(1000);
    expect(progress.at(-1)).toBeGreaterThan(0);
  });

  it('fails a gzip file that holds no capture as unreadable, in a thread too', async () => {
    const spoolPath = join(tmp.dir, 'junk.gz');
    writeFileSync(spoolPath, gzipSync(Buffer.from('this is not a capture at all, just text. '.repeat(100))));
    for (const runner of [inlineRunner, threadRunner({ memoryMb: 256, timeoutMs: 60_000 })]) {
      const e = await runner({ spoolPath, fileName: 'junk.gz', totalBytes: 0 }, hooks()).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AnalysisFailure);
      expect((e as AnalysisFailure).code).toBe('unreadable_capture');
      expect((e as AnalysisFailure).message).toMatch(/could not be read as a capture/);
    }
  });

  it('stops a thread that runs past the timeout, and one that is cancelled', async () => {
    const spoolPath = captureFile(tmp.dir, 10_000, 'slow.pcap');
    const entry = new URL('./fixtures/busy-thread.ts', import.meta.url);
    const slow = threadRunner({ memoryMb: 256, timeoutMs: 300, entry });
    const e = await slow({ spoolPath, fileName: null, totalBytes: 0 }, hooks()).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'timeout' });
    const ac = new AbortController();
    const pending = threadRunner({ memoryMb: 256, timeoutMs: 60_000, entry })({ spoolPath, fileName: null, totalBytes: 0 }, { signal: ac.signal, onProgress: () => {} });
    setTimeout(() => ac.abort(), 100);
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
  });
});
