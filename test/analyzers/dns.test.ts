import * as v from 'valibot';
import { afterAll, describe, expect, it } from 'vitest';
import { DnsAnalyzer, type DnsAnalyzerOptions } from '../../worker/analyzers/dns.js';
import { dnsSchema, type DnsSection } from '../../worker/report/sections/dns.js';
import { writePcap, type PcapRecord } from '../helpers/capture-writer.js';
import {
  concat,
  DNS_TYPE,
  dnsMessage,
  dnsOverTcp,
  dnsPointer,
  dnsRaw,
  ETHERTYPE,
  ethernet,
  etherIpv4Udp,
  etherIpv6Udp,
  icmp,
  ipv4,
  ipv4Udp,
  IPPROTO,
  TcpConversation,
  type DnsResourceRecord,
} from '../helpers/packet-builder.js';
import { hasTshark, tempDir, tsharkFields } from '../helpers/tshark.js';
import { runAnalyzers } from './harness.js';

const T0 = 1_700_000_000;
const CLIENT = '10.0.0.1';
const SERVER = '10.0.0.53';

interface Pkt {
  /** Seconds after T0 (microsecond resolution). */
  t: number;
  data: Uint8Array;
}

function pcap(pkts: Pkt[]): Uint8Array {
  const recs: PcapRecord[] = pkts.map((p) => {
    const us = Math.round(p.t * 1e6);
    return { tsSec: T0 + Math.floor(us / 1e6), tsFrac: us % 1e6, data: p.data };
  });
  return writePcap({}, recs);
}

interface QOpts {
  id: number;
  name: string;
  type?: number;
  client?: string;
  server?: string;
  port?: number;
}

function query(o: QOpts): Uint8Array {
  const payload = dnsMessage({ id: o.id, questions: [{ name: o.name, type: o.type ?? DNS_TYPE.A }] });
  return etherIpv4Udp({ src: o.client ?? CLIENT, dst: o.server ?? SERVER, srcPort: o.port ?? 40000, dstPort: 53, payload });
}

function response(o: QOpts & { rcode?: number; answers?: DnsResourceRecord[]; additionals?: DnsResourceRecord[] }): Uint8Array {
  const payload = dnsMessage({
    id: o.id,
    response: true,
    rcode: o.rcode ?? 0,
    questions: [{ name: o.name, type: o.type ?? DNS_TYPE.A }],
    answers: o.answers ?? (o.rcode ? [] : [{ name: o.name, type: DNS_TYPE.A, data: new Uint8Array([192, 0, 2, 1]) }]),
    additionals: o.additionals,
  });
  return etherIpv4Udp({ src: o.server ?? SERVER, dst: o.client ?? CLIENT, srcPort: 53, dstPort: o.port ?? 40000, payload });
}

/** A packet unrelated to DNS, to extend the capture in time. */
function filler(): Uint8Array {
  return etherIpv4Udp({ src: '10.9.9.9', dst: '10.9.9.8', srcPort: 7777, dstPort: 7778, payload: new Uint8Array(8) });
}

async function analyze(bytes: Uint8Array, options: DnsAnalyzerOptions = {}): Promise<{ dns: DnsSection; analyzer: DnsAnalyzer; times: Array<[number, number, number]> }> {
  const times: Array<[number, number, number]> = [];
  let analyzer!: DnsAnalyzer;
  const { sections } = await runAnalyzers(bytes, () => {
    analyzer = new DnsAnalyzer({ ...options, onWiresharkTime: (r, q, s) => times.push([r, q, s]) });
    return { dns: analyzer };
  }, { thresholds: options.thresholds });
  // Whatever we produce must pass the report schema (bounded strings and lists).
  v.parse(dnsSchema, sections.dns);
  return { dns: sections.dns, analyzer, times };
}

// ── tshark cross-check of the Wireshark-defined figures on each fixture ──

const tmp = tempDir('dns-fixture-');
afterAll(() => tmp.cleanup());
let fixtureNo = 0;

interface WiresharkDns {
  queries: number;
  responses: number;
  errorResponses: number;
  /** [response frame, dns.time] for every message showing dns.time. */
  times: Array<[number, number]>;
}

