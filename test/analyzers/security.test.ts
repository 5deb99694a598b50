/**
 * Security detectors: for each one, a capture built here where it fires on the attack pattern and
 * captures just below its thresholds where it does not. Every section is validated against the report
 * schema, and (when tshark is installed) every detection's display filter is run through tshark to
 * check it selects the detection's sample frames.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCidr, resolveSecurityThresholds, SECURITY_THRESHOLDS, SecurityAnalyzer, type SecurityOptions } from '../../worker/analyzers/security/index.js';
import { registeredDomain } from '../../worker/analyzers/security/dns-tunnel.js';
import { InternalRanges } from '../../worker/analyzers/security/ranges.js';
import { securitySchema, type Detection, type SecuritySection } from '../../worker/report/sections/security.js';
import { writePcap, type PcapRecord } from '../helpers/capture-writer.js';
import {
  dnsMessage,
  ethernet,
  ETHERTYPE,
  etherIpv4Tcp,
  etherIpv4Udp,
  etherIpv6Tcp,
  etherIpv6Udp,
  filler,
  icmp,
  icmpv6,
  ipv4,
  ipv6,
  ipv4Udp,
  IPPROTO,
  tcp,
} from '../helpers/packet-builder.js';
import { hasTshark, tempDir, tsharkFields } from '../helpers/tshark.js';
import { runAnalyzers } from './harness.js';

const T0 = 1_700_000_000;

/** Deterministic pseudo-random numbers (xorshift32) so fixtures are identical on every run. */
class Rng {
  constructor(private s = 0x12345678) {}
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

type Payload = number | Uint8Array;
const bytesOf = (p: Payload | undefined): Uint8Array => (p === undefined ? new Uint8Array(0) : typeof p === 'number' ? filler(p) : p);

/** A capture under construction: packets at relative times (seconds), written in time order. */
class Cap {
  private recs: Array<{ t: number; n: number; data: Uint8Array; origLen?: number }> = [];

  add(t: number, data: Uint8Array, origLen?: number): this {
    this.recs.push({ t, n: this.recs.length, data, origLen });
    return this;
  }

  tcp(t: number, src: string, sport: number, dst: string, dport: number, flags: string, o: { seq?: number; ack?: number; payload?: Payload } = {}): this {
    const build = src.includes(':') ? etherIpv6Tcp : etherIpv4Tcp;
    return this.add(t, build({ src, dst, srcPort: sport, dstPort: dport, flags, seq: o.seq ?? 1, ack: o.ack ?? (flags.includes('A') ? 1 : 0), payload: bytesOf(o.payload) }));
  }

  /**
   * A TCP segment carrying `len` payload bytes of which only the headers are in the capture (as with
   * a snap length of 54): the headers declare the full length, so payload counts stay exact.
   */
  tcpTruncated(t: number, src: string, sport: number, dst: string, dport: number, seq: number, len: number): this {
    const seg = tcp({ srcIp: src, dstIp: dst, srcPort: sport, dstPort: dport, seq, ack: 1, flags: 'PA' });
    const ip = ipv4({ src, dst, protocol: IPPROTO.TCP, payload: seg, totalLengthOverride: 40 + len, df: true });
    const frame = ethernet({ etherType: ETHERTYPE.IPV4, payload: ip });
    return this.add(t, frame, frame.length + len);
  }

  udp(t: number, src: string, sport: number, dst: string, dport: number, payload: Payload = 0): this {
    return this.add(t, etherIpv4Udp({ src, dst, srcPort: sport, dstPort: dport, payload: bytesOf(payload) }));
  }

  /** ICMP error from `from` to `to` quoting `quoted` (an IP datagram; its first 28 bytes are kept). */
  icmpError(t: number, from: string, to: string, type: number, code: number, quoted: Uint8Array): this {
    const body = icmp({ type, code, payload: quoted.subarray(0, 28) });
    return this.add(t, ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4({ src: from, dst: to, protocol: IPPROTO.ICMP, payload: body }) }));
  }

  echo(t: number, src: string, dst: string, seq: number, reply = false): this {
    const body = icmp({ type: reply ? 0 : 8, code: 0, rest: (0x1234 << 16) | (seq & 0xffff), payload: filler(56) });
    return this.add(t, ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4({ src, dst, protocol: IPPROTO.ICMP, payload: body }) }));
  }

  /**
   * A complete TCP connection at time t: handshake, then `talk` (alternating client/server payload
   * sizes, client first) spread over `dur` seconds, then a FIN exchange (or a reset).
   */
  conn(t: number, client: string, cport: number, server: string, sport: number, o: { talk?: number[]; dur?: number; end?: 'fin' | 'rst' | 'none' } = {}): this {
    const talk = o.talk ?? [];
    const dur = o.dur ?? 0.05;
    let cs = 1000;
    let ss = 5000;
    this.tcp(t, client, cport, server, sport, 'S', { seq: cs - 1 });
    this.tcp(t + 0.001, server, sport, client, cport, 'SA', { seq: ss - 1, ack: cs });
    this.tcp(t + 0.002, client, cport, server, sport, 'A', { seq: cs, ack: ss });
    const step = talk.length > 0 ? (dur - 0.004) / (talk.length + 1) : 0;
    talk.forEach((len, k) => {
      const tt = t + 0.003 + step * (k + 1);
      if (k % 2 === 0) {
        this.tcp(tt, client, cport, server, sport, 'PA', { seq: cs, ack: ss, payload: len });
        cs += len;
      } else {
        this.tcp(tt, server, sport, client, cport, 'PA', { seq: ss, ack: cs, payload: len });
        ss += len;
      }
    });
    const te = t + dur;
    if (o.end === 'rst') this.tcp(te, server, sport, client, cport, 'RA', { seq: ss, ack: cs });
    else if (o.end !== 'none') {
      this.tcp(te, server, sport, client, cport, 'FA', { seq: ss, ack: cs });
      this.tcp(te + 0.001, client, cport, server, sport, 'FA', { seq: cs, ack: ss + 1 });
      this.tcp(te + 0.002, server, sport, client, cport, 'A', { seq: ss + 1, ack: cs + 1 });
    }
    return this;
  }

  get length(): number {
    return this.recs.length;
  }

  pcap(): Uint8Array {
    const sorted = [...this.recs].sort((a, b) => a.t - b.t || a.n - b.n);
    const records: PcapRecord[] = sorted.map((r) => {
      const us = Math.round(r.t * 1e6);
      return { tsSec: T0 + Math.floor(us / 1e6), tsFrac: us % 1e6, data: r.data, origLen: r.origLen };
    });
    return writePcap({}, records);
  }
}

