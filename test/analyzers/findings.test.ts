import { describe, expect, it } from 'vitest';
import { analyzeCapture, validateReport, type Report } from '../../worker/index.js';
import { redactReport } from '../../worker/report/redact.js';
import { writePcap } from '../helpers/capture-writer.js';
import { dnsMessage, etherIpv4Udp, TcpConversation } from '../helpers/packet-builder.js';

async function analyze(bytes: Uint8Array): Promise<Report> {
  return analyzeCapture([bytes], { now: () => new Date('2026-01-01T00:00:00Z') });
}

/** 100 data segments server → client, with `lost` of them retransmitted after a 1 s pause (RTO). */
function lossyTransfer(lost: number): Uint8Array {
  const c = new TcpConversation({ client: '10.0.0.1:40000', server: '10.0.0.2:443', isn: [1000, 5000] });
  c.handshake();
  for (let i = 0; i < 100; i++) {
    c.serverSends(1000);
    if (i < lost) {
      c.wait(1);
      c.retransmitLast('server');
    }
    c.clientAcks();
  }
  c.close();
  return c.toPcap();
}

describe('findings and health score', () => {
  it('a clean transfer has no warnings and a high score', async () => {
    const r = await analyze(lossyTransfer(0));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.health.score).toBeGreaterThanOrEqual(90);
    expect(r.health.grade).toBe('good');
  });

  it('over 5% of segments retransmitted after timeouts is a critical loss finding with its evidence', async () => {
    // 6 of 106 data segments (the retransmissions are data segments too).
    const r = await analyze(lossyTransfer(6));
    const f = r.findings.find((x) => x.id === 'loss-flow-0');
    expect(f?.severity).toBe('critical');
    expect(f?.category).toBe('loss');
    expect(f?.title).toContain('10.0.0.1:40000 ⇄ 10.0.0.2:443');
    expect(f?.title).toMatch(/^5\.7% of data segments/);
    expect(f?.evidence.filter).toBe('tcp.stream eq 0 && tcp.analysis.retransmission');
    expect(f?.evidence.flows).toEqual([0]);
    // The retransmission frames, exactly: each follows its original segment directly.
    const frames = r.tcp.events.items.filter((e) => e.type === 'retransmission').map((e) => e.frame);
    expect(frames).toHaveLength(6);
    expect(f?.evidence.frames).toEqual(frames);
    expect(r.findings[0].severity).toBe('critical');
    expect(r.health.score).toBeLessThan(90);
    expect(r.health.deductions.some((d) => d.category === 'loss')).toBe(true);
  });

  it('one retransmission in 101 data segments stays just below the 1% warning ratio', async () => {
    const r = await analyze(lossyTransfer(1));
    expect(r.tcp.totals.retransmission).toBe(1);
    expect(r.findings.find((x) => x.id.startsWith('loss-flow'))).toBeUndefined();
    const two = await analyze(lossyTransfer(2));
    expect(two.findings.find((x) => x.id === 'loss-flow-0')?.severity).toBe('warning');
  });

  it('an unanswered DNS query becomes a DNS finding naming the server', async () => {
    const q = (id: number, t: number) => ({
      tsSec: 1_700_000_000 + t,
      tsFrac: 0,
      data: etherIpv4Udp({ src: '10.0.0.1', dst: '10.0.0.53', srcPort: 40000 + id, dstPort: 53, payload: dnsMessage({ id, questions: [{ name: 'example.com', type: 1 }] }) }),
    });
    const r = await analyze(writePcap({}, [q(1, 0), q(2, 1), q(3, 10)]));
    const f = r.findings.find((x) => x.id === 'dns-unanswered');
    expect(r.dns.unanswered).toBe(2);
    expect(f?.title).toContain('10.0.0.53');
    expect(f?.evidence.frames).toEqual([1, 2]);
    expect(f?.evidence.filter).toBe('dns.flags.response == 0 && !dns.response_in');
  });

  it('reports validate and findings are ranked critical first', async () => {
    const r = await analyze(lossyTransfer(8));
    const valid = validateReport(JSON.parse(JSON.stringify(r)));
    expect(valid.ok).toBe(true);
    const ranks = r.findings.map((f) => ({ critical: 0, warning: 1, info: 2 })[f.severity]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });
});

describe('redaction for sharing', () => {
  it('replaces every address consistently, including inside titles and filters, and stays valid', async () => {
    const r = await analyze(lossyTransfer(5));
    const red = redactReport(r, { addresses: true, dnsNames: false, comments: false });
    const text = JSON.stringify(red);
    expect(text).not.toContain('10.0.0.1');
    expect(text).not.toContain('10.0.0.2');
    const row = red.conversations.tcp.items[0];
    const title = red.findings.find((f) => f.id === 'loss-flow-0')!.title;
    expect(title).toContain(`${row.a.ip}:40000 ⇄ ${row.b.ip}:443`);
    expect(row.a.ip).not.toBe(row.b.ip);
    expect(red.redaction).toEqual({ addresses: true, dnsNames: false, comments: false });
    expect(validateReport(JSON.parse(text)).ok).toBe(true);
    // The original is untouched.
    expect(r.conversations.tcp.items[0].a.ip).toBe('10.0.0.1');
  });

  it('drops DNS names and comments when asked', async () => {
    const ans = (id: number, name: string, t: number, response: boolean) => ({
      tsSec: 1_700_000_000 + t,
      tsFrac: 0,
      data: etherIpv4Udp({
        src: response ? '10.0.0.53' : '10.0.0.1',
        dst: response ? '10.0.0.1' : '10.0.0.53',
        srcPort: response ? 53 : 40000,
        dstPort: response ? 40000 : 53,
        payload: dnsMessage({ id, response, rcode: response ? 3 : 0, questions: [{ name, type: 1 }] }),
      }),
    });
    const r = await analyze(writePcap({}, [ans(7, 'secret.internal.example.org', 0, false), ans(7, 'secret.internal.example.org', 0.01, true)]));
    expect(JSON.stringify(r)).toContain('secret.internal.example.org');
    const red = redactReport(r, { addresses: false, dnsNames: true, comments: true });
    const text = JSON.stringify(red);
    expect(text).not.toContain('secret');
    expect(red.dns.errors.items[0].name).toMatch(/^name-\d+\.example$/);
    expect(red.source.fileName).toBeNull();
    expect(validateReport(JSON.parse(text)).ok).toBe(true);
  });

  it('treats the domains security detections name as DNS names', async () => {
    const r = await analyze(lossyTransfer(0));
    r.security = {
      thresholds: {},
      internalRanges: [],
      detections: {
        items: [
          {
            id: 'dns_tunneling-1',
            kind: 'dns_tunneling',
            severity: 'warning',
            confidence: 0.8,
            title: 'Possible DNS tunnel through tunnel.example.net',
            rule: '80 queries under tunnel.example.net with long, high-entropy labels',
            hosts: ['10.0.0.1'],
            ports: [53],
            start: 0,
            end: 1,
            sampleFrames: [1],
            filter: 'dns.qry.name contains "tunnel.example.net"',
            metrics: {},
            domains: ['tunnel.example.net'],
          },
        ],
        omitted: 0,
      },
    };
    const red = redactReport(r, { addresses: true, dnsNames: true, comments: false });
    const text = JSON.stringify(red);
    expect(text).not.toContain('tunnel.example.net');
    expect(text).not.toContain('10.0.0.1');
    const d = red.security!.detections.items[0];
    expect(d.title).toBe(`Possible DNS tunnel through ${d.domains![0]}`);
    expect(validateReport(JSON.parse(text)).ok).toBe(true);
  });
});
