import type { PacketView } from '../decode/packet.js';
import { Proto } from '../decode/protocols.js';
import type { IpSection } from '../report/sections/traffic.js';
import type { Analyzer } from './analyzer.js';
import { hashAddress16, QuadKeyTable } from './stats.js';

export const MAX_TTL_VALUES = 64;
/** Fragmented datagrams followed at once (log2 of the table size − 1 = 32768 open datagrams). */
const FRAG_TABLE_LOG2 = 16;
/** The decoder stops joining fragments of one datagram more than this far apart (see defrag.ts). */
const FRAG_TIMEOUT_SECONDS = 60;

/**
 * IP layer statistics: frames per IP version, fragments, reassembly outcome, IP lengths beyond the
 * frame, and the TTL / hop-limit distribution.
 *
 * - `ipv4Packets` / `ipv6Packets`: frames with an IPv4 / IPv6 header at the top level of the dissection
 *   (a tunnelled frame counts for both), as `tshark -z io,phs` counts `ip` and `ipv6`.
 * - `ipv4Fragments`: frames that are IPv4 fragments (MF set or offset > 0). `ipv6Fragments`: frames with
 *   an IPv6 fragment header that fragments (atomic fragments, offset 0 without M, are whole datagrams
 *   and are counted in `atomicFragments` only).
 * - `datagramsReassembled`: frames that completed a datagram (the decoder's `reassembled`).
 * - `incompleteDatagrams`: datagrams with fragments in the capture that the decoder never completed.
 *   Followed here with the decoder's key (addresses, identification, protocol, VLAN) in a bounded
 *   typed hash table: a fragment opens its datagram, the completing frame closes it, a fragment more
 *   than 60 s after its datagram opened starts it again (as the decoder does), and what is open at the
 *   end is incomplete. Approximations: IPv6 addresses are hashed; when 32768 datagrams are open, those
 *   open for over 60 s are settled as incomplete, and if none are, new datagrams are not followed
 *   (not counted, see `untrackedFragments`); when a tunnel's outer datagram is completed, the inner IP header
 *   overwrites the view's fragment fields, so the outer IPv4 header is read again from the packet
 *   (an outer IPv6 fragment header cannot be found again: that datagram is closed by count).
 * - `lengthExceedsFrame`: frames with an IP header whose total/payload length is larger than the
 *   frame carries (flagged by the decoder, which then decodes with the frame's length).
 * - `ttl`: innermost header's TTL (IPv4) or hop limit (IPv6), the 64 most frequent values.
 *
 * Per packet: a few bit tests and typed-array increments; fragments add one hash probe.
 */
export class IpAnalyzer implements Analyzer<IpSection> {
  private v4 = 0;
  private v6 = 0;
  private v4Frags = 0;
  private v6Frags = 0;
  /** IPv6 fragment headers with offset 0 and M clear (RFC 6946). */
  atomicFragments = 0;
  private reassembled = 0;
  private exceeds = 0;
  private readonly ttl = new Float64Array(256);

  // tshark-comparable frame counts: any IPv4 header of the frame (including one quoted by ICMP)
  // with MF set / with a non-zero offset — what `ip.flags.mf==1` and `ip.frag_offset>0` select.
  framesMf = 0;
  framesOffset = 0;
  /** Frames with an IPv6 fragment header, atomic ones included (`ipv6.fraghdr`). */
  framesFragHeader = 0;

  private readonly open = new QuadKeyTable(FRAG_TABLE_LOG2);
  /** Completing frames whose fragment fields an inner tunnelled header overwrote. */
  private closedUnkeyed = 0;
  /** Datagrams abandoned because a later fragment of the same key came after the timeout. */
  private abandoned = 0;
  /** Fragments that found the datagram table full (their datagrams are not followed). */
  untrackedFragments = 0;

