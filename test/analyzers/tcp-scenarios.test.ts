/**
 * TcpAnalyzer on scripted conversations: exact events and frame numbers for each kind of TCP trouble,
 * handshake timing, connection states and window episodes. Where tshark is installed, every fixture is
 * also compared with tshark 4.0 frame by frame (all tcp.analysis flags, tcp.stream, acks_frame).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TcpAnalyzer, type FrameAnalysis } from '../../worker/analyzers/tcp/analyzer.js';
import { A_REUSED_PORTS } from '../../worker/analyzers/tcp/sequence.js';
import type { TcpEvent, TcpFlowDetail, TcpSection } from '../../worker/report/sections/tcp.js';
import { tcpSchema } from '../../worker/report/sections/tcp.js';
import * as v from 'valibot';
import { writePcap } from '../helpers/capture-writer.js';
import { ETHERTYPE, IPPROTO, TcpConversation, ethernet, icmp, ipv4, ipv4Tcp, tcp, type TimedFrame } from '../helpers/packet-builder.js';
import { hasTshark, tempDir, tsharkFields } from '../helpers/tshark.js';
import { runAnalyzers } from './harness.js';
import { TCP_EVENT_NAMES } from '../../worker/report/sections/tcp.js';

const CLIENT = '10.0.0.1:40000';
const SERVER = '10.0.0.2:80';
const T0 = 1_700_000_000;

interface Result {
  tcp: TcpSection;
  frames: Map<number, FrameAnalysis>;
  tcpStreams: number;
  pcap: Uint8Array;
}

const fixtures: Array<{ name: string; result: Result }> = [];

async function analyse(name: string, frames: readonly TimedFrame[] | Uint8Array): Promise<Result> {
  const pcap = frames instanceof Uint8Array ? frames : writePcap({ magic: 'usec' }, [...frames].sort((a, b) => a.tsSec - b.tsSec || a.tsFrac - b.tsFrac));
  const seen = new Map<number, FrameAnalysis>();
  const { sections, flows } = await runAnalyzers(pcap, (f) => ({
    tcp: new TcpAnalyzer(f, { onFrame: (x) => seen.set(x.frame, { ...x }) }),
  }));
  // The section is what the report stores: it must pass the schema.
  const parsed = v.safeParse(tcpSchema, sections.tcp);
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.issues.slice(0, 3))).toBe(true);
  const result = { tcp: sections.tcp, frames: seen, tcpStreams: flows.tcpStreams, pcap };
  fixtures.push({ name, result });
  return result;
}

/** The events as [frame, type, detail?] triples, in frame order. */
function events(r: Result): Array<[number, string] | [number, string, string]> {
  return r.tcp.events.items.map((e: TcpEvent) => (e.detail === undefined ? [e.frame, e.type] : [e.frame, e.type, e.detail]));
}

function flow(r: Result, id = 0): TcpFlowDetail {
  const f = r.tcp.flows.items.find((x) => x.id === id);
  if (!f) throw new Error(`flow ${id} not in the report`);
  return f;
}

/** Seconds between two frames, exact (from whole microseconds). */
function between(a: TimedFrame, b: TimedFrame): number {
  return ((b.tsSec - a.tsSec) * 1e6 + (b.tsFrac - a.tsFrac)) / 1e6;
}

const conv = (o: Partial<ConstructorParameters<typeof TcpConversation>[0]> = {}) =>
  new TcpConversation({ client: CLIENT, server: SERVER, start: T0, step: 0.001, ...o });