const tmp = tempDir('security-');
afterAll(() => tmp.cleanup());
let fileNo = 0;

async function analyze(cap: Cap | Uint8Array, options?: SecurityOptions): Promise<{ section: SecuritySection; detections: Detection[]; bytes: Uint8Array }> {
  const bytes = cap instanceof Uint8Array ? cap : cap.pcap();
  const { sections } = await runAnalyzers(bytes, (flows) => ({ security: new SecurityAnalyzer(flows, options) }));
  const section = sections.security;
  v.parse(securitySchema, section);
  return { section, detections: section.detections.items, bytes };
}

function only(ds: Detection[], kind: Detection['kind']): Detection {
  const of = ds.filter((d) => d.kind === kind);
  expect(of.map((d) => d.title), `exactly one ${kind}; got ${ds.map((d) => `${d.kind}: ${d.title}`).join(' | ')}`).toHaveLength(1);
  return of[0];
}

/** With tshark: the detection's filter parses and selects every sample frame. */
function checkFilter(bytes: Uint8Array, d: Detection): void {
  expect(d.filter.length).toBeGreaterThan(0);
  expect(d.sampleFrames.length).toBeGreaterThan(0);
  if (!hasTshark()) return;
  const file = tmp.write(`f${fileNo++}.pcap`, bytes);
  const frames = new Set(tsharkFields(file, ['frame.number'], { filter: d.filter, prefs: [] }).map((r) => Number(r[0])));
  expect(frames.size, `filter selects frames: ${d.filter}`).toBeGreaterThan(0);
  for (const f of d.sampleFrames) expect(frames.has(f), `sample frame ${f} selected by ${d.filter}`).toBe(true);
}

const ATTACKER = '10.0.0.66';
const VICTIM = '10.0.0.5';

// ─────────────────────────────────────────────────────────────────────────────────────────────────────
describe('options and reference data', () => {
  it('thresholds: defaults, overrides, and clear errors', () => {
    const t = resolveSecurityThresholds({ scanVerticalMinPorts: 20 });
    expect(t.scanVerticalMinPorts).toBe(20);
    expect(t.scanHorizontalMinHosts).toBe(SECURITY_THRESHOLDS.scanHorizontalMinHosts.default);
    expect(() => resolveSecurityThresholds({ scanVerticalMinPort: 20 })).toThrow(/unknown security threshold "scanVerticalMinPort"/);
    expect(() => resolveSecurityThresholds({ bruteMinConnections: -1 })).toThrow(/non-negative/);
    expect(() => resolveSecurityThresholds({ bruteMinConnections: Number.NaN })).toThrow(/non-negative/);
    expect(() => resolveSecurityThresholds({ synFloodMinHalfOpenRatio: 1.5 })).toThrow(/share between 0 and 1/);
    expect(() => resolveSecurityThresholds({ beaconExternalOnly: 2 })).toThrow(/0 or 1/);
    expect(Object.keys(SECURITY_THRESHOLDS).length).toBeLessThanOrEqual(80);
  });

  it('docs/security-detectors.md lists every threshold with its default', () => {
    const doc = readFileSync(join(process.cwd(), 'docs', 'security-detectors.md'), 'utf8');
    for (const [name, spec] of Object.entries(SECURITY_THRESHOLDS)) {
      expect(doc, name).toContain(`| \`${name}\` | ${spec.default.toLocaleString('en-US')} |`);
    }
  });

  it('internal ranges: CIDR validation and membership', () => {
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/prefix length/);
    expect(() => parseCidr('10.0.0.1/8')).toThrow(/host bits set \(did you mean 10\.0\.0\.0\/8\?\)/);
    expect(() => parseCidr('10.0.0/8')).toThrow(/not an IPv4 address/);
    expect(() => parseCidr('fd00::zz/8')).toThrow(/not an IPv6 address/);
    expect(() => new InternalRanges(['10.0.0.0/8', 'nonsense'])).toThrow(/nonsense/);
    const r = new InternalRanges();
    const v4 = (s: string) => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
    for (const a of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '127.0.0.1', '169.254.9.9', '100.64.0.1', '100.127.255.254']) {
      expect(r.isInternal(4, v4(a), 0, 0, 0), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '192.169.0.1', '203.0.113.9']) expect(r.isInternal(4, v4(a), 0, 0, 0), a).toBe(false);
    expect(r.isInternal(6, 0xfd123456, 0, 0, 1)).toBe(true); // ULA
    expect(r.isInternal(6, 0xfe800000, 0, 0, 1)).toBe(true); // link-local
    expect(r.isInternal(6, 0, 0, 0, 1)).toBe(true); // ::1
    expect(r.isInternal(6, 0x20010db8, 0, 0, 1)).toBe(false);
    const custom = new InternalRanges(['203.0.113.0/24', '2001:db8::/32']);
    expect(custom.isInternal(4, v4('203.0.113.9'), 0, 0, 0)).toBe(true);
    expect(custom.isInternal(4, v4('10.0.0.1'), 0, 0, 0)).toBe(false);
    expect(custom.isInternal(6, 0x20010db8, 0, 0, 1)).toBe(true);
  });

  it('registered domain: last two labels, three under a ccTLD public second level', () => {
    expect(registeredDomain('a.b.example.com')).toBe('example.com');
    expect(registeredDomain('x.Example.CO.UK')).toBe('example.co.uk');
    expect(registeredDomain('www.example.com.au.')).toBe('example.com.au');
    expect(registeredDomain('host.example.de')).toBe('example.de');
    expect(registeredDomain('example.com')).toBe('example.com');
    expect(registeredDomain('localhost')).toBe('localhost');
    // Documented limitation: private suffixes of the Public Suffix List are not known.
    expect(registeredDomain('user.github.io')).toBe('github.io');
  });

  it('an empty capture yields an empty, schema-valid section with thresholds and ranges', async () => {
    const { section } = await analyze(new Cap());
    expect(section.detections).toEqual({ items: [], omitted: 0 });
    expect(Object.keys(section.thresholds).sort()).toEqual(Object.keys(SECURITY_THRESHOLDS).sort());
    expect(section.internalRanges).toContain('10.0.0.0/8');
    expect(section.internalRanges).toContain('fc00::/7');
  });

  it('the analyzer constructor rejects bad options', () => {
    expect(() => new SecurityAnalyzer(undefined as never, { internalRanges: ['10.0.0.0/40'] })).toThrow(/prefix length/);
    expect(() => new SecurityAnalyzer(undefined as never, { thresholds: { nope: 1 } })).toThrow(/unknown security threshold/);
  });
});

