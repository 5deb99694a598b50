/**
 * `npm run conformance`: runs the full analysis on every capture of the corpus and prints, capture by
 * capture and metric by metric, our figure next to tshark 4.0.17's reference and the verdict.
 * Exit status 1 when any metric is a MISMATCH (the same check test/corpus/conformance.test.ts makes).
 */
import { parseArgs } from 'node:util';
import { analyzeCapture } from '../worker/index.js';
import { fileSource } from '../server/file-source.js';
import { capturePath, CORPUS_DIR, CORPUS_PRESENT, corpusAbsentMessage, manifest, reference } from '../test/corpus/corpus.js';
import { compare, markdownTable, type ConformanceRow } from '../test/corpus/conformance.js';

const { values } = parseArgs({ options: { all: { type: 'boolean', default: false }, filter: { type: 'string' } } });
if (!CORPUS_PRESENT) {
  process.stderr.write(`${corpusAbsentMessage()}\n`);
  process.exit(2);
}
const rows: ConformanceRow[] = [];
for (const entry of manifest()) {
  if (values.filter && !entry.path.includes(values.filter)) continue;
  const ref = reference(entry);
  if (!ref || ref.status !== 'ok') continue;
  const { source, size } = await fileSource(capturePath(entry));
  const report = await analyzeCapture(source, { totalBytes: size, fileName: entry.path });
  rows.push(...compare(entry, report, ref));
}
// By default only metrics with something to compare (non-zero on either side) are listed.
const shown = values.all ? rows : rows.filter((r) => r.ours !== 0 || r.tshark !== 0);
process.stdout.write(`Corpus: ${CORPUS_DIR}\n\n${markdownTable(shown)}\n\n`);
const count = (v: string) => rows.filter((r) => r.verdict === v).length;
process.stdout.write(
  `${rows.length} comparisons over ${new Set(rows.map((r) => r.capture)).size} captures: ${count('exact')} exact, ${count('within tolerance')} within tolerance, ${count('known difference')} known differences, ${count('MISMATCH')} mismatches\n`,
);
process.exit(count('MISMATCH') > 0 ? 1 : 0);