describe('TcpAnalyzer: expert events', () => {
  it('tells a retransmission after a timeout from a fast retransmission after three duplicate ACKs', async () => {
    const c = conv();
    c.handshake(); // 1-3
    c.clientSends(1000); // 4
    c.serverAcks(); // 5
    c.clientSends(1000, { delivered: false }); // 6: lost after the capture point
    c.wait(1).retransmitLast('client'); // 7: RTO
    c.serverAcks(); // 8
    c.clientSends(1000, { delivered: false }); // 9: lost
    c.clientSends(1000).clientSends(1000).clientSends(1000); // 10-12
    c.dupAck('server', 3); // 13-15: three duplicate ACKs
    c.retransmit('client'); // 16: fast retransmission
    c.serverAcks(); // 17
    const r = await analyse('rto-vs-fast', c.frames);
    expect(events(r)).toEqual([
      [7, 'retransmission', 'of frame 6'],
      [13, 'duplicate_ack', '#1'],
      [14, 'duplicate_ack', '#2'],
      [15, 'duplicate_ack', '#3'],
      [16, 'fast_retransmission', 'of frame 9'],
    ]);
    expect(r.tcp.totals).toMatchObject({ retransmission: 2, fast_retransmission: 1, duplicate_ack: 3, spurious_retransmission: 0 });
    const f = flow(r);
    expect(f.events).toEqual({ retransmission: 2, fast_retransmission: 1, duplicate_ack: 3 });
    expect(f.dataSegments).toBe(8);
    expect(f.retransmittedSegments).toBe(2);
    expect(f.state).toBe('S1');
    // Wireshark: frame 8 acknowledges frame 6, the oldest copy, with an RTT over the timeout. Karn: the
    // segments sent twice give no RTT samples (frames 8 and 17 acknowledge them).
    expect(r.frames.get(8)).toMatchObject({ ackedFrame: 6, ackRtt: expect.closeTo(1.002, 9) });
    // Samples: 2 (the SYN/ACK acks the SYN), 3 (acks the SYN/ACK), 5 (acks 4); not 17, whose ack also
    // covers the retransmitted frame 16.
    expect(f.rtt.ackSamples).toBe(3);
  });

  it('flags a spurious retransmission of data already acknowledged', async () => {
    const c = conv();
    c.handshake();
    c.clientSends(1000); // 4
    c.serverAcks(); // 5
    c.wait(0.2).retransmitLast('client'); // 6
    c.serverAcks(); // 7
    const r = await analyse('spurious', c.frames);
    expect(events(r)).toEqual([
      [6, 'spurious_retransmission'],
      [7, 'duplicate_ack', '#1'],
    ]);
    expect(r.tcp.totals.retransmission).toBe(1);
    expect(r.tcp.totals.spurious_retransmission).toBe(1);
  });

  it('flags out-of-order data within the iRTT, after a gap', async () => {
    const c = conv();
    c.syn().wait(0.02).synAck().wait(0.02).clientAcks(); // iRTT 42 ms
    const hole = c.skip('client', 1000);
    c.clientSends(1000); // 4: previous segment not captured
    c.segment('client', { seq: hole, len: 1000 }); // 5: the missing segment, 1 ms later
    c.serverAcks(); // 6
    const r = await analyse('out-of-order', c.frames);
    expect(events(r)).toEqual([
      [4, 'lost_segment', '1000 bytes not captured'],
      [5, 'out_of_order'],
    ]);
  });

  it('flags a segment the capture missed and the ACK of it', async () => {
    const c = conv();
    c.handshake();
    c.clientSends(1000, { captured: false });
    c.clientSends(1000); // 4
    c.serverAcks(); // 5
    const r = await analyse('lost-and-acked-unseen', c.frames);
    expect(events(r)).toEqual([
      [4, 'lost_segment', '1000 bytes not captured'],
      [5, 'ack_lost_segment'],
    ]);
  });

  it('follows a zero-window episode with probes to its recovery', async () => {
    const c = conv();
    c.handshake();
    c.clientSends(1000); // 4
    c.zeroWindow('server'); // 5
    c.wait(0.2).zeroWindowProbe('client'); // 6
    c.serverAcks(); // 7
    c.wait(0.4).zeroWindowProbe('client'); // 8
    c.serverAcks(); // 9
    c.wait(0.1).windowUpdate('server', 64000); // 10
    c.clientSends(1000); // 11
    c.serverAcks(); // 12
    const r = await analyse('zero-window', c.frames);
    expect(events(r)).toEqual([
      [5, 'zero_window'],
      [6, 'zero_window_probe'],
      [7, 'zero_window'],
      [7, 'zero_window_probe_ack'],
      [8, 'zero_window_probe'],
      [9, 'zero_window'],
      [9, 'zero_window_probe_ack'],
      [10, 'window_update', 'window 64000'],
    ]);
    const duration = between(c.frames[4], c.frames[9]);
    expect(duration).toBe(0.705);
    expect(r.tcp.windows.zeroWindowEpisodes).toEqual({
      items: [{ flow: 0, side: 'b', frame: 5, endFrame: 10, start: between(c.frames[0], c.frames[4]), duration, probes: 2 }],
      omitted: 0,
    });
    expect(flow(r).zeroWindowSeconds).toBe(duration);
  });

  it('reports a zero window that never reopened with no end', async () => {
    const c = conv();
    c.handshake();
    c.clientSends(1000);
    c.zeroWindow('server'); // 5
    c.wait(3).keepAlive('client'); // 6
    c.serverAcks(); // 7: still 0
    const r = await analyse('zero-window-open', c.frames);
    const e = r.tcp.windows.zeroWindowEpisodes.items[0];
    expect(e).toMatchObject({ side: 'b', frame: 5, endFrame: null, duration: null });
    expect(flow(r).zeroWindowSeconds).toBe(between(c.frames[4], c.frames[6]));
  });

  it('flags keep-alives (0 and 1 byte) and their ACKs, not as retransmissions', async () => {
    const c = conv();
    c.handshake();
    c.clientSends(100); // 4
    c.serverAcks(); // 5
    c.wait(10).keepAlive('client'); // 6
    c.serverAcks(); // 7
    c.wait(10).keepAlive('client', { withByte: true }); // 8
    c.serverAcks(); // 9
    const r = await analyse('keep-alive', c.frames);
    expect(events(r)).toEqual([
      [6, 'keep_alive'],
      [7, 'keep_alive_ack'],
      [8, 'keep_alive'],
      [9, 'keep_alive_ack'],
    ]);
    expect(r.tcp.totals.retransmission).toBe(0);
    expect(flow(r).dataSegments).toBe(1);
  });

  it('flags a segment that fills the receive window, and a window update', async () => {
    const c = conv({ window: [65535, 2000], wscale: 0, mss: 500 });
    c.handshake();
    c.clientSends(1000); // 4
    c.clientSends(1000); // 5: fills the 2000-byte window
    c.serverAcks(); // 6
    c.windowUpdate('server', 30000); // 7
    const r = await analyse('window-full', c.frames);
    expect(events(r)).toEqual([
      [5, 'window_full'],
      [7, 'window_update', 'window 30000'],
    ]);
    const f = flow(r);
    expect([f.windowScaleA, f.windowScaleB]).toEqual([0, 0]);
    expect(f.receiverLimitedA).toBe(0.5); // frame 5: 2000 bytes in flight ≥ 2000 − 500, frame 4: 1000 < 1500
  });

  it('lists the flows limited by the receive window', async () => {
    const c = conv({ window: [65535, 3000], wscale: 0, mss: 1000 });
    c.handshake();
    for (let i = 0; i < 12; i++) {
      c.clientSends(1000).clientSends(1000).clientSends(1000); // three per window of 3000
      c.serverAcks();
    }
    const r = await analyse('receiver-limited', c.frames);
    // Of each three segments, the 2nd (2000 in flight ≥ 3000 − 1000) and 3rd are limited.
    expect(flow(r).receiverLimitedA).toBeCloseTo(2 / 3, 12);
    expect(r.tcp.windows.receiverLimitedFlows.items).toEqual([{ flow: 0, side: 'a', fraction: expect.closeTo(2 / 3, 12) }]);
  });
});