function tsharkDns(bytes: Uint8Array): WiresharkDns {
  const file = tmp.write(`f${fixtureNo++}.pcap`, bytes);
  const rows = tsharkFields(file, ['frame.number', 'dns.flags.response', 'dns.flags.rcode', 'dns.time'], { prefs: [] });
  const out: WiresharkDns = { queries: 0, responses: 0, errorResponses: 0, times: [] };
  for (const [frame, resp, rcode, time] of rows) {
    const r = resp ? resp.split(',') : [];
    const c = rcode ? rcode.split(',') : [];
    if (r.includes('0') || r.includes('False')) out.queries++;
    if (r.includes('1') || r.includes('True')) out.responses++;
    // rcode occurs only on responses, so any non-zero rcode is a response with an error.
    if (c.some((x) => x !== '' && Number(x) !== 0)) out.errorResponses++;
    if (time) for (const t of time.split(',')) out.times.push([Number(frame), Number(t)]);
  }
  return out;
}

/** Our Wireshark-compatible figures equal tshark's on this fixture (skipped without tshark). */
function expectAgreesWithTshark(bytes: Uint8Array, r: { dns: DnsSection; times: Array<[number, number, number]> }): void {
  if (!hasTshark()) return;
  const w = tsharkDns(bytes);
  expect({ queries: r.dns.queries, responses: r.dns.responses, errorResponses: r.dns.errorResponses }, 'frame counts vs tshark').toEqual({
    queries: w.queries,
    responses: w.responses,
    errorResponses: w.errorResponses,
  });
  expect(r.times.map(([f]) => f), 'frames with dns.time').toEqual(w.times.map(([f]) => f));
  r.times.forEach(([, , s], i) => expect(s).toBeCloseTo(w.times[i][1], 6));
}

