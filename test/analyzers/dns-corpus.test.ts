import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { fileSource } from '../../server/file-source.js';
import { DnsAnalyzer } from '../../worker/analyzers/dns.js';
import { dnsSchema } from '../../worker/report/sections/dns.js';
import { capturePath, reference } from '../corpus/corpus.js';
import { corpusPresentOrSkip, cleanlyReadCaptures } from '../corpus/corpus-tests.js';
import { runAnalyzers } from './harness.js';

type DnsMetric = 'queries' | 'responses' | 'errorResponses' | 'timeCount' | 'timeMean';

/**
 * Every corpus capture where the DNS section differs from the tshark 4.0.17 reference, with what we
 * produce instead and why. Anything not listed must agree (counts exactly, dns.time mean within 1%).
 * An entry whose difference has gone away makes the test fail, so the list stays true.
 */
export const DNS_CORPUS_DIFFERENCES: ReadonlyArray<{ capture: string; metric: DnsMetric; ours: number; reference: number; reason: string }> = [
  // None: every DNS figure agrees with tshark 4.0.17 on the corpus.
];

function difference(capture: string, metric: DnsMetric) {
  return DNS_CORPUS_DIFFERENCES.find((d) => d.capture === capture && d.metric === metric);
}

describe('corpus conformance: DNS section vs tshark 4.0.17', () => {
  if (!corpusPresentOrSkip()) return;
  for (const { entry, ref } of cleanlyReadCaptures()) {
    it(entry.path, async () => {
      const { source } = await fileSource(capturePath(entry));
      const { sections } = await runAnalyzers(source, () => ({ dns: new DnsAnalyzer() }));
      const d = sections.dns;
      v.parse(dnsSchema, d);
      const r = ref.dns;
      const check = (metric: DnsMetric, ours: number, theirs: number) => {
        const known = difference(entry.path, metric);
        if (known) {
          expect(theirs, `${metric}: the reference changed, review DNS_CORPUS_DIFFERENCES`).toBe(known.reference);
          expect(ours, `${metric}: differs from tshark as documented (if this now agrees, remove the entry)`).toBe(known.ours);
        } else {
          expect(ours, `${metric} (tshark ${theirs})`).toBe(theirs);
        }
      };
      check('queries', d.queries, r.queries);
      check('responses', d.responses, r.responses);
      check('errorResponses', d.errorResponses, r.error_responses);
      check('timeCount', d.responseTime.count, r.time.count);
      if (r.time.mean_s === null) {
        expect(d.responseTime.mean, 'no dns.time in the reference').toBeNull();
      } else if (!difference(entry.path, 'timeMean')) {
        expect(d.responseTime.mean, 'dns.time mean').not.toBeNull();
        expect(Math.abs(d.responseTime.mean! - r.time.mean_s), `dns.time mean ${d.responseTime.mean} vs ${r.time.mean_s}`).toBeLessThanOrEqual(
          0.01 * Math.abs(r.time.mean_s),
        );
      }
      if (r.time.max_s !== null) expect(d.responseTime.max).toBeCloseTo(r.time.max_s, 6);
    });
  }
});