describe('TcpAnalyzer: handshakes and connection states', () => {
  it('splits the iRTT into its halves exactly', async () => {
    const c = conv({ step: 0 });
    c.syn().wait(0.03).synAck().wait(0.001).clientAcks();
    c.wait(0.01).clientSends(200); // 4
    c.wait(0.05).serverSends(1000); // 5: first data from the server
    const r = await analyse('irtt-halves', c.frames);
    const f = flow(r);
    expect(f.rtt).toMatchObject({ irtt: 0.031, serverSide: 0.03, clientSide: 0.001 });
    expect(f.handshake).toEqual({ synToSynAck: 0.03, synAckToAck: 0.001, synRetransmissions: 0, synAckRetransmissions: 0, timeToFirstData: 0.091 });
    expect(f.client).toBe('a');
    expect(r.tcp.rtt.irtt).toMatchObject({ count: 1, median: 0.031 });
    expect(r.tcp.rtt.serverSide.median).toBe(0.03);
    expect(r.tcp.rtt.clientSide.median).toBe(0.001);
    expect(r.tcp.handshakes).toMatchObject({ attempted: 1, completed: 1, refused: 0, unanswered: 0, synRetransmissions: 0 });
    expect(r.tcp.handshakes.slowest.items).toEqual([{ flow: 0, frame: 2, synToSynAck: 0.03, synAckToAck: 0.001 }]);
    expect(r.frames.get(3)!.irtt).toBe(0.031);
  });

  it('classifies a refused connection as REJ', async () => {
    const c = conv();
    c.syn(); // 1
    c.serverRst(); // 2
    const r = await analyse('refused', c.frames);
    expect(flow(r).state).toBe('REJ');
    expect(r.tcp.states.REJ).toBe(1);
    expect(r.tcp.handshakes).toMatchObject({ attempted: 1, completed: 0, refused: 1, unanswered: 0 });
    expect(events(r)).toEqual([[2, 'rst']]);
    expect(r.tcp.totals.rst).toBe(1);
  });

  it('times SYN retransmissions of an unanswered connection: 1 s, 2 s, 4 s doubles', async () => {
    const c = conv();
    c.at(T0).syn();
    c.at(T0 + 1).retransmitLast('client');
    c.at(T0 + 3).retransmitLast('client');
    c.at(T0 + 7).retransmitLast('client');
    const r = await analyse('syn-backoff', c.frames);
    expect(events(r)).toEqual([
      [2, 'retransmission', 'of frame 1'],
      [3, 'retransmission', 'of frame 1'],
      [4, 'retransmission', 'of frame 1'],
    ]);
    expect(flow(r).state).toBe('S0');
    expect(flow(r).handshake).toMatchObject({ synRetransmissions: 3, synToSynAck: null });
    expect(r.tcp.handshakes).toMatchObject({ attempted: 1, completed: 0, unanswered: 1, synRetransmissions: 3 });
    expect(r.tcp.handshakes.backoff.items).toEqual([{ flow: 0, frames: [1, 2, 3, 4], intervals: [1, 2, 4], followsDoubling: true }]);
  });

  it('recognises SYN retransmissions that do not double', async () => {
    const c = conv();
    c.at(T0).syn();
    c.at(T0 + 1).retransmitLast('client');
    c.at(T0 + 2).retransmitLast('client');
    c.at(T0 + 2.5).retransmitLast('client');
    const r = await analyse('syn-irregular', c.frames);
    expect(r.tcp.handshakes.backoff.items).toEqual([{ flow: 0, frames: [1, 2, 3, 4], intervals: [1, 1, 0.5], followsDoubling: false }]);
  });

  it('gives a connection reusing the ports a new stream', async () => {
    const a = conv({ isn: [1000, 5000] });
    a.handshake().clientSends(100).serverAcks().close(); // 1-8
    const b = conv({ isn: [900000, 7000], start: T0 + 5 });
    b.handshake().clientSends(100).serverAcks(); // 9-13
    const r = await analyse('reused-ports', [...a.frames, ...b.frames]);
    expect(events(r)).toEqual([[9, 'reused_ports']]);
    expect(r.frames.get(8)!.stream).toBe(0);
    expect(r.frames.get(9)!.stream).toBe(1);
    expect(r.frames.get(9)!.flags).toBe(A_REUSED_PORTS);
    expect(r.tcpStreams).toBe(2);
    expect(flow(r, 0).state).toBe('SF');
    expect(flow(r, 1).state).toBe('S1');
  });

  it('closes with FINs both ways as SF', async () => {
    const c = conv();
    c.handshake().clientSends(100).serverSends(500).clientAcks().close();
    const r = await analyse('fin-close', c.frames);
    expect(flow(r).state).toBe('SF');
    expect(r.tcp.totals.rst).toBe(0);
  });

  it('classifies resets after establishment as RSTO and RSTR', async () => {
    const o = conv();
    o.handshake().clientSends(100).serverAcks().clientRst();
    const ro = await analyse('rst-by-originator', o.frames);
    expect(flow(ro).state).toBe('RSTO');
    const s = conv();
    s.handshake().clientSends(100).serverRst();
    const rs = await analyse('rst-by-responder', s.frames);
    expect(flow(rs).state).toBe('RSTR');
    expect(rs.tcp.events.items.at(-1)).toMatchObject({ frame: 5, type: 'rst', flow: 0 });
  });

  it('classifies half-open connections (SH, S2)', async () => {
    const sh = conv();
    sh.syn().wait(1).clientFin();
    expect(flow(await analyse('syn-fin', sh.frames)).state).toBe('SH');
    const s2 = conv();
    s2.handshake().clientSends(100).serverAcks().clientFin();
    expect(flow(await analyse('client-fin-only', s2.frames)).state).toBe('S2');
  });

  it('classifies a capture starting mid-stream as OTH, window scale unknown', async () => {
    const c = conv();
    c.clientSends(100).serverAcks().serverSends(1000).clientAcks();
    const r = await analyse('mid-stream', c.frames);
    const f = flow(r);
    expect(f.state).toBe('OTH');
    expect(f.client).toBe('unknown');
    expect(f.handshake).toBeNull();
    expect([f.windowScaleA, f.windowScaleB]).toEqual([-1, -1]);
    expect(r.tcp.windows.scaleUnknownFlows).toBe(1);
    expect(r.tcp.handshakes.attempted).toBe(0);
    expect(f.idleAtEnd).toBe(0);
    expect(f.goodputAB).toBeCloseTo(100 / between(c.frames[0], c.frames[3]), 9);
    expect(f.goodputBA).toBeCloseTo(1000 / between(c.frames[0], c.frames[3]), 9);
  });

  it('numbers a stream for a TCP header quoted in an ICMP error, and a quoted SYN with another ISN', async () => {
    const c = conv();
    c.handshake().clientSends(10); // 1-4
    // 5: port unreachable quoting a client SYN with another ISN: new stream, reused_ports.
    const quoted = ipv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80, seq: 4242, ack: 0, flags: 'S', window: 1000 });
    const err = ethernet({
      etherType: ETHERTYPE.IPV4,
      payload: ipv4({ src: '10.0.0.2', dst: '10.0.0.1', protocol: IPPROTO.ICMP, payload: icmp({ type: 3, code: 3, payload: quoted.subarray(0, 40) }) }),
    });
    const t5 = c.frames[3].tsSec + 1;
    c.at(t5 + 1).clientSends(10); // 6: now in stream 1
    const frames = [...c.frames.slice(0, 4), { tsSec: t5, tsFrac: 0, data: err, meta: c.frames[0].meta }, ...c.frames.slice(4)];
    const r = await analyse('icmp-quote', frames);
    expect(r.frames.get(5)).toMatchObject({ stream: 1, flags: A_REUSED_PORTS });
    expect(r.frames.get(6)!.stream).toBe(1);
    expect(events(r)).toEqual([[5, 'reused_ports']]);
    // tshark -z conv,tcp: the quote is not a conversation packet, frame 6 is.
    expect(r.tcpStreams).toBe(2);
  });
});