  onPacket(v: PacketView): void {
    if (v.has(Proto.IP)) this.v4++;
    const fragHdr = v.has(Proto.IPV6_FRAG);
    if (v.has(Proto.IPV6)) this.v6++;
    if (fragHdr) this.framesFragHeader++;
    if (v.ipVersion !== 0) this.ttl[v.ttl]++;
    if (v.ipLengthExceeded) this.exceeds++;
    if (v.reassembled) this.reassembled++;

    let mf = false;
    let offset = false;
    if (v.isFragment) {
      if (fragHdr) this.v6Frags++;
      else this.v4Frags++;
      // The view's fragment fields belong to the fragmenting header unless an inner header decoded
      // from the reassembled datagram replaced them (that header then lives in a reassembly buffer).
      const n = v.ipLayerCount;
      if (v.reassembled && n > 0 && v.ipLayerDv[n - 1] !== v.dv) {
        this.closeOverwritten(v, fragHdr);
        if (!fragHdr) {
          // closeOverwritten read the outer IPv4 header's flags.
          mf = this.outerMf;
          offset = this.outerOffset;
        }
      } else {
        if (!fragHdr) {
          mf = v.ipMoreFragments;
          offset = v.ipFragOffset > 0;
        }
        if (fragHdr) {
          if (v.srcAddrOff + 32 <= v.dv.byteLength) {
            this.follow(v, hashAddress16(v.dv, v.srcAddrOff), hashAddress16(v.dv, v.dstAddrOff), v.ipId, 6);
          }
        } else {
          this.follow(v, v.src4, v.dst4, (v.ipId << 8) | (v.ipProto & 0xff), 4);
        }
      }
    } else if (fragHdr) {
      this.atomicFragments++;
    }
    if (v.icmpInnerValid && v.icmpInnerIpVersion === 4) {
      const ff = v.l4Dv.getUint16(v.icmpInnerSrcOff - 6);
      if (ff & 0x2000) mf = true;
      if (ff & 0x1fff) offset = true;
    }
    if (mf) this.framesMf++;
    if (offset) this.framesOffset++;
  }

  private outerMf = false;
  private outerOffset = false;

  /**
   * A tunnel's outer datagram was completed by this frame and the inner IP header replaced the view's
   * fragment fields: read the outer header again (the innermost one still in the packet buffer). An
   * IPv6 fragment header's place is not recorded in the view, so those datagrams are closed by count.
   */
  private closeOverwritten(v: PacketView, fragHdr: boolean): void {
    this.outerMf = false;
    this.outerOffset = false;
    let k = v.ipLayerCount - 1;
    while (k >= 0 && v.ipLayerDv[k] !== v.dv) k--;
    if (fragHdr || k < 0 || v.ipLayerVersion[k] !== 4) {
      this.closedUnkeyed++;
      return;
    }
    const dv = v.dv;
    const hdr = v.ipLayerSrcOff[k] - 12;
    const ff = dv.getUint16(hdr + 6);
    this.outerMf = (ff & 0x2000) !== 0;
    this.outerOffset = (ff & 0x1fff) !== 0;
    this.follow(v, dv.getUint32(hdr + 12), dv.getUint32(hdr + 16), (dv.getUint16(hdr + 4) << 8) | dv.getUint8(hdr + 9), 4);
  }

  /** Opens / closes the fragment's datagram, keyed like the decoder's reassembly. */
  private follow(v: PacketView, a: number, b: number, c: number, version: 4 | 6): void {
    const d = (version << 16) | (v.vlanId & 0xffff);
    const t = this.open;
    let slot = t.find(a, b, c, d);
    if (slot >= 0 && v.time - t.value[slot] > FRAG_TIMEOUT_SECONDS) {
      // The decoder drops the old partial datagram and starts anew.
      t.remove(slot);
      this.abandoned++;
      slot = -1;
    }
    if (v.reassembled) {
      if (slot >= 0) t.remove(slot);
      return;
    }
    if (slot >= 0) return;
    if (t.size >= t.maxEntries && v.time >= this.nextSweep) {
      // Datagrams open for longer than the decoder's timeout can no longer complete: they are incomplete.
      this.abandoned += t.removeBelow(v.time - FRAG_TIMEOUT_SECONDS);
      if (t.size >= t.maxEntries) this.nextSweep = v.time + 1;
    }
    if (t.insert(a, b, c, d, v.time) < 0) this.untrackedFragments++;
  }

  private nextSweep = -Infinity;

  finish(): IpSection {
    const values: Array<{ value: number; packets: number }> = [];
    for (let i = 0; i < 256; i++) if (this.ttl[i] > 0) values.push({ value: i, packets: this.ttl[i] });
    values.sort((a, b) => b.packets - a.packets || a.value - b.value);
    return {
      ipv4Packets: this.v4,
      ipv6Packets: this.v6,
      ipv4Fragments: this.v4Frags,
      ipv6Fragments: this.v6Frags,
      datagramsReassembled: this.reassembled,
      incompleteDatagrams: this.incompleteDatagrams,
      lengthExceedsFrame: this.exceeds,
      ttl: { items: values.slice(0, MAX_TTL_VALUES), omitted: Math.max(0, values.length - MAX_TTL_VALUES) },
    };
  }

  get incompleteDatagrams(): number {
    return Math.max(0, this.open.size - this.closedUnkeyed) + this.abandoned;
  }
}
