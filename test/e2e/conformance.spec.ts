/**
 * One engine, two hosts: every capture of the corpus and the project's own fixtures is analysed inside
 * the browser's worker (through the e2e harness, which drives worker/hosts/web-worker.ts with the app's
 * own client) and in Node (as the CLI does); the reports must be equal, `analyzedAt` and `performance`
 * aside.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CORPUS_PRESENT, capturePath, corpusAbsentMessage, manifest } from '../corpus/corpus.js';
import { frames, pcapngOf, pcapOf } from '../engine/fixtures.js';
import { comparable, nodeReport } from './node-engine.js';
import { expect, test } from './fixtures.js';
import type { Report } from '../../worker/index.js';

test.setTimeout(240_000);

function projectFixtures(dir: string): string[] {
  const files: Array<[string, Uint8Array]> = [
    ['fixture-40.pcap', pcapOf(frames(40))],
    ['fixture-40-ns.pcap', pcapOf(frames(40), { magic: 'nsec' })],
    ['fixture-40.pcapng', pcapngOf(frames(40)).bytes()],
    ['fixture-40.pcap.gz', gzipSync(pcapOf(frames(40)))],
    ['fixture-truncated.pcap', pcapOf(frames(10)).subarray(0, 300)],
    ['fixture-empty.pcap', pcapOf([])],
  ];
  return files.map(([name, bytes]) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  });
}

test('browser worker and Node produce the same report for every corpus capture and fixture', async ({ page, env }) => {
  const files = projectFixtures(env.tmp);
  if (CORPUS_PRESENT) files.push(...manifest().map((e) => capturePath(e)));
  else test.info().annotations.push({ type: 'corpus', description: corpusAbsentMessage() });

  await page.goto(`${env.harness}/index.html`);
  await expect(page.locator('body[data-ready="1"]')).toHaveCount(1);
  const mismatches: string[] = [];
  const batch = 40;
  for (let start = 0; start < files.length; start += batch) {
    const chunk = files.slice(start, start + batch);
    await page.locator('#file').setInputFiles(chunk);
    for (let i = 0; i < chunk.length; i++) {
      const browserJson = await page.evaluate((k) => window.harness.analyze(k), i);
      const browser = JSON.parse(browserJson) as Report;
      const node = await nodeReport(chunk[i]);
      const a = comparable(browser);
      const b = comparable(node);
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        const diff = Object.keys(b).filter((k) => JSON.stringify((a as Record<string, unknown>)[k]) !== JSON.stringify((b as Record<string, unknown>)[k]));
        mismatches.push(`${chunk[i]}: sections differ: ${diff.join(', ')}`);
      }
    }
  }
  test.info().annotations.push({ type: 'compared', description: `${files.length} files` });
  expect(mismatches).toEqual([]);
  expect(files.length).toBeGreaterThan(5);
});