// ─────────────────────────────────────────────────────────────────────────────────────────────────────
/** nmap-style TCP scan: one probe per port from one source port; closed ports answer RST, open SYN/ACK. */
function tcpScan(cap: Cap, ports: number[], o: { flags?: string; start?: number; step?: number; dst?: string; open?: number[]; silent?: number[] } = {}): Cap {
  const flags = o.flags ?? 'S';
  const step = o.step ?? 0.1;
  const dst = o.dst ?? VICTIM;
  ports.forEach((p, k) => {
    const t = (o.start ?? 0) + k * step;
    cap.tcp(t, ATTACKER, 40000, dst, p, flags, { seq: 1000 });
    if (o.silent?.includes(p)) return;
    if (flags === 'S' && o.open?.includes(p)) {
      cap.tcp(t + 0.001, dst, p, ATTACKER, 40000, 'SA', { seq: 5000, ack: 1001 });
      cap.tcp(t + 0.002, ATTACKER, 40000, dst, p, 'R', { seq: 1001 });
    } else {
      cap.tcp(t + 0.001, dst, p, ATTACKER, 40000, flags === 'S' ? 'RA' : 'R', { seq: flags === 'S' ? 0 : 1, ack: 1001 });
    }
  });
  return cap;
}

const range = (a: number, n: number): number[] => Array.from({ length: n }, (_, i) => a + i);

