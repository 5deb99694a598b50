/**
 * False-positive behaviour on the shared corpus: no security detector may fire on an ordinary capture.
 * Captures that really contain an attack are listed in SECURITY_CORPUS_EXPECTED with what must be
 * found there and why that alert is correct; any other detection fails the test.
 *
 * Per-capture results (capture → detections) are exported for the conformance table: set
 * SECURITY_CORPUS_OUT=/path/file.json to have them written as JSON when the suite ends.
 */
import { writeFileSync } from 'node:fs';
import * as v from 'valibot';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSource } from '../../server/file-source.js';
import { SecurityAnalyzer } from '../../worker/analyzers/security/index.js';
import { securitySchema, type Detection } from '../../worker/report/sections/security.js';
import { capturePath, manifest } from '../corpus/corpus.js';
import { corpusPresentOrSkip } from '../corpus/corpus-tests.js';
import { hasTshark, tsharkFields } from '../helpers/tshark.js';
import { runAnalyzers } from './harness.js';

export interface ExpectedDetection {
  kind: Detection['kind'];
  /** Regular expression the title must match. */
  title: RegExp;
  /** Why this alert is correct on this capture. */
  reason: string;
}

/** Corpus captures where detections are expected; every other capture must yield none. */
export const SECURITY_CORPUS_EXPECTED: Readonly<Record<string, readonly ExpectedDetection[]>> = {
  'chrissanders-packets/synscan.pcapng': [
    {
      kind: 'port_scan',
      title: /^SYN port scan \(vertical\) from 172\.16\.0\.8: 1,000 ports on 1 host — 3 answered \(SYN\/ACK: open\), 4 refused \(RST: closed\), 993 unanswered$/,
      reason:
        'The capture IS an nmap SYN scan (README of chrissanders/packets; "TCP SYN port scan" in the manifest): 172.16.0.8 sends SYNs to 1,000 ports of ' +
        '64.13.134.52 (scanme.nmap.org) within 23 s from source ports 36050/36061, retrying unanswered ports. tshark shows SYN/ACKs from 53, 80 and 22 ' +
        '(open) and RST/ACKs from 113, 25, 31337 and 70 (closed); every other port stays silent (filtered).',
    },
  ],
};

export interface CorpusSecurityResult {
  capture: string;
  packets: number | 'malformed';
  detections: Array<Pick<Detection, 'kind' | 'severity' | 'confidence' | 'title' | 'filter'>>;
}

const results: CorpusSecurityResult[] = [];

describe('corpus: security detectors on ordinary captures (false positives)', () => {
  if (!corpusPresentOrSkip()) return;
  afterAll(() => {
    const out = process.env.SECURITY_CORPUS_OUT;
    if (out) writeFileSync(out, `${JSON.stringify(results.sort((a, b) => a.capture.localeCompare(b.capture)), null, 2)}\n`);
    const firing = results.filter((r) => r.detections.length > 0);
    console.info(`security corpus: ${results.length} captures, ${firing.length} with detections: ${firing.map((r) => `${r.capture} (${r.detections.map((d) => d.kind).join(', ')})`).join('; ') || 'none'}`);
  });

  for (const entry of manifest()) {
    it(entry.path, async () => {
      const { source } = await fileSource(capturePath(entry));
      const { sections } = await runAnalyzers(source, (flows) => ({ security: new SecurityAnalyzer(flows) }));
      const s = sections.security;
      v.parse(securitySchema, s);
      const found = s.detections.items;
      results.push({
        capture: entry.path,
        packets: entry.packets,
        detections: found.map((d) => ({ kind: d.kind, severity: d.severity, confidence: d.confidence, title: d.title, filter: d.filter })),
      });
      const expected = SECURITY_CORPUS_EXPECTED[entry.path] ?? [];
      expect(
        found.map((d) => d.kind),
        `detections on ${entry.path}: ${found.map((d) => d.title).join(' | ')}`,
      ).toEqual(expected.map((e) => e.kind));
      expected.forEach((e, i) => expect(found[i].title).toMatch(e.title));
      if (found.length > 0 && hasTshark()) {
        for (const d of found) {
          const frames = new Set(tsharkFields(capturePath(entry), ['frame.number'], { filter: d.filter, prefs: [] }).map((r) => Number(r[0])));
          for (const f of d.sampleFrames) expect(frames.has(f), `sample frame ${f} selected by ${d.filter}`).toBe(true);
        }
      }
    });
  }
});