describe('DnsAnalyzer on built fixtures', () => {
  if (!hasTshark()) it.skip('tshark not installed: fixtures are checked without the tshark cross-check', () => {});

  it('an answered query: exact response time, transaction, server and name statistics', async () => {
    const bytes = pcap([
      { t: 0, data: query({ id: 0x1234, name: 'www.Example.com' }) },
      { t: 0.0123, data: response({ id: 0x1234, name: 'www.Example.com' }) },
    ]);
    const r = await analyze(bytes);
    const d = r.dns;
    expect(d.queries).toBe(1);
    expect(d.responses).toBe(1);
    expect(d.errorResponses).toBe(0);
    expect(d.transactions).toBe(1);
    expect(d.unanswered).toBe(0);
    expect(d.unmatchedResponses).toBe(0);
    expect(d.responseTime.count).toBe(1);
    expect(d.responseTime.mean).toBe(0.0123);
    expect(d.responseTime.median).toBe(0.0123);
    expect(d.responseTime.max).toBe(0.0123);
    expect(d.responseTime.histogram.counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(d.slowest.items).toEqual([
      { frame: 1, responseFrame: 2, name: 'www.Example.com', qtype: 'A', client: CLIENT, server: SERVER, time: 0, responseTime: 0.0123 },
    ]);
    expect(d.rcodes).toEqual({ NOERROR: 1 });
    expect(d.qtypes).toEqual({ A: 1 });
    expect(d.topNames.items).toEqual([{ name: 'www.example.com', queries: 1, errors: 0, unanswered: 0 }]);
    expect(d.servers.items).toEqual([{ address: SERVER, queries: 1, responses: 1, errors: 0, unanswered: 0, meanResponseTime: 0.0123 }]);
    expect(d.malformed).toBe(0);
    expect(d.overTcp).toBe(0);
    expectAgreesWithTshark(bytes, r);
  });

  it('an unanswered query is listed with its frame; one sent near the end of the capture is not', async () => {
    const bytes = pcap([
      { t: 0, data: filler() },
      { t: 1, data: query({ id: 1, name: 'lost.example.org', type: DNS_TYPE.AAAA }) },
      { t: 2, data: query({ id: 2, name: 'answered.example.org' }) },
      { t: 2.5, data: response({ id: 2, name: 'answered.example.org' }) },
      { t: 4, data: filler() },
      // 0.5 s before the end: the capture cannot tell whether it would have been answered.
      { t: 4.5, data: query({ id: 3, name: 'late-in-capture.example.org' }) },
      { t: 5, data: filler() },
    ]);
    const r = await analyze(bytes);
    const d = r.dns;
    expect(d.queries).toBe(3);
    expect(d.unanswered).toBe(1);
    expect(d.unansweredQueries).toEqual({
      items: [{ frame: 2, name: 'lost.example.org', qtype: 'AAAA', client: CLIENT, server: SERVER, time: 1 }],
      omitted: 0,
    });
    expect(r.analyzer.extra.pendingAtEnd).toBe(1);
    expect(d.transactions).toBe(1);
    expect(d.servers.items[0]).toMatchObject({ address: SERVER, queries: 3, responses: 1, unanswered: 1 });
    expect(d.topNames.items.find((n) => n.name === 'lost.example.org')).toEqual({ name: 'lost.example.org', queries: 1, errors: 0, unanswered: 1 });
    expectAgreesWithTshark(bytes, r);
  });

  it('the timeout threshold decides what is unanswered', async () => {
    const bytes = pcap([
      { t: 0, data: query({ id: 9, name: 'slow.example' }) },
      { t: 1.5, data: response({ id: 9, name: 'slow.example' }) },
      { t: 10, data: filler() },
    ]);
    const normal = await analyze(bytes);
    expect(normal.dns.transactions).toBe(1);
    expect(normal.dns.unanswered).toBe(0);
    const strict = await analyze(bytes, { thresholds: { dnsTimeoutSeconds: 1 } });
    expect(strict.dns.transactions).toBe(0);
    expect(strict.dns.unanswered).toBe(1);
    expect(strict.analyzer.extra.lateResponses).toBe(1);
    expect(strict.dns.unmatchedResponses).toBe(0);
    // Wireshark's dns.time does not depend on our timeout.
    expect(strict.dns.responseTime.count).toBe(1);
    expect(strict.dns.responseTime.mean).toBe(1.5);
  });

  it('NXDOMAIN and SERVFAIL responses: error counts, rcode names, error list', async () => {
    const bytes = pcap([
      { t: 0, data: query({ id: 10, name: 'nope.example' }) },
      { t: 0.01, data: response({ id: 10, name: 'nope.example', rcode: 3 }) },
      { t: 0.02, data: query({ id: 11, name: 'broken.example', type: DNS_TYPE.MX, port: 40001 }) },
      { t: 0.52, data: response({ id: 11, name: 'broken.example', type: DNS_TYPE.MX, rcode: 2, port: 40001 }) },
      { t: 0.6, data: query({ id: 12, name: 'ok.example' }) },
      { t: 0.61, data: response({ id: 12, name: 'ok.example' }) },
    ]);
    const r = await analyze(bytes);
    const d = r.dns;
    expect(d.errorResponses).toBe(2);
    expect(d.rcodes).toEqual({ NOERROR: 1, NXDOMAIN: 1, SERVFAIL: 1 });
    expect(d.qtypes).toEqual({ A: 2, MX: 1 });
    expect(d.transactions).toBe(3);
    expect(d.errors).toEqual({
      items: [
        { frame: 1, responseFrame: 2, name: 'nope.example', qtype: 'A', rcode: 'NXDOMAIN', client: CLIENT, server: SERVER, time: 0.01 },
        { frame: 3, responseFrame: 4, name: 'broken.example', qtype: 'MX', rcode: 'SERVFAIL', client: CLIENT, server: SERVER, time: 0.52 },
      ],
      omitted: 0,
    });
    expect(d.servers.items[0]).toMatchObject({ queries: 3, responses: 3, errors: 2 });
    expect(d.topNames.items.find((n) => n.name === 'broken.example')).toEqual({ name: 'broken.example', queries: 1, errors: 1, unanswered: 0 });
    expect(d.slowest.items[0]).toMatchObject({ frame: 3, responseFrame: 4, responseTime: 0.5 });
    expectAgreesWithTshark(bytes, r);
  });

  it('EDNS extended RCODE (BADCOOKIE) is named; errorResponses follows the header RCODE like tshark', async () => {
    // OPT record: root name, type 41, class = UDP size, TTL = ext-rcode(8) version(8) flags(16).
    const opt = (ext: number): DnsResourceRecord => ({ name: '', type: DNS_TYPE.OPT, class: 1232, ttl: ext * 0x1000000, data: new Uint8Array(0) });
    const bytes = pcap([
      { t: 0, data: query({ id: 20, name: 'cookie.example' }) },
      { t: 0.001, data: response({ id: 20, name: 'cookie.example', rcode: 7, answers: [], additionals: [opt(1)] }) },
      { t: 0.002, data: query({ id: 21, name: 'vers.example' }) },
      { t: 0.003, data: response({ id: 21, name: 'vers.example', rcode: 0, answers: [], additionals: [opt(1)] }) },
    ]);
    const r = await analyze(bytes);
    expect(r.dns.rcodes).toEqual({ BADCOOKIE: 1, BADVERS: 1 });
    expect(r.dns.errorResponses).toBe(1);
    expect(r.dns.errors.items.map((e) => e.rcode)).toEqual(['BADCOOKIE', 'BADVERS']);
    expectAgreesWithTshark(bytes, r);
  });

  it('a retransmitted query is counted once, not unanswered, and timed from the first transmission', async () => {
    const bytes = pcap([
      { t: 0, data: query({ id: 30, name: 'retry.example' }) },
      { t: 1, data: query({ id: 30, name: 'retry.example' }) },
      { t: 1.05, data: response({ id: 30, name: 'retry.example' }) },
      // Retried after our 2 s timeout: still the same query, revived, not a second unanswered one.
      { t: 2, data: query({ id: 31, name: 'retry2.example', port: 40002 }) },
      { t: 5, data: query({ id: 31, name: 'retry2.example', port: 40002 }) },
      { t: 5.2, data: response({ id: 31, name: 'retry2.example', port: 40002 }) },
      // Never answered, sent three times: one unanswered query.
      { t: 6, data: query({ id: 32, name: 'dead.example', port: 40003 }) },
      { t: 7, data: query({ id: 32, name: 'dead.example', port: 40003 }) },
      { t: 8, data: query({ id: 32, name: 'dead.example', port: 40003 }) },
      { t: 20, data: filler() },
    ]);
    const r = await analyze(bytes);
    const d = r.dns;
    expect(d.queries).toBe(7);
    expect(d.retransmittedQueries).toBe(4);
    expect(d.transactions).toBe(2);
    expect(d.unanswered).toBe(1);
    expect(d.unansweredQueries.items).toEqual([{ frame: 7, name: 'dead.example', qtype: 'A', client: CLIENT, server: SERVER, time: 6 }]);
    expect(d.topNames.items.find((n) => n.name === 'dead.example')).toMatchObject({ queries: 1, unanswered: 1 });
    expect(d.slowest.items.map((s) => [s.frame, s.responseFrame, s.responseTime])).toEqual([
      [4, 6, 3.2],
      [1, 3, 1.05],
    ]);
    // Wireshark: both retransmissions are within its 5 s timer, so dns.time counts from the first request.
    expect(r.times.map(([f, q]) => [f, q])).toEqual([
      [3, 1],
      [6, 4],
    ]);
    expect(d.responseTime.count).toBe(2);
    expectAgreesWithTshark(bytes, r);
  });

  it('Wireshark starts a new transaction for a repeated id after its 5 s retransmission timer', async () => {
    const bytes = pcap([
      { t: 0, data: query({ id: 40, name: 'again.example' }) },
      { t: 6, data: query({ id: 40, name: 'again.example' }) },
      { t: 6.25, data: response({ id: 40, name: 'again.example' }) },
    ]);
    const r = await analyze(bytes);
    expect(r.times).toEqual([[3, 2, 0.25]]);
    expectAgreesWithTshark(bytes, r);
  });

  it('a response whose query was not captured is unmatched (and a duplicate response is not)', async () => {
    const bytes = pcap([
      { t: 0, data: response({ id: 50, name: 'orphan.example', rcode: 3 }) },
      { t: 1, data: query({ id: 51, name: 'dup.example' }) },
      { t: 1.01, data: response({ id: 51, name: 'dup.example' }) },
      { t: 1.02, data: response({ id: 51, name: 'dup.example' }) },
      // Same id and ports but another question: not the answer to that query.
      { t: 2, data: query({ id: 52, name: 'asked.example' }) },
      { t: 2.01, data: response({ id: 52, name: 'other.example' }) },
      { t: 2.02, data: response({ id: 52, name: 'asked.example' }) },
    ]);
    const r = await analyze(bytes);
    const d = r.dns;
    expect(d.responses).toBe(5);
    expect(d.unmatchedResponses).toBe(2);
    expect(r.analyzer.extra.duplicateResponses).toBe(1);
    expect(d.transactions).toBe(2);
    expect(d.errors.items).toEqual([
      { frame: null, responseFrame: 1, name: 'orphan.example', qtype: 'A', rcode: 'NXDOMAIN', client: CLIENT, server: SERVER, time: 0 },
    ]);
    expectAgreesWithTshark(bytes, r);
  });

  it('DNS over TCP: two queries in one segment, a response split over two segments', async () => {
    const q1 = dnsMessage({ id: 60, questions: [{ name: 'tcp-one.example', type: DNS_TYPE.A }] });
    const q2 = dnsMessage({ id: 61, questions: [{ name: 'tcp-two.example', type: DNS_TYPE.TXT }] });
    const r1 = dnsMessage({
      id: 60,
      response: true,
      questions: [{ name: 'tcp-one.example', type: DNS_TYPE.A }],
      answers: [{ name: 'tcp-one.example', type: DNS_TYPE.A, data: new Uint8Array([192, 0, 2, 7]) }],
    });
    const r2 = dnsMessage({
      id: 61,
      response: true,
      questions: [{ name: 'tcp-two.example', type: DNS_TYPE.TXT }],
      answers: [{ name: 'tcp-two.example', type: DNS_TYPE.TXT, data: new Uint8Array([3, 0x61, 0x62, 0x63]) }],
    });
    const c = new TcpConversation({ client: `${CLIENT}:40100`, server: `${SERVER}:53`, start: T0, step: 0.01 });
    c.handshake(); // frames 1-3
    c.clientSends(0, { payload: concat(dnsOverTcp(q1), dnsOverTcp(q2)) }); // frame 4 at 0.03
    const r1tcp = dnsOverTcp(r1);
    c.serverSends(0, { payload: r1tcp.subarray(0, 10) }); // frame 5: nothing complete
    c.serverSends(0, { payload: concat(r1tcp.subarray(10), dnsOverTcp(r2)) }); // frame 6 at 0.05: both complete
    c.clientAcks();
    const bytes = c.toPcap();
    const r = await analyze(bytes);
    const d = r.dns;
    expect(d.queries).toBe(1);
    expect(d.responses).toBe(1);
    expect(d.overTcp).toBe(4);
    expect(d.transactions).toBe(2);
    expect(d.qtypes).toEqual({ A: 1, TXT: 1 });
    expect(d.slowest.items.map((s) => [s.name, s.frame, s.responseFrame])).toEqual([
      ['tcp-one.example', 4, 6],
      ['tcp-two.example', 4, 6],
    ]);
    expect(d.slowest.items[0].responseTime).toBeCloseTo(0.02, 9);
    expect(r.times.map(([f, q]) => [f, q])).toEqual([
      [6, 4],
      [6, 4],
    ]);
    expectAgreesWithTshark(bytes, r);
  });

  it('zone transfer over TCP: Wireshark times every response message of an AXFR', async () => {
    const soa = new Uint8Array(22);
    const axfrQ = dnsMessage({ id: 70, questions: [{ name: 'zone.example', type: 252 }] });
    const part = (n: number, withQuestion: boolean) =>
      dnsMessage({
        id: 70,
        response: true,
        questions: withQuestion ? [{ name: 'zone.example', type: 252 }] : [],
        answers: [{ name: `h${n}.zone.example`, type: DNS_TYPE.A, data: new Uint8Array([192, 0, 2, n]) }, { name: 'zone.example', type: DNS_TYPE.SOA, data: soa }],
      });
    const c = new TcpConversation({ client: `${CLIENT}:40200`, server: `${SERVER}:53`, start: T0, step: 0.01 });
    c.handshake();
    c.clientSends(0, { payload: dnsOverTcp(axfrQ) }); // frame 4
    c.serverSends(0, { payload: dnsOverTcp(part(1, true)) }); // frame 5
    c.serverSends(0, { payload: dnsOverTcp(part(2, false)) }); // frame 6
    c.clientAcks();
    const bytes = c.toPcap();
    const r = await analyze(bytes);
    expect(r.times.map(([f, q]) => [f, q])).toEqual([
      [5, 4],
      [6, 4],
    ]);
    expect(r.dns.transactions).toBe(1);
    expect(r.dns.unmatchedResponses).toBe(0);
    expect(r.analyzer.extra.duplicateResponses).toBe(1);
    expectAgreesWithTshark(bytes, r);
  });

  it('IPv6 DNS: canonical addresses, matched like IPv4', async () => {
    const c6 = '2001:db8::1';
    const s6 = '2001:db8:0:0:0:0:0:35';
    const q = dnsMessage({ id: 80, questions: [{ name: 'v6.example', type: DNS_TYPE.AAAA }] });
    const a = dnsMessage({
      id: 80,
      response: true,
      questions: [{ name: 'v6.example', type: DNS_TYPE.AAAA }],
      answers: [{ name: 'v6.example', type: DNS_TYPE.AAAA, data: new Uint8Array(16) }],
    });
    const bytes = pcap([
      { t: 0, data: etherIpv6Udp({ src: c6, dst: s6, srcPort: 50000, dstPort: 53, payload: q }) },
      { t: 0.004, data: etherIpv6Udp({ src: s6, dst: c6, srcPort: 53, dstPort: 50000, payload: a }) },
    ]);
    const r = await analyze(bytes);
    expect(r.dns.transactions).toBe(1);
    expect(r.dns.slowest.items[0]).toEqual({
      frame: 1,
      responseFrame: 2,
      name: 'v6.example',
      qtype: 'AAAA',
      client: '2001:db8::1',
      server: '2001:db8::35',
      time: 0,
      responseTime: 0.004,
    });
    expect(r.dns.servers.items[0].address).toBe('2001:db8::35');
    expectAgreesWithTshark(bytes, r);
  });

  it('a compression loop in the question is malformed, still counted like tshark, and does not crash', async () => {
    // Question name = pointer to itself (offset 12).
    const loop = dnsRaw({ id: 90, flags: 0x0100, qdcount: 1, body: concat(dnsPointer(12), new Uint8Array([0, 1, 0, 1])) });
    // A later pointer chain that loops between two names.
    const loop2 = dnsRaw({ id: 91, flags: 0x8180, qdcount: 1, body: concat(new Uint8Array([1, 0x61]), dnsPointer(14), dnsPointer(12), new Uint8Array([0, 1, 0, 1])) });
    const bytes = pcap([
      { t: 0, data: etherIpv4Udp({ src: CLIENT, dst: SERVER, srcPort: 40300, dstPort: 53, payload: loop }) },
      { t: 0.1, data: etherIpv4Udp({ src: SERVER, dst: CLIENT, srcPort: 53, dstPort: 40300, payload: loop2 }) },
      { t: 0.2, data: etherIpv4Udp({ src: CLIENT, dst: SERVER, srcPort: 40301, dstPort: 53, payload: new Uint8Array([1, 2, 3, 4, 5]) }) },
    ]);
    const r = await analyze(bytes);
    expect(r.dns.malformed).toBe(3);
    // Wireshark shows the flags of the 5-byte message before it fails on the short header.
    expect(r.dns.queries).toBe(2);
    expect(r.dns.responses).toBe(1);
    expect(r.dns.transactions).toBe(0);
    expectAgreesWithTshark(bytes, r);
  });

  it('a response cut by the snapshot length answers its query but, as in Wireshark, has no dns.time', async () => {
    const full = response({ id: 130, name: 'cut.example' });
    const headers = 14 + 20 + 8;
    const questionEnd = headers + 12 + 'cut.example'.length + 2 + 4;
    const recs: PcapRecord[] = [
      { tsSec: T0, tsFrac: 0, data: query({ id: 130, name: 'cut.example' }) },
      { tsSec: T0, tsFrac: 5000, data: full.subarray(0, questionEnd + 6), origLen: full.length },
      { tsSec: T0, tsFrac: 6000, data: query({ id: 131, name: 'whole.example' }) },
      { tsSec: T0, tsFrac: 9000, data: response({ id: 131, name: 'whole.example' }) },
    ];
    const bytes = writePcap({ snaplen: questionEnd + 6 }, recs);
    const r = await analyze(bytes);
    expect(r.dns.responses).toBe(2);
    expect(r.dns.transactions).toBe(2);
    expect(r.dns.malformed).toBe(0);
    expect(r.times.map(([f]) => f)).toEqual([4]);
    expect(r.dns.responseTime.count).toBe(1);
    expectAgreesWithTshark(bytes, r);
  });

  it('names with markup and control bytes stay escaped text within the schema bounds', async () => {
    const evil = '<script>alert(1)</script>\u0007\u0000.example';
    const long = ['\u0001'.repeat(63), '\u0001'.repeat(63), '\u0001'.repeat(63), '\u0001'.repeat(61)].join('.');
    const bytes = pcap([
      { t: 0, data: query({ id: 100, name: evil }) },
      { t: 0.001, data: response({ id: 100, name: evil, rcode: 3 }) },
      { t: 0.002, data: query({ id: 101, name: long, port: 40400 }) },
    ]);
    const r = await analyze(bytes);
    const names = r.dns.topNames.items.map((n) => n.name);
    expect(names).toContain('<script>alert(1)</script>\\007\\000.example');
    const longText = ['\\001'.repeat(63), '\\001'.repeat(63), '\\001'.repeat(63), '\\001'.repeat(61)].join('.');
    expect(names).toContain(longText);
    expect(longText.length).toBeLessThanOrEqual(1100);
    expect(r.dns.errors.items[0].name).toBe('<script>alert(1)</script>\\007\\000.example');
    // eslint-disable-next-line no-control-regex
    for (const n of names) expect(n).not.toMatch(/[\u0000-\u001f\u007f]/);
  });

  it('mDNS and LLMNR count as queries/responses (shared dns.flags fields) but not as DNS transactions', async () => {
    const mq = dnsMessage({ id: 0, rd: false, questions: [{ name: '_http._tcp.local', type: DNS_TYPE.PTR }] });
    const lq = dnsMessage({ id: 0x4242, rd: false, questions: [{ name: 'printer', type: DNS_TYPE.A }] });
    const lr = dnsMessage({ id: 0x4242, response: true, rd: false, questions: [{ name: 'printer', type: DNS_TYPE.A }], answers: [{ name: 'printer', type: DNS_TYPE.A, data: new Uint8Array([10, 0, 0, 9]) }] });
    const bytes = pcap([
      { t: 0, data: etherIpv4Udp({ src: CLIENT, dst: '224.0.0.251', srcPort: 5353, dstPort: 5353, payload: mq }) },
      { t: 0.1, data: etherIpv4Udp({ src: CLIENT, dst: '224.0.0.252', srcPort: 50123, dstPort: 5355, payload: lq }) },
      { t: 0.11, data: etherIpv4Udp({ src: '10.0.0.9', dst: CLIENT, srcPort: 5355, dstPort: 50123, payload: lr }) },
      { t: 5, data: filler() },
    ]);
    const r = await analyze(bytes);
    expect(r.dns.queries).toBe(2);
    expect(r.dns.responses).toBe(1);
    expect(r.dns.transactions).toBe(0);
    expect(r.dns.unanswered).toBe(0);
    expect(r.dns.unmatchedResponses).toBe(0);
    expect(r.dns.servers.items).toEqual([]);
    expect(r.dns.qtypes).toEqual({ PTR: 1, A: 1 });
    expect(r.analyzer.extra.mdnsMessages).toBe(1);
    expect(r.analyzer.extra.llmnrMessages).toBe(2);
    expectAgreesWithTshark(bytes, r);
  });

  it('DNS quoted in an ICMP error counts as tshark counts it, and nothing else', async () => {
    const resp = dnsMessage({ id: 110, response: true, questions: [{ name: 'quoted.example', type: DNS_TYPE.A }] });
    const quoted = ipv4Udp({ src: SERVER, dst: CLIENT, srcPort: 53, dstPort: 40500, payload: resp });
    const err = ipv4({ src: CLIENT, dst: SERVER, protocol: IPPROTO.ICMP, payload: icmp({ type: 3, code: 3, payload: quoted }) });
    const bytes = pcap([{ t: 0, data: ethernet({ etherType: ETHERTYPE.IPV4, payload: err }) }]);
    const r = await analyze(bytes);
    expect(r.dns.responses).toBe(1);
    expect(r.dns.unmatchedResponses).toBe(0);
    expect(r.dns.rcodes).toEqual({});
    expect(r.analyzer.extra.icmpQuoted).toBe(1);
    expectAgreesWithTshark(bytes, r);
  });

  it('a frame with several messages counts once per filter', async () => {
    const ok = dnsMessage({ id: 120, response: true, questions: [{ name: 'a.example', type: DNS_TYPE.A }] });
    const bad = dnsMessage({ id: 121, response: true, rcode: 3, questions: [{ name: 'b.example', type: DNS_TYPE.A }] });
    const c = new TcpConversation({ client: `${CLIENT}:40600`, server: `${SERVER}:53`, start: T0 });
    c.handshake();
    c.serverSends(0, { payload: concat(dnsOverTcp(ok), dnsOverTcp(bad)) });
    const bytes = c.toPcap();
    const r = await analyze(bytes);
    expect(r.dns.responses).toBe(1);
    expect(r.dns.errorResponses).toBe(1);
    expect(r.dns.rcodes).toEqual({ NOERROR: 1, NXDOMAIN: 1 });
    expect(r.dns.unmatchedResponses).toBe(2);
    expectAgreesWithTshark(bytes, r);
  });
});

describe('DnsAnalyzer memory bounds', () => {
  it('evicts the least recently active waiting query when the table is full and counts it unanswered', async () => {
    const pkts: Pkt[] = [];
    for (let i = 0; i < 10; i++) pkts.push({ t: i * 0.001, data: query({ id: i, name: `n${i}.example`, port: 41000 + i }) });
    pkts.push({ t: 0.5, data: response({ id: 9, name: 'n9.example', port: 41009 }) });
    const r = await analyze(pcap(pkts), { limits: { tracked: 4 } });
    expect(r.analyzer.extra.evictedPending).toBe(6);
    expect(r.dns.unanswered).toBe(6);
    expect(r.dns.transactions).toBe(1);
    expect(r.analyzer.extra.pendingAtEnd).toBe(3);
    expect(r.dns.unansweredQueries.items.map((u) => u.frame)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps name and server statistics bounded (space-saving) and reports what was left out', async () => {
    const pkts: Pkt[] = [];
    let t = 0;
    for (let i = 0; i < 30; i++) pkts.push({ t: (t += 0.001), data: query({ id: 1000 + i, name: 'popular.example', port: 42000 + i }) });
    for (let i = 0; i < 200; i++) pkts.push({ t: (t += 0.001), data: query({ id: 2000 + i, name: `rand${i}.example`, server: `10.1.${i >> 8}.${i & 255}`, port: 43000 + i }) });
    const r = await analyze(pcap(pkts), { limits: { names: 16, servers: 16 } });
    expect(r.dns.topNames.items[0]).toMatchObject({ name: 'popular.example', queries: 30 });
    expect(r.dns.topNames.items.length).toBeLessThanOrEqual(16);
    expect(r.dns.topNames.omitted).toBeGreaterThan(0);
    expect(r.dns.servers.items[0]).toMatchObject({ address: SERVER, queries: 30 });
    expect(r.dns.servers.items.length).toBeLessThanOrEqual(16);
  });

  it('caps the lists to the schema bounds with omitted counts', async () => {
    const pkts: Pkt[] = [];
    let t = 0;
    for (let i = 0; i < 260; i++) {
      pkts.push({ t: (t += 0.001), data: query({ id: i, name: `e${i}.example`, port: 44000 + i }) });
      pkts.push({ t: (t += 0.001), data: response({ id: i, name: `e${i}.example`, port: 44000 + i, rcode: 3 }) });
    }
    for (let i = 0; i < 230; i++) pkts.push({ t: (t += 0.001), data: query({ id: i, name: `u${i}.example`, port: 45000 + i }) });
    pkts.push({ t: t + 10, data: filler() });
    const r = await analyze(pcap(pkts));
    expect(r.dns.errors.items).toHaveLength(200);
    expect(r.dns.errors.omitted).toBe(60);
    expect(r.dns.errors.items[0].responseFrame).toBe(2);
    expect(r.dns.unansweredQueries.items).toHaveLength(200);
    expect(r.dns.unansweredQueries.omitted).toBe(30);
    expect(r.dns.unansweredQueries.items[0].frame).toBe(521);
    expect(r.dns.slowest.items).toHaveLength(50);
    expect(r.dns.slowest.omitted).toBe(210);
    expect(r.dns.topNames.items).toHaveLength(50);
    expect(r.dns.topNames.omitted).toBe(440);
  });
});
