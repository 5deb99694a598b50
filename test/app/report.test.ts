import { describe, expect, it } from 'vitest';
import { validateReport } from '../../worker/index.js';
import { redactReport } from '../../worker/report/redact.js';
import { evidenceProtocol, expertGroups, filterByTime, filterFlows, flowIndex, protocolRows, rankedFindings, redactionCounts, reportAddresses, EXPERT } from '../../src/lib/report.js';
import { TCP_EVENT_NAMES } from '../../worker/report/sections/tcp.js';
import { richReport } from './fixtures/rich-report.js';

describe('report fixture', () => {
  it('is schema-valid, plain and hostile', () => {
    for (const hostile of [false, true]) {
      const r = validateReport(richReport({ hostile }));
      expect(r.ok ? 'ok' : r.error).toBe('ok');
    }
  });
});

describe('expert info grouping', () => {
  const r = richReport();
  it('has a Wireshark severity and summary for every TCP event name', () => {
    for (const n of TCP_EVENT_NAMES) expect(EXPERT[n].summary.length).toBeGreaterThan(0);
  });
  it('groups by severity (warnings before notes before chats), then by count', () => {
    const g = expertGroups(r);
    const order = ['error', 'warning', 'note', 'chat'];
    for (let i = 1; i < g.length; i++) {
      const a = order.indexOf(g[i - 1].severity);
      const b = order.indexOf(g[i].severity);
      expect(a <= b).toBe(true);
      if (a === b) expect(g[i - 1].total >= g[i].total).toBe(true);
    }
    const total = g.reduce((n, x) => n + x.events.length, 0);
    expect(total).toBe(r.tcp.events.items.length);
    for (const x of g) expect(x.total).toBe(r.tcp.totals[x.type]);
  });
  it('keeps only events inside a selected range', () => {
    const g = expertGroups(r, [21, 25]);
    for (const x of g) for (const e of x.events) expect(e.time >= 21 && e.time <= 25).toBe(true);
    expect(g.reduce((n, x) => n + x.events.length, 0)).toBeGreaterThan(0);
  });
});

describe('time filtering', () => {
  it('keeps flows overlapping the range, and items whose time is inside it', () => {
    const flows = [
      { start: 0, duration: 1 },
      { start: 5, duration: 10 },
      { start: 20, duration: 1 },
    ];
    expect(filterFlows(flows, [2, 6])).toEqual([{ start: 5, duration: 10 }]);
    expect(filterFlows(flows, null)).toHaveLength(3);
    expect(filterByTime([1, 2, 3, 4], (x) => x, [2, 3])).toEqual([2, 3]);
  });
});

describe('evidence', () => {
  it('resolves flows to the UDP table for jitter and udp.stream filters, else TCP', () => {
    expect(evidenceProtocol({ category: 'jitter', evidence: { flows: [1], frames: [], filter: '' } })).toBe('udp');
    expect(evidenceProtocol({ category: 'gaps', evidence: { flows: [1], frames: [], filter: 'udp.stream eq 3 && frame.number >= 1' } })).toBe('udp');
    expect(evidenceProtocol({ category: 'loss', evidence: { flows: [1], frames: [], filter: 'tcp.stream eq 3' } })).toBe('tcp');
  });
  it('ranks critical findings first, keeping the engine order within a severity', () => {
    const r = richReport();
    r.findings.reverse();
    const f = rankedFindings(r);
    expect(f[0].severity).toBe('critical');
    expect(f[f.length - 1].severity).toBe('info');
  });
  it('indexes flows by stream id', () => {
    const r = richReport();
    const idx = flowIndex(r);
    expect(idx.tcp.size).toBe(r.conversations.tcp.items.length);
    expect([...idx.details.values()].some((d) => d.zeroWindowSeconds > 0)).toBe(true);
    expect(idx.udp.get(1)?.id).toBe(1);
  });
});

describe('redaction preview', () => {
  it('counts replaced addresses, names and dropped comments; no original address survives', () => {
    const r = richReport();
    const red = redactReport(r, { addresses: true, dnsNames: true, comments: true });
    const c = redactionCounts(r, red);
    expect(c.addresses).toBeGreaterThanOrEqual(reportAddresses(r).size);
    expect(c.dnsNames).toBeGreaterThan(0);
    expect(c.comments).toBeGreaterThan(0);
    expect(c.fileName).toBe(true);
    const text = JSON.stringify(red);
    for (const a of reportAddresses(r)) expect(text.includes(`"${a}"`)).toBe(false);
    expect(validateReport(red).ok).toBe(true);
  });
  it('counts nothing when nothing is redacted', () => {
    const r = richReport();
    const c = redactionCounts(r, redactReport(r, { addresses: false, dnsNames: false, comments: false }));
    expect(c).toMatchObject({ addresses: 0, macs: 0, dnsNames: 0, comments: 0, fileName: false });
  });
});

describe('protocol hierarchy rows', () => {
  it('sorts by frames with shares of all packets', () => {
    const rows = protocolRows(richReport());
    expect(rows[0].name).toBe('eth');
    expect(rows[0].share).toBeCloseTo(1);
  });
});
