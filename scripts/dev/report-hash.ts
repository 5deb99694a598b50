// Dev aid: a hash of every full report (timing fields removed) over the corpus and any extra files, so an
// optimisation can be checked to change nothing: run it before and after (or in two trees) and diff.
// Usage: tsx scripts/dev/report-hash.ts [extra files…] > hashes.txt
import { createHash } from 'node:crypto';
import { analyzeCapture } from '../../worker/index.js';
import { fileSource } from '../../server/file-source.js';
import { capturePath, CORPUS_PRESENT, manifest } from '../../test/corpus/corpus.js';

const files = [...(CORPUS_PRESENT ? manifest().map((e) => capturePath(e)) : []), ...process.argv.slice(2)];
for (const f of files) {
  const { source, size } = await fileSource(f);
  const r = await analyzeCapture(source, { totalBytes: size, now: () => new Date(0) });
  const { performance: _p, ...rest } = r;
  console.log(`${createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16)} ${f}`);
}
