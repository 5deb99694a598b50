/**
 * Millions of flows must not mean unbounded memory: past the flow table's capacity new flows are
 * counted but not tabled, the TCP analyzer keeps detailed state for a bounded set, and the report says
 * how much was left out — while still validating and staying small.
 */
import { describe, expect, it } from 'vitest';
import { MAX_FLOWS } from '../../worker/analyzers/flow-table.js';
import { analyzeCapture, MAX_REPORT_BYTES, validateReport } from '../../worker/index.js';
import { synFloodChunks } from '../../bench/generate.js';

describe('bounded state on captures with very many flows', () => {
  it('counts what it could not track and stays bounded', async () => {
    const n = MAX_FLOWS + 150_000;
    const before = process.memoryUsage().rss;
    const report = await analyzeCapture(synFloodChunks(n));
    const grown = process.memoryUsage().rss - before;
    console.log(`550k-flow SYN flood: RSS grew ${(grown / 1e6).toFixed(0)} MB; untracked flows ${report.conversations.untrackedFlows}`);
    expect(report.summary.packets).toBe(n);
    expect(report.conversations.untrackedFlows).toBe(n - MAX_FLOWS);
    expect(report.tcp.untrackedFlows).toBeGreaterThanOrEqual(n - MAX_FLOWS);
    expect(report.conversations.tcp.items.length).toBeLessThanOrEqual(1000);
    expect(report.conversations.tcp.omitted).toBeGreaterThan(0);
    expect(validateReport(JSON.parse(JSON.stringify(report))).ok).toBe(true);
    expect(JSON.stringify(report).length).toBeLessThan(MAX_REPORT_BYTES / 2);
    // Generous and noisy (RSS inside a test runner): the tables are capped, so this cannot grow with
    // the number of flows; `npm run bench` reports the peak RSS of a 2-million-flow capture.
    expect(grown).toBeLessThan(1024 * 1024 * 1024);
  }, 120_000);
});