describe('TcpAnalyzer: edge cases of the spec', () => {
  /** The frame cut to `bytes` captured bytes (the wire length stays). */
  const cut = (f: TimedFrame, bytes: number) => ({ ...f, data: f.data.subarray(0, bytes), origLen: f.data.length });

  it('analyses a header cut after 16 bytes without showing it, and ignores one cut before', async () => {
    const c = conv();
    c.handshake(); // 1-3
    c.clientSends(100); // 4
    c.clientSends(100); // 5: cut at 18 bytes of TCP header: analysed silently
    c.clientSends(100); // 6: no lost segment, frame 5 moved nextSeq
    c.clientSends(100); // 7: cut at 15 bytes: never analysed
    c.clientSends(100); // 8: previous segment not captured
    c.wait(0.01).retransmitLast('client'); // 9
    c.serverAcks(); // 10
    const eth = 14 + 20;
    const frames = c.frames.map((f, i) => (i === 4 ? cut(f, eth + 18) : i === 6 ? cut(f, eth + 15) : f));
    const r = await analyse('cut-headers', writePcap({ magic: 'usec' }, frames));
    expect(events(r)).toEqual([
      [8, 'lost_segment', '100 bytes not captured'],
      [9, 'retransmission', 'of frame 8'],
      [10, 'ack_lost_segment'], // the server got frame 7, the analysis never did
    ]);
    expect(r.frames.get(5)).toMatchObject({ stream: 0, shown: false });
    expect(r.frames.has(7)).toBe(false);
  });

  it('analyses a segment with a bogus header length (< 20) without showing it', async () => {
    const c = conv();
    c.handshake(); // 1-3
    const seq = c.nextSeq('client');
    const bogus = ethernet({
      etherType: ETHERTYPE.IPV4,
      payload: ipv4({
        src: '10.0.0.1',
        dst: '10.0.0.2',
        protocol: IPPROTO.TCP,
        payload: tcp({ srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 40000, dstPort: 80, seq, ack: c.ackOf('client'), flags: 'A', payload: new Uint8Array(10), dataOffsetOverride: 4 }),
      }),
    });
    const t4 = { tsSec: T0 + 1, tsFrac: 0, data: bogus, meta: c.frames[0].meta };
    c.at(T0 + 2).clientSends(10); // 5: the bogus one was analysed as 14 bytes: a retransmission
    c.serverAcks(); // 6
    const r = await analyse('bogus-header-length', [...c.frames.slice(0, 3), t4, ...c.frames.slice(3)]);
    expect(r.frames.get(4)).toMatchObject({ stream: 0, shown: false, flags: 0 });
    expect(events(r).map((e) => e.slice(0, 2))).toEqual([[5, 'retransmission']]);
  });

  it('shares one flow state between the directions of a "land" connection', async () => {
    const c = new TcpConversation({ client: '10.0.0.9:80', server: '10.0.0.9:80', start: T0, step: 0.001 });
    c.handshake().clientSends(10).serverAcks();
    const r = await analyse('land', c.frames);
    expect(r.tcpStreams).toBe(1);
  });

  it('analyses IPv6 flows the same way', async () => {
    const c = new TcpConversation({ client: '[2001:db8::1]:40000', server: '[2001:db8::2]:443', start: T0, step: 0.001, wscale: 7 });
    c.handshake().clientSends(1000).clientSends(1000, { delivered: false }).clientSends(1000);
    c.dupAck('server', 3).retransmit('client').serverAcks(); // 7 (a new ack value), 8-9 duplicates, 10, 11
    const r = await analyse('ipv6', c.frames);
    expect(events(r)).toEqual([
      [8, 'duplicate_ack', '#1'],
      [9, 'duplicate_ack', '#2'],
      [10, 'fast_retransmission', 'of frame 5'],
    ]);
    expect([flow(r).windowScaleA, flow(r).windowScaleB]).toEqual([7, 7]);
  });
});