describe('port scans', () => {
  it('fires on a vertical SYN scan of 60 ports in 6 s with the open/closed/unanswered split', async () => {
    const { detections, bytes } = await analyze(tcpScan(new Cap(), range(1, 60), { open: [22, 53], silent: range(41, 10) }));
    const d = only(detections, 'port_scan');
    expect(d.title).toMatch(/^SYN port scan \(vertical\) from 10\.0\.0\.66: 60 ports on 1 host/);
    expect(d.metrics).toMatchObject({ targets: 60, distinctPorts: 60, peakPortsOnOneHost: 60, answered: 2, refused: 48, unanswered: 10, openPorts: 2, syn: 60 });
    expect(d.hosts).toEqual([ATTACKER, VICTIM]);
    expect(d.ports.slice(0, 2)).toEqual([22, 53]);
    expect(d.rule).toContain('≥ 50 distinct ports');
    expect(d.rule).toContain('within 60 s');
    expect(d.start).toBeCloseTo(0, 6);
    expect(d.end).toBeGreaterThan(5.9);
    expect(detections).toHaveLength(1);
    checkFilter(bytes, d);
  });

  it('does not fire on 49 ports (one below the threshold) nor on 60 ports spread over 3 minutes', async () => {
    expect((await analyze(tcpScan(new Cap(), range(1, 49)))).detections).toEqual([]);
    expect((await analyze(tcpScan(new Cap(), range(1, 60), { step: 3 }))).detections).toEqual([]);
  });

  it('fires on a horizontal scan of port 445 over 35 hosts (unanswered SYNs, retransmitted)', async () => {
    const cap = new Cap();
    for (let h = 1; h <= 35; h++) {
      cap.tcp(h * 0.5, ATTACKER, 40000 + h, `10.0.1.${h}`, 445, 'S', { seq: 7 });
      cap.tcp(h * 0.5 + 1, ATTACKER, 40000 + h, `10.0.1.${h}`, 445, 'S', { seq: 7 });
    }
    const { detections, bytes } = await analyze(cap);
    const d = only(detections, 'port_scan');
    expect(d.title).toMatch(/^SYN port scan \(horizontal\) from 10\.0\.0\.66: 1 port on 35 hosts/);
    expect(d.metrics).toMatchObject({ peakHostsOnOnePort: 35, unanswered: 35, answered: 0, refused: 0 });
    expect(d.ports).toEqual([445]);
    checkFilter(bytes, d);
  });

  it('needs most targets to stay silent or refuse: idle browser-like connections to 35 web hosts do not fire', async () => {
    // A browser's speculative connections: every host answers the SYN, nothing is ever sent.
    const idle = (failing: number) => {
      const cap = new Cap();
      for (let h = 1; h <= 35; h++) {
        cap.tcp(h * 0.5, '10.0.0.7', 50000 + h, `198.51.100.${h}`, 80, 'S', { seq: 9 });
        if (h > failing) cap.tcp(h * 0.5 + 0.02, `198.51.100.${h}`, 80, '10.0.0.7', 50000 + h, 'SA', { seq: 0, ack: 10 });
      }
      return cap;
    };
    expect((await analyze(idle(0))).detections).toEqual([]);
    expect((await analyze(idle(17))).detections).toEqual([]); // 17 of 35 silent: 49% < 50%
    const d = only((await analyze(idle(18))).detections, 'port_scan'); // 18 of 35: 51%
    expect(d.metrics).toMatchObject({ answered: 17, unanswered: 18 });
  });

  it('does not fire on 29 hosts', async () => {
    const cap = new Cap();
    for (let h = 1; h <= 29; h++) cap.tcp(h * 0.5, ATTACKER, 40000 + h, `10.0.1.${h}`, 445, 'S');
    expect((await analyze(cap)).detections).toEqual([]);
  });

  for (const [flags, name, metric] of [
    ['F', 'FIN', 'fin'],
    ['', 'NULL', 'null'],
    ['FPU', 'Xmas', 'xmas'],
    ['A', 'ACK', 'ack'],
  ] as const) {
    it(`names the scan type from the probe flags: ${name}`, async () => {
      const { detections, bytes } = await analyze(tcpScan(new Cap(), range(100, 60), { flags, silent: range(100, 5) }));
      const d = only(detections, 'port_scan');
      expect(d.title.startsWith(`${name} port scan (vertical)`), d.title).toBe(true);
      expect(d.metrics[metric]).toBe(60);
      expect(d.metrics.refused).toBe(55);
      expect(d.metrics.unanswered).toBe(5);
      checkFilter(bytes, d);
    });
  }

  it('fires on a UDP scan answered by ICMP port unreachable; not on 49 ports; never on traceroute', async () => {
    const udpScan = (n: number) => {
      const cap = new Cap();
      range(1000, n).forEach((p, k) => {
        const t = k * 0.2;
        cap.udp(t, ATTACKER, 50000, VICTIM, p, 0);
        if (k % 10 !== 9) cap.icmpError(t + 0.001, VICTIM, ATTACKER, 3, 3, ipv4Udp({ src: ATTACKER, dst: VICTIM, srcPort: 50000, dstPort: p, payload: new Uint8Array(0) }));
      });
      return cap;
    };
    const { detections, bytes } = await analyze(udpScan(60));
    const d = only(detections, 'port_scan');
    expect(d.title).toMatch(/^UDP port scan \(vertical\) from 10\.0\.0\.66: 60 ports on 1 host — 54 ICMP port unreachable \(closed\), 6 unanswered/);
    expect(d.metrics).toMatchObject({ refused: 54, unanswered: 6 });
    checkFilter(bytes, d);
    expect((await analyze(udpScan(49))).detections).toEqual([]);

    // traceroute: 30 hops × 3 probes to increasing ports, answered by time exceeded (and the last hop by port unreachable)
    const tr = new Cap();
    let port = 33434;
    for (let hop = 1; hop <= 30; hop++) {
      for (let q = 0; q < 3; q++, port++) {
        const t = hop * 0.3 + q * 0.05;
        tr.udp(t, ATTACKER, 50000, '198.51.100.77', port, 32);
        const quoted = ipv4Udp({ src: ATTACKER, dst: '198.51.100.77', srcPort: 50000, dstPort: port, payload: filler(32) });
        if (hop < 30) tr.icmpError(t + 0.01, `192.0.2.${hop}`, ATTACKER, 11, 0, quoted);
        else tr.icmpError(t + 0.01, '198.51.100.77', ATTACKER, 3, 3, quoted);
      }
    }
    expect((await analyze(tr)).detections).toEqual([]);
  });
});

// ─────────────────────────────────────────────────────────────────────────────────────────────────────
describe('brute force', () => {
  const SSH_ATTEMPT = [41, 41, 1200, 1100, 300, 50];
  const ssh = (n: number, o: { success?: boolean; every?: number } = {}) => {
    const cap = new Cap();
    for (let k = 0; k < n; k++) cap.conn(k * (o.every ?? 4.5), '203.0.113.50', 50000 + k, VICTIM, 22, { talk: SSH_ATTEMPT, dur: 2 });
    if (o.success) cap.conn(n * (o.every ?? 4.5) + 5, '203.0.113.50', 51000, VICTIM, 22, { talk: [41, 41, 1200, 1100, 300, 50, 20000, 30000], dur: 120 });
    return cap;
  };

  it('fires on 12 short SSH connections within a minute', async () => {
    const { detections, bytes } = await analyze(ssh(12));
    const d = only(detections, 'brute_force');
    expect(d.title).toMatch(/^Possible SSH brute force: 203\.0\.113\.50 opened 12 short connections to 10\.0\.0\.5:22 within 60 s/);
    expect(d.severity).toBe('warning');
    expect(d.hosts).toEqual(['203.0.113.50', VICTIM]);
    expect(d.ports).toEqual([22]);
    expect(d.metrics).toMatchObject({ peakConnectionsInWindow: 12, shortConnections: 12, laterSessions: 0 });
    expect(d.rule).toContain('≥ 10 established TCP connections');
    expect(detections).toHaveLength(1);
    checkFilter(bytes, d);
  });

  it('does not fire on 9 connections, nor on 12 spread over more than a minute each way', async () => {
    expect((await analyze(ssh(9))).detections).toEqual([]);
    expect((await analyze(ssh(12, { every: 7 }))).detections).toEqual([]);
  });

  it('is critical when a longer session follows the attempts (possible successful login)', async () => {
    const { detections } = await analyze(ssh(12, { success: true }));
    const d = only(detections, 'brute_force');
    expect(d.severity).toBe('critical');
    expect(d.title).toContain('possible successful login');
    expect(d.metrics.laterSessions).toBe(1);
  });

  it('HTTP: fires on 35 identical login posts, not on 35 browser-like fetches of different sizes, nor on 29', async () => {
    const rng = new Rng();
    const post = (n: number, varied: boolean) => {
      const cap = new Cap();
      for (let k = 0; k < n; k++) {
        const talk = varied ? [300 + rng.int(600), 500 + rng.int(60000)] : [420, 611];
        cap.conn(k * 1.5, '198.51.100.9', 40000 + k, '10.0.0.80', 80, { talk, dur: 0.3 });
      }
      return cap;
    };
    const { detections, bytes } = await analyze(post(35, false));
    const d = only(detections, 'brute_force');
    expect(d.title).toMatch(/^Possible HTTP brute force: 198\.51\.100\.9 opened 35 short connections to 10\.0\.0\.80:80/);
    expect(d.metrics.clientSizeCv).toBe(0);
    checkFilter(bytes, d);
    expect((await analyze(post(35, true))).detections).toEqual([]);
    expect((await analyze(post(29, false))).detections).toEqual([]);
  });

  it('does not count refused or half-open connections as attempts', async () => {
    const cap = new Cap();
    for (let k = 0; k < 30; k++) {
      cap.tcp(k, '203.0.113.50', 50000 + k, VICTIM, 3389, 'S');
      cap.tcp(k + 0.001, VICTIM, 3389, '203.0.113.50', 50000 + k, 'RA', { seq: 0, ack: 1 });
    }
    expect((await analyze(cap)).detections).toEqual([]);
  });
});

