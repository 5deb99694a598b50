import * as v from 'valibot';
import { address, capped, count, endpoint, flowId, frame, nonNeg, num, seconds, text } from '../primitives.js';

/** RFC 3550 interarrival jitter per UDP flow and direction. */
export const udpSchema = v.object({
  flows: capped(
    v.object({
      flow: flowId,
      from: endpoint,
      to: endpoint,
      packets: count,
      /**
       * `rtp`: RFC 3550 with the RTP timestamps as send times; `spacing`: no RTP, so jitter is the
       * variation of arrival spacing around the flow's mean interval (meaningful for periodic senders).
       */
      method: v.picklist(['rtp', 'spacing']),
      /** Final RFC 3550 estimate and its maximum over the flow, in milliseconds. */
      jitterMs: nonNeg,
      maxJitterMs: nonNeg,
      meanIntervalMs: nonNeg,
      /** Largest silence between two packets of the flow, seconds. */
      maxGap: seconds,
    }),
    200,
  ),
});

const quoted = v.nullable(
  v.object({ src: address, dst: address, protocol: count, srcPort: v.nullable(count), dstPort: v.nullable(count) }),
);

export const icmpSchema = v.object({
  messages: count,
  byType: capped(v.object({ version: v.picklist([4, 6]), type: count, code: count, name: text(80), count }), 100),
  unreachable: capped(v.object({ frame, time: seconds, version: v.picklist([4, 6]), code: count, codeName: text(80), from: address, about: quoted }), 200),
  /** Fragmentation needed (ICMP 3/4) and packet too big (ICMPv6 2), with the MTU announced. */
  fragmentationNeeded: capped(v.object({ frame, time: seconds, version: v.picklist([4, 6]), mtu: count, from: address, about: quoted }), 100),
  timeExceeded: capped(v.object({ frame, time: seconds, version: v.picklist([4, 6]), code: count, from: address, about: quoted }), 100),
  echo: v.object({ requests: count, replies: count, unanswered: count, rtt: v.nullable(v.object({ count, mean: seconds, max: seconds })) }),
});

export const ipSchema = v.object({
  ipv4Packets: count,
  ipv6Packets: count,
  ipv4Fragments: count,
  ipv6Fragments: count,
  datagramsReassembled: count,
  /** Fragments whose datagram never completed (lost fragments, or limits). */
  incompleteDatagrams: count,
  /** Frames whose IP length exceeded the frame (decoded as far as the bytes went). */
  lengthExceedsFrame: count,
  ttl: capped(v.object({ value: count, packets: count }), 64),
});

export const gapsSchema = v.object({
  thresholdSeconds: nonNeg,
  /** Silences of the whole capture longer than the threshold. */
  capture: capped(v.object({ afterFrame: frame, beforeFrame: frame, start: seconds, duration: seconds }), 200),
  /** Silences inside individual flows (idle periods with traffic before and after). */
  flows: capped(v.object({ flow: flowId, protocol: v.picklist(['tcp', 'udp']), afterFrame: frame, beforeFrame: frame, start: seconds, duration: seconds }), 200),
  bursts: capped(v.object({ start: seconds, duration: seconds, packets: count, bytes: count, rateMultiple: num }), 50),
});

export type UdpSection = v.InferOutput<typeof udpSchema>;
export type IcmpSection = v.InferOutput<typeof icmpSchema>;
export type IpSection = v.InferOutput<typeof ipSchema>;
export type GapsSection = v.InferOutput<typeof gapsSchema>;