describe('TcpAnalyzer: bounded memory', () => {
  it('caps tracked flows, dropping the idlest, and reports them as untracked', async () => {
    const frames: TimedFrame[] = [];
    for (let i = 0; i < 40; i++) {
      const c = new TcpConversation({ client: `10.0.1.${i + 1}:40000`, server: SERVER, start: T0 + i, step: 0.001 });
      c.handshake().clientSends(100).serverAcks();
      frames.push(...c.frames);
    }
    const pcap = writePcap({ magic: 'usec' }, frames);
    const { sections } = await runAnalyzers(pcap, (f) => ({ tcp: new TcpAnalyzer(f, { maxTrackedFlows: 16 }) }));
    expect(sections.tcp.untrackedFlows).toBeGreaterThan(0);
    expect(sections.tcp.states.S1).toBe(40);
  });

  it('drops the unacked lists of idle flows beyond the entry budget, keeping the flags', async () => {
    // Only one direction captured: nothing is ever acknowledged, every segment stays listed.
    const frames: TimedFrame[] = [];
    for (let i = 0; i < 3; i++) {
      const c = new TcpConversation({ client: `10.0.2.${i + 1}:40000`, server: SERVER, start: T0 + i * 10, step: 0.001 });
      for (let k = 0; k < 700; k++) c.clientSends(100);
      c.wait(1).retransmitLast('client');
      frames.push(...c.frames);
    }
    let analyzer: TcpAnalyzer | undefined;
    const { sections } = await runAnalyzers(writePcap({ magic: 'usec' }, frames), (f) => ({ tcp: (analyzer = new TcpAnalyzer(f, { maxUnackedEntries: 1000 })) }));
    expect(analyzer!.droppedLists).toBeGreaterThan(0);
    expect(sections.tcp.totals.retransmission).toBe(3);
    expect(sections.tcp.untrackedFlows).toBe(0);
  });

  it('keeps the events list fair when it is capped', async () => {
    const c = conv();
    c.handshake().clientSends(100).serverAcks();
    for (let i = 0; i < 6000; i++) c.wait(1).keepAlive('client').serverAcks();
    c.clientSends(100, { captured: false }).clientSends(100); // one lost_segment at the end
    const r = await analyse('capped-events', c.frames);
    expect(r.tcp.totals.keep_alive).toBe(6000);
    expect(r.tcp.events.items.length).toBe(5000);
    expect(r.tcp.events.omitted).toBe(12001 - 5000);
    expect(r.tcp.events.items.filter((e) => e.type === 'lost_segment')).toHaveLength(1);
  });
});