// ─────────────────────────────────────────────────────────────────────────────────────────────────────
describe('floods', () => {
  const synFlood = (rate: number, o: { seconds?: number; complete?: boolean; single?: boolean } = {}) => {
    const cap = new Cap();
    const rng = new Rng(99);
    const total = rate * (o.seconds ?? 3);
    for (let k = 0; k < total; k++) {
      const t = k / rate;
      const src = o.single ? '198.51.100.66' : `198.51.${100 + rng.int(4)}.${1 + rng.int(250)}`;
      const sport = 1024 + ((k * 7919) % 60000);
      cap.tcp(t, src, sport, VICTIM, 80, 'S', { seq: k * 1000 });
      cap.tcp(t + 0.0002, VICTIM, 80, src, sport, 'SA', { seq: 5, ack: k * 1000 + 1 });
      if (o.complete) cap.tcp(t + 0.0004, src, sport, VICTIM, 80, 'A', { seq: k * 1000 + 1, ack: 6 });
    }
    return cap;
  };

  it('fires on a distributed SYN flood: 300 SYN/s for 3 s, all half-open', async () => {
    const { detections, bytes } = await analyze(synFlood(300));
    const d = only(detections, 'syn_flood');
    expect(d.title).toMatch(/^Distributed SYN flood towards 10\.0\.0\.5:80: up to 300 SYN\/s for 3 s from ~\d+ sources, 100% of connections half-open/);
    expect(d.severity).toBe('critical');
    expect(d.metrics.halfOpenRatio).toBe(1);
    expect(d.metrics.estimatedSources).toBeGreaterThanOrEqual(20);
    expect(d.ports[0]).toBe(80);
    expect(detections).toHaveLength(1);
    checkFilter(bytes, d);
  });

  it('counts every SYN of a flood interleaved with other traffic (110/s against a 100/s threshold)', async () => {
    const cap = new Cap();
    const rng = new Rng(3);
    for (let k = 0; k < 330; k++) {
      cap.tcp(k / 110, `198.51.${100 + rng.int(4)}.${1 + rng.int(250)}`, 2000 + k, VICTIM, 80, 'S', { seq: k });
      // ordinary clients opening connections elsewhere in between
      cap.tcp(k / 110 + 0.004, `10.0.0.${10 + rng.int(50)}`, 3000 + k, `203.0.113.${1 + rng.int(200)}`, 443, 'S', { seq: k });
    }
    const d = only((await analyze(cap)).detections, 'syn_flood');
    expect(d.metrics.peakPerSecond).toBe(110);
  });

  it('single source: a (non-distributed) SYN flood, not a port scan', async () => {
    const { detections } = await analyze(synFlood(300, { single: true }));
    const d = only(detections, 'syn_flood');
    expect(d.title).toMatch(/^SYN flood towards 10\.0\.0\.5:80: up to 300 SYN\/s .* from ~1 source,/);
    expect(d.severity).toBe('warning');
  });

  it('does not fire at 90 SYN/s, nor at 300/s when the handshakes complete (a busy server)', async () => {
    expect((await analyze(synFlood(90))).detections).toEqual([]);
    expect((await analyze(synFlood(300, { complete: true }))).detections).toEqual([]);
  });

  const udpFlood = (rate: number, o: { seconds?: number; replies?: boolean } = {}) => {
    const cap = new Cap();
    const rng = new Rng(7);
    const total = Math.round(rate * (o.seconds ?? 2.5));
    for (let k = 0; k < total; k++) {
      const src = `203.0.113.${1 + rng.int(200)}`;
      cap.udp(k / rate, src, 53, VICTIM, 20000 + rng.int(1000), 64);
      if (o.replies) cap.udp(k / rate + 0.0001, VICTIM, 20000, src, 53, 64);
    }
    return cap;
  };

  it('fires on a UDP flood of 6,000 packets/s for 2.5 s (reflected DNS responses, no replies)', async () => {
    const { detections, bytes } = await analyze(udpFlood(6000));
    const d = only(detections, 'udp_flood');
    expect(d.title).toMatch(/^Distributed UDP flood towards 10\.0\.0\.5: up to 6,000 packets\/s for 2 s from ~\d+ sources, 0% answered$/);
    expect(d.metrics.replyRatio).toBe(0);
    expect(detections).toHaveLength(1);
    checkFilter(bytes, d);
  });

  it('does not fire at 4,500 packets/s, nor when the target answers every packet', async () => {
    expect((await analyze(udpFlood(4500, { seconds: 3 }))).detections).toEqual([]);
    expect((await analyze(udpFlood(6000, { replies: true }))).detections.filter((d) => d.kind === 'udp_flood')).toEqual([]);
  });

  it('fires on an ICMP echo flood of 600/s for 3 s (once, though the target replies); not at 450/s', async () => {
    const flood = (rate: number) => {
      const cap = new Cap();
      for (let k = 0; k < rate * 3; k++) {
        cap.echo(k / rate, '198.51.100.7', VICTIM, k);
        cap.echo(k / rate + 0.0003, VICTIM, '198.51.100.7', k, true);
      }
      return cap;
    };
    const { detections, bytes } = await analyze(flood(600));
    const d = only(detections, 'icmp_flood');
    expect(d.title).toMatch(/^ICMP flood towards 10\.0\.0\.5: up to 600 packets\/s for 3 s from ~1 source$/);
    checkFilter(bytes, d);
    expect((await analyze(flood(450))).detections).toEqual([]);
  });
});

