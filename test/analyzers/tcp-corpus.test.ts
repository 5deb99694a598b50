/**
 * TCP expert analysis against tshark 4.0.17 on the shared capture corpus: for every capture tshark reads
 * ("ok"), every tcp.analysis.* frame count of the reference, the RST count (tcp.flags.reset==1) and the
 * number of TCP conversations (-z conv,tcp) must be equal — exactly, on every capture.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TcpAnalyzer } from '../../worker/analyzers/tcp/analyzer.js';
import * as v from 'valibot';
import { TCP_EVENT_NAMES, tcpSchema } from '../../worker/report/sections/tcp.js';
import { CORPUS_PRESENT, capturePath, corpusAbsentMessage, manifest, reference } from '../corpus/corpus.js';
import { runAnalyzers } from './harness.js';

const entries = CORPUS_PRESENT ? manifest().filter((e) => reference(e)?.status === 'ok') : [];

if (!CORPUS_PRESENT) console.warn(corpusAbsentMessage());

describe.skipIf(!CORPUS_PRESENT)('TCP analysis vs tshark 4.0.17 (corpus)', () => {
  it('has captures to compare', () => {
    expect(entries.length).toBeGreaterThan(100);
  });

  it.each(entries.map((e) => [e.path, e] as const))('%s', async (_path, entry) => {
    const ref = reference(entry)!;
    const { sections, flows } = await runAnalyzers(new Uint8Array(readFileSync(capturePath(entry))), (f) => ({ tcp: new TcpAnalyzer(f) }));
    const tcp = sections.tcp;
    const ours: Record<string, number> = {};
    const theirs: Record<string, number> = {};
    for (const [key, n] of Object.entries(ref.tcp_analysis)) {
      const name = key.replace(/^tcp\.analysis\./, '');
      expect(TCP_EVENT_NAMES).toContain(name);
      ours[key] = tcp.totals[name as keyof typeof tcp.totals];
      theirs[key] = n;
    }
    ours['tcp.flags.reset==1'] = tcp.totals.rst;
    theirs['tcp.flags.reset==1'] = ref.tcp_flags['tcp.flags.reset==1'] ?? 0;
    ours['conv,tcp'] = flows.tcpStreams;
    theirs['conv,tcp'] = ref.conversations.tcp;
    expect(ours).toEqual(theirs);
    // The section is what the report stores: bounded and valid (no NaN, no oversized lists).
    const parsed = v.safeParse(tcpSchema, tcp);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.issues.slice(0, 3))).toBe(true);
    // Every event type the report lists is counted in the totals, and frames are in capture order.
    const frames = tcp.events.items.map((e) => e.frame);
    expect(frames).toEqual([...frames].sort((a, b) => a - b));
    expect(tcp.events.items.length + tcp.events.omitted).toBe(
      Object.entries(tcp.totals).reduce((s, [, n]) => s + n, 0) - tcp.totals.fast_retransmission - tcp.totals.spurious_retransmission,
    );
  });
});
