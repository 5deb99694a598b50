/**
 * Small fixture captures and helpers shared by the engine, fuzz and CLI tests: a handful of packets,
 * exact byte offsets of every record (so tests can assert where an error points), and a CaptureRun
 * driver that also snapshots the fields of each decoded packet.
 */
import { CaptureRun, type CaptureSummary } from '../../worker/index.js';
import type { PacketView } from '../../worker/decode/packet.js';
import { describeStop, PROTOCOL_NAMES } from '../../worker/decode/protocols.js';
import { PcapngWriter, tsFrom, writePcap, type PcapOptions, type PcapRecord } from '../helpers/capture-writer.js';
import { dnsMessage, etherIpv4Tcp, etherIpv4Udp, filler } from '../helpers/packet-builder.js';
import { chunked } from './chunks.js';

export const T0 = 1_700_000_000;
export const PCAP_HEADER = 24;
export const PCAP_RECORD_HEADER = 16;
/** SHB without options, IDB without options, EPB fixed part (header, fields, trailer). */
export const SHB_BYTES = 28;
export const IDB_BYTES = 20;
export const EPB_OVERHEAD = 32;

export const pad4 = (n: number): number => (n + 3) & ~3;

/** Frame i of the standard fixture: alternately a DNS query over UDP and a small TCP segment. */
export function frame(i: number): Uint8Array {
  if (i % 2 === 0) {
    return etherIpv4Udp({
      src: '192.0.2.1',
      dst: '192.0.2.53',
      srcPort: 40000 + i,
      dstPort: 53,
      payload: dnsMessage({ id: 0x1000 + i, questions: [{ name: `host${i}.example.com`, type: 1 }] }),
    });
  }
  return etherIpv4Tcp({ src: '192.0.2.1', dst: '198.51.100.7', srcPort: 50000, dstPort: 443, seq: 1000 + i * 10, payload: filler(10, i) });
}

export function frames(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => frame(i));
}

/** pcap records one millisecond apart starting at T0. */
export function records(data: readonly Uint8Array[], nano = false): PcapRecord[] {
  return data.map((d, i) => ({ tsSec: T0, tsFrac: i * (nano ? 1_000_000 : 1000), data: d }));
}

export function pcapOf(data: readonly Uint8Array[], opts: PcapOptions = {}): Uint8Array {
  return writePcap(opts, records(data, opts.magic === 'nsec'));
}

/** Offset of record `i` (0-based) in a pcap written by pcapOf (16-byte record headers). */
export function pcapRecordOffset(data: readonly Uint8Array[], i: number, recordHeader = PCAP_RECORD_HEADER): number {
  let off = PCAP_HEADER;
  for (let k = 0; k < i; k++) off += recordHeader + data[k].length;
  return off;
}

/** SHB + one Ethernet IDB + one EPB per frame (µs timestamps), no options anywhere. */
export function pcapngOf(data: readonly Uint8Array[], w = new PcapngWriter().shb().idb({ linkType: 1 })): PcapngWriter {
  data.forEach((d, i) => w.epb({ ts: tsFrom(T0, i * 1000, 1_000_000n), data: d }));
  return w;
}

/** Offset of EPB `i` in a pcapng written by pcapngOf with the default SHB/IDB. */
export function epbOffset(data: readonly Uint8Array[], i: number, start = SHB_BYTES + IDB_BYTES): number {
  let off = start;
  for (let k = 0; k < i; k++) off += EPB_OVERHEAD + pad4(data[k].length);
  return off;
}

/** Everything a test may want to know about one decoded packet, copied out of the reused view. */
export interface PacketSnapshot {
  frame: number;
  iface: number;
  linkType: number;
  hasTime: boolean;
  tsSec: number;
  tsNsec: number;
  caplen: number;
  wireLen: number;
  streamOffset: number;
  protocols: string[];
  stop: string | null;
  vlanId: number;
  ipVersion: number;
  ipProto: number;
  ipLen: number;
  isFragment: boolean;
  reassembled: boolean;
  l4: number;
  srcPort: number;
  dstPort: number;
  payloadLen: number;
  tcp: { seq: number; ack: number; flags: number; window: number; hdrLen: number; mss: number; wscale: number; sackPermitted: boolean; sack: number[]; tsVal: number | null; tsEcr: number | null } | null;
  icmp: { type: number; code: number; rest: number; inner: null | { ipVersion: number; proto: number; src: string; dst: string; srcPort: number; dstPort: number } } | null;
  dns: { count: number; overTcp: boolean; inIcmpError: boolean; ids: number[] };
  src: string;
  dst: string;
}