// ─────────────────────────────────────────────────────────────────────────────────────────────────────
describe('DNS tunnelling', () => {
  const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
  const tunnelName = (rng: Rng, domain: string) => {
    const label = (n: number) => Array.from({ length: n }, () => B32[rng.int(32)]).join('');
    return `${label(50)}.${label(14)}.${domain}`;
  };
  const dnsCap = (names: string[], qtype: number, answer?: (name: string) => Uint8Array) => {
    const cap = new Cap();
    names.forEach((name, k) => {
      const t = k * 0.8;
      cap.udp(t, VICTIM, 30000 + k, '10.0.0.53', 53, dnsMessage({ id: k, questions: [{ name, type: qtype }] }));
      const data = answer?.(name);
      cap.udp(t + 0.02, '10.0.0.53', 53, VICTIM, 30000 + k, dnsMessage({ id: k, response: true, questions: [{ name, type: qtype }], answers: data ? [{ name, type: qtype, data }] : [] }));
    });
    return cap;
  };
  const txt = () => {
    const s = filler(180);
    const out = new Uint8Array(s.length + 1);
    out[0] = s.length;
    out.set(s, 1);
    return out;
  };

  it('fires on 80 TXT queries with long random subdomains under one domain (all four signals)', async () => {
    const rng = new Rng(5);
    const names = Array.from({ length: 80 }, () => tunnelName(rng, 'tunnel-example.com'));
    const { detections, bytes } = await analyze(dnsCap(names, 16, txt));
    const d = only(detections, 'dns_tunneling');
    expect(d.title).toMatch(/^Possible DNS tunnel via tunnel-example\.com: 80 queries, \d+% distinct names/);
    expect(d.severity).toBe('critical');
    expect(d.metrics.signals).toBe(4);
    expect(d.metrics.meanSubdomainLength).toBe(64);
    expect(d.metrics.meanEntropyBits).toBeGreaterThan(4.3);
    expect(d.metrics.txtNullRatio).toBe(1);
    expect(d.metrics.uniqueNameRatio).toBeGreaterThan(0.8);
    expect(d.hosts).toEqual([VICTIM, '10.0.0.53']);
    expect(d.domains).toEqual(['tunnel-example.com']);
    expect(detections).toHaveLength(1);
    checkFilter(bytes, d);
  });

  it('counts under the registrable domain with a ccTLD second level (co.uk)', async () => {
    const rng = new Rng(6);
    const names = Array.from({ length: 60 }, () => tunnelName(rng, 'exfil.co.uk'));
    const d = only((await analyze(dnsCap(names, 16, txt))).detections, 'dns_tunneling');
    expect(d.title).toContain('via exfil.co.uk:');
  });

  it('does not fire on 49 queries, on repeated names, or on many short ordinary names', async () => {
    const rng = new Rng(5);
    const names = Array.from({ length: 49 }, () => tunnelName(rng, 'tunnel-example.com'));
    expect((await analyze(dnsCap(names, 16, txt))).detections).toEqual([]);
    // Half the names repeated: uniqueness 50% < 70%.
    const half = Array.from({ length: 40 }, () => tunnelName(rng, 'tunnel-example.com'));
    expect((await analyze(dnsCap([...half, ...half], 16, txt))).detections).toEqual([]);
    // 100 distinct ordinary host names: unique, but short, low entropy, A records, small messages.
    const hosts = Array.from({ length: 100 }, (_, k) => `host${k}.corp-example.com`);
    expect((await analyze(dnsCap(hosts, 1, () => new Uint8Array([10, 0, 0, 1])))).detections).toEqual([]);
    // Reverse lookups are ignored however many and long they are.
    const ptr = Array.from({ length: 100 }, (_, k) => `${k}.${(k * 7) % 256}.0.10.in-addr.arpa`);
    expect((await analyze(dnsCap(ptr, 12))).detections).toEqual([]);
  });

  it('one signal is not enough: long random A-record names with small answers need two signals', async () => {
    const rng = new Rng(8);
    const label = (n: number) => Array.from({ length: n }, () => B32[rng.int(32)]).join('');
    // 20 random base32 characters: below the 24-character length signal; their entropy (≈ 3.9 bits per
    // character) is the only signal.
    const names = Array.from({ length: 80 }, () => `${label(20)}.cdn-example.net`);
    const { detections } = await analyze(dnsCap(names, 1, () => new Uint8Array([10, 0, 0, 1])));
    expect(detections).toEqual([]);
    // With the signal count lowered to 1 (an option), the same traffic is reported.
    const d = only((await analyze(dnsCap(names, 1, () => new Uint8Array([10, 0, 0, 1])), { thresholds: { dnsTunnelMinSignals: 1 } })).detections, 'dns_tunneling');
    expect(d.metrics.signals).toBe(1);
  });
});