describe.skipIf(!hasTshark())('TcpAnalyzer fixtures vs tshark 4.0, frame by frame', () => {
  const tmp = tempDir('tcp-fixtures-');
  afterAll(() => tmp.cleanup());
  const NAMES = TCP_EVENT_NAMES.filter((n) => n !== 'rst');
  const BITS: Record<string, number> = {
    retransmission: 0x1,
    lost_segment: 0x2,
    ack_lost_segment: 0x4,
    keep_alive: 0x8,
    duplicate_ack: 0x10,
    zero_window: 0x20,
    zero_window_probe: 0x40,
    zero_window_probe_ack: 0x80,
    keep_alive_ack: 0x100,
    out_of_order: 0x200,
    fast_retransmission: 0x400,
    window_update: 0x800,
    window_full: 0x1000,
    reused_ports: 0x2000,
    spurious_retransmission: 0x4000,
  };
  const ours = (fa: FrameAnalysis | undefined): string[] => {
    if (!fa) return [];
    const s = new Set<string>();
    for (const n of NAMES) if (fa.flags & BITS[n]) s.add(n);
    if (fa.flags & (BITS.fast_retransmission | BITS.spurious_retransmission)) s.add('retransmission');
    return [...s].sort();
  };

  it('agrees on every fixture above', () => {
    expect(fixtures.length).toBeGreaterThan(15);
    for (const { name, result } of fixtures) {
      const file = tmp.write(`${name}.pcap`, result.pcap);
      const fields = ['frame.number', 'tcp.stream', 'tcp.analysis.acks_frame', ...NAMES.map((n) => `tcp.analysis.${n}`)];
      const rows = tsharkFields(file, fields, { prefs: [] });
      for (const row of rows) {
        const frame = Number(row[0]);
        const theirs = NAMES.filter((_, i) => row[3 + i] !== '').sort();
        const fa = result.frames.get(frame);
        const label = `${name} frame ${frame}`;
        expect(ours(fa), label).toEqual(theirs);
        if (row[1] !== '') expect(fa?.stream, label).toBe(Number(row[1].split(',')[0]));
        expect(fa?.ackedFrame ?? 0, label).toBe(row[2] === '' ? 0 : Number(row[2]));
      }
    }
  });
});