function addr(buf: Uint8Array, off: number, v6: boolean): string {
  if (!v6) return Array.from(buf.subarray(off, off + 4)).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((buf[off + i] << 8) | buf[off + i + 1]).toString(16));
  return groups.join(':');
}

export function protocolsOf(v: PacketView): string[] {
  return PROTOCOL_NAMES.filter((_, i) => v.has(i));
}

export function snapshot(v: PacketView): PacketSnapshot {
  const ip = v.ipVersion;
  return {
    frame: v.frame,
    iface: v.iface,
    linkType: v.linkType,
    hasTime: v.hasTime,
    tsSec: v.tsSec,
    tsNsec: v.tsNsec,
    caplen: v.caplen,
    wireLen: v.wireLen,
    streamOffset: v.streamOffset,
    protocols: protocolsOf(v),
    stop: v.stop === 0 ? null : describeStop(v.stop, v.stopDetail),
    vlanId: v.vlanId,
    ipVersion: ip,
    ipProto: v.ipProto,
    ipLen: v.ipLen,
    isFragment: v.isFragment,
    reassembled: v.reassembled,
    l4: v.l4,
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    payloadLen: v.payloadLen,
    tcp:
      v.l4 === 6
        ? {
            seq: v.tcpSeq,
            ack: v.tcpAck,
            flags: v.tcpFlags,
            window: v.tcpWindow,
            hdrLen: v.tcpHdrLen,
            mss: v.tcpMss,
            wscale: v.tcpWscale,
            sackPermitted: v.tcpSackPermitted,
            sack: Array.from(v.tcpSack.subarray(0, v.tcpSackCount * 2)),
            tsVal: v.tcpHasTimestamp ? v.tcpTsVal : null,
            tsEcr: v.tcpHasTimestamp ? v.tcpTsEcr : null,
          }
        : null,
    icmp:
      v.l4 === 1 || v.l4 === 58
        ? {
            type: v.icmpType,
            code: v.icmpCode,
            rest: v.icmpRest,
            inner: v.icmpInnerValid
              ? {
                  ipVersion: v.icmpInnerIpVersion,
                  proto: v.icmpInnerProto,
                  src: addr(v.l4Buf, v.icmpInnerSrcOff, v.icmpInnerIpVersion === 6),
                  dst: addr(v.l4Buf, v.icmpInnerDstOff, v.icmpInnerIpVersion === 6),
                  srcPort: v.icmpInnerSrcPort,
                  dstPort: v.icmpInnerDstPort,
                }
              : null,
          }
        : null,
    dns: {
      count: v.dnsCount,
      overTcp: v.dnsOverTcp,
      inIcmpError: v.dnsInIcmpError,
      ids: Array.from({ length: v.dnsCount }, (_, i) => (v.dnsBuf[i][v.dnsOff[i]] << 8) | v.dnsBuf[i][v.dnsOff[i] + 1]),
    },
    src: ip === 0 ? '' : addr(v.buf, v.srcAddrOff, ip === 6),
    dst: ip === 0 ? '' : addr(v.buf, v.dstAddrOff, ip === 6),
  };
}

/** Runs a capture through the engine in the given chunking; returns the summary and every packet. */
export async function analyze(bytes: Uint8Array, chunkSizes: number[] = [bytes.length || 1]): Promise<{ summary: CaptureSummary; packets: PacketSnapshot[]; run: CaptureRun }> {
  const packets: PacketSnapshot[] = [];
  const run = new CaptureRun([{ onPacket: (v) => packets.push(snapshot(v)) }]);
  await run.run(chunked(bytes, chunkSizes), { totalBytes: bytes.length });
  return { summary: run.captureSummary(), packets, run };
}

export function errors(s: CaptureSummary) {
  return s.warnings.filter((w) => w.severity === 'error');
}

/** Chunkings every fixture is read with: whole, byte by byte, odd sizes that straddle every boundary. */
export const CHUNKINGS: number[][] = [[1 << 20], [1], [3], [7], [16], [3, 1, 4, 1, 5, 9, 2, 6]];