// ─────────────────────────────────────────────────────────────────────────────────────────────────────
describe('beaconing', () => {
  const C2 = '203.0.113.10';
  const beacons = (n: number, o: { period?: number; jitter?: number; dst?: string; irregular?: boolean; skip?: number[] } = {}) => {
    const cap = new Cap();
    const rng = new Rng(11);
    let t = 3;
    for (let k = 0; k < n; k++) {
      if (!o.skip?.includes(k)) cap.conn(t, VICTIM, 49000 + k, o.dst ?? C2, 443, { talk: [517, 1400, 90, 300], dur: 0.4 });
      const p = o.irregular ? 10 + rng.int(190) : (o.period ?? 60) + ((rng.next() * 2 - 1) * (o.jitter ?? 2));
      t += p;
    }
    return cap;
  };

  it('fires on 12 connections every 60 s ± 2 s, reporting period and jitter', async () => {
    const { detections, bytes } = await analyze(beacons(12));
    const d = only(detections, 'beaconing');
    expect(d.title).toMatch(/^Beaconing: 10\.0\.0\.5 → 203\.0\.113\.10:443\/tcp every \d\d\.\d s ± \d\.\d s \(12 connections over \d+ s\)$/);
    expect(d.metrics.periodSeconds).toBeGreaterThan(58);
    expect(d.metrics.periodSeconds).toBeLessThan(62);
    expect(d.metrics.cv).toBeLessThan(0.05);
    expect(d.metrics.beats).toBe(12);
    expect(detections).toHaveLength(1);
    checkFilter(bytes, d);
  });

  it('does not fire on 9 connections, on irregular intervals, or (by default) towards an internal host', async () => {
    expect((await analyze(beacons(9))).detections).toEqual([]);
    expect((await analyze(beacons(12, { irregular: true }))).detections).toEqual([]);
    expect((await analyze(beacons(12, { dst: '10.0.0.9' }))).detections).toEqual([]);
    expect(only((await analyze(beacons(12, { dst: '10.0.0.9' }), { thresholds: { beaconExternalOnly: 0 } })).detections, 'beaconing').hosts).toEqual([VICTIM, '10.0.0.9']);
    // …and the internal ranges are an option: declaring the C2 network internal silences it.
    expect((await analyze(beacons(12), { internalRanges: ['10.0.0.0/8', '203.0.113.0/24'] })).detections).toEqual([]);
  });

  it('does not fire when the jitter is too large (CV above 0.2)', async () => {
    // Uniform ±25 s around 60 s: CV ≈ 0.24.
    expect((await analyze(beacons(14, { jitter: 25 }))).detections).toEqual([]);
  });

  it('tolerates missed beats (an interval of 2–4 periods)', async () => {
    const { detections } = await analyze(beacons(15, { period: 30, jitter: 0.5, skip: [7, 11] }));
    const d = only(detections, 'beaconing');
    expect(d.metrics.missedBeats).toBe(2);
    expect(d.metrics.periodSeconds).toBeCloseTo(30, 0);
  });
});

// ─────────────────────────────────────────────────────────────────────────────────────────────────────
describe('exfiltration', () => {
  const EXT = '198.51.100.20';
  const upload = (megabytes: number, seconds: number, o: { also?: string } = {}) => {
    const cap = new Cap();
    cap.tcp(0, VICTIM, 50123, EXT, 443, 'S', { seq: 0 });
    cap.tcp(0.02, EXT, 443, VICTIM, 50123, 'SA', { seq: 0, ack: 1 });
    cap.tcp(0.04, VICTIM, 50123, EXT, 443, 'A', { seq: 1, ack: 1 });
    cap.tcp(0.05, EXT, 443, VICTIM, 50123, 'PA', { seq: 1, ack: 1, payload: 5000 });
    const seg = 60000;
    const n = Math.ceil((megabytes * 1e6) / seg);
    for (let k = 0; k < n; k++) {
      const t = 0.1 + (k * seconds) / n;
      cap.tcpTruncated(t, VICTIM, 50123, EXT, 443, 1 + k * seg, seg);
      if (k % 8 === 0) cap.tcp(t + 0.01, EXT, 443, VICTIM, 50123, 'A', { seq: 5001, ack: 1 + (k + 1) * seg });
    }
    if (o.also) cap.conn(1, o.also, 40000, EXT, 443, { talk: [500, 4000], dur: 1 });
    return cap;
  };

  it('fires on 60 MB sent to one external host in 30 s with little coming back', async () => {
    const { detections, bytes } = await analyze(upload(60, 30));
    const d = only(detections, 'exfiltration');
    expect(d.title).toMatch(/^Possible exfiltration: 10\.0\.0\.5 sent 60\.0 MB to external 198\.51\.100\.20 and received 5\.0 kB/);
    expect(d.severity).toBe('warning');
    expect(d.metrics.bytesOut).toBe(60e6);
    expect(d.ports).toEqual([443]);
    expect(detections).toHaveLength(1);
    checkFilter(bytes, d);
  });

  it('does not fire on 45 MB in 30 s (below 50 MB, too short for the sustained-upload rule)', async () => {
    expect((await analyze(upload(45, 30))).detections).toEqual([]);
  });

  it('sustained upload to a rare destination: 6 MB over 2 minutes fires (info); not when another internal host also uses it, nor at 4.5 MB', async () => {
    const d = only((await analyze(upload(6, 120))).detections, 'exfiltration');
    expect(d.severity).toBe('info');
    expect(d.rule).toContain('rare destination');
    expect(d.metrics.internalPeersOfDestination).toBe(1);
    expect((await analyze(upload(6, 120, { also: '10.0.0.6' }))).detections).toEqual([]);
    expect((await analyze(upload(4.5, 120))).detections).toEqual([]);
  });
});

// ─────────────────────────────────────────────────────────────────────────────────────────────────────
describe('lateral movement', () => {
  const sweep = (hosts: number, o: { refused?: boolean; port?: number } = {}) => {
    const cap = new Cap();
    for (let h = 1; h <= hosts; h++) {
      const dst = `10.0.2.${h}`;
      const t = h * 20;
      if (o.refused) {
        cap.tcp(t, VICTIM, 45000 + h, dst, o.port ?? 445, 'S');
        cap.tcp(t + 0.001, dst, o.port ?? 445, VICTIM, 45000 + h, 'RA', { seq: 0, ack: 1 });
      } else cap.conn(t, VICTIM, 45000 + h, dst, o.port ?? 445, { talk: [180, 250, 900, 400, 6000, 300], dur: 3 });
    }
    return cap;
  };

  it('fires on SMB sessions to 12 internal hosts within 10 minutes', async () => {
    const { detections, bytes } = await analyze(sweep(12));
    const d = only(detections, 'lateral_movement');
    expect(d.title).toMatch(/^Possible lateral movement: 10\.0\.0\.5 connected to 12 internal hosts on administrative ports \(SMB 445\) within 600 s/);
    expect(d.hosts[0]).toBe(VICTIM);
    expect(d.hosts).toHaveLength(13);
    expect(d.metrics).toMatchObject({ hostsReached: 12, smb: 12 });
    expect(detections).toHaveLength(1);
    checkFilter(bytes, d);
  });

  it('does not fire on 9 hosts, on a refused sweep, or towards external hosts', async () => {
    expect((await analyze(sweep(9))).detections).toEqual([]);
    expect((await analyze(sweep(12, { refused: true }))).detections).toEqual([]);
    expect((await analyze(sweep(12), { internalRanges: ['10.0.0.0/24'] })).detections).toEqual([]);
  });

  it('counts RDP, WinRM and SSH the same way', async () => {
    const cap = new Cap();
    const ports = [3389, 5985, 22, 135];
    for (let h = 1; h <= 12; h++) cap.conn(h * 10, VICTIM, 45000 + h, `10.0.3.${h}`, ports[h % 4], { talk: [200, 300], dur: 1 });
    const d = only((await analyze(cap)).detections, 'lateral_movement');
    expect(d.metrics).toMatchObject({ rdp: 3, winrm: 3, ssh: 3, rpc: 3, hostsReached: 12 });
  });
});

// ─────────────────────────────────────────────────────────────────────────────────────────────────────
describe('bounds and IPv6', () => {
  it('an IPv6 SYN scan is detected with an ipv6 display filter', async () => {
    const cap = new Cap();
    for (let p = 1; p <= 60; p++) {
      cap.tcp(p * 0.05, '2001:db8::66', 40000, '2001:db8::5', p, 'S');
      cap.tcp(p * 0.05 + 0.001, '2001:db8::5', p, '2001:db8::66', 40000, 'RA', { seq: 0, ack: 1 });
    }
    const { detections, bytes } = await analyze(cap);
    const d = only(detections, 'port_scan');
    expect(d.hosts).toEqual(['2001:db8::66', '2001:db8::5']);
    expect(d.filter).toContain('ipv6.src == 2001:db8::66');
    checkFilter(bytes, d);
  });

  it('IPv6: a SYN flood and an ICMPv6 echo flood are tracked per IPv6 destination', async () => {
    const cap = new Cap();
    for (let k = 0; k < 900; k++) {
      const src = `2001:db8:1::${(k % 200) + 1}`;
      cap.tcp(k / 300, src, 1024 + k, '2001:db8::5', 443, 'S', { seq: k });
    }
    const { detections, bytes } = await analyze(cap);
    const d = only(detections, 'syn_flood');
    expect(d.title).toMatch(/^Distributed SYN flood towards \[2001:db8::5\]:443: up to 300 SYN\/s/);
    expect(d.filter).toContain('ipv6.dst == 2001:db8::5');
    checkFilter(bytes, d);

    const echo = new Cap();
    for (let k = 0; k < 1800; k++) {
      const body = icmpv6({ srcIp: '2001:db8::66', dstIp: '2001:db8::5', type: 128, code: 0, rest: k, payload: filler(16) });
      echo.add(k / 600, ethernet({ etherType: ETHERTYPE.IPV6, payload: ipv6({ src: '2001:db8::66', dst: '2001:db8::5', nextHeader: IPPROTO.ICMPV6, payload: body }) }));
    }
    const r = await analyze(echo);
    const e = only(r.detections, 'icmp_flood');
    expect(e.title).toMatch(/^ICMP flood towards \[2001:db8::5\]: up to 600 packets\/s/);
    checkFilter(r.bytes, e);
  });

  it('IPv6: DNS tunnel queries over IPv6 name the IPv6 client and resolver', async () => {
    const cap = new Cap();
    const rng = new Rng(21);
    for (let k = 0; k < 60; k++) {
      const name = `${Array.from({ length: 60 }, () => 'abcdefghijklmnopqrstuvwxyz234567'[rng.int(32)]).join('')}.t6.example-tunnel.org`;
      const q = dnsMessage({ id: k, questions: [{ name, type: 16 }] });
      cap.add(k, etherIpv6Udp({ src: '2001:db8::5', dst: '2001:db8::53', srcPort: 40000 + k, dstPort: 53, payload: q }));
    }
    const { detections, bytes } = await analyze(cap);
    const d = only(detections, 'dns_tunneling');
    expect(d.hosts).toEqual(['2001:db8::5', '2001:db8::53']);
    checkFilter(bytes, d);
  });

  it('caps hosts, ports and frames of a large scan and keeps the report small', async () => {
    const cap = new Cap();
    for (let h = 1; h <= 80; h++) for (const p of [22, 80, 443]) cap.tcp(h * 0.01 + p * 1e-5, ATTACKER, 40000, `10.9.0.${h}`, p, 'S');
    const { section } = await analyze(cap);
    const d = only(section.detections.items, 'port_scan');
    expect(d.hosts).toHaveLength(50);
    expect(d.sampleFrames.length).toBeLessThanOrEqual(30);
    expect(JSON.stringify(section).length).toBeLessThan(20_000);
  });
});

