import * as v from 'valibot';
import { count, dict, flowId, list, nonNeg, seconds, text } from '../primitives.js';

export const MAX_BINS = 2000;

const series = list(nonNeg, MAX_BINS);

/**
 * The IO graph: values per bin (sums over the bin, divide by binSeconds for rates). Bins start at the
 * first packet; the width adapts so there are at most MAX_BINS bins whatever the duration.
 */
export const timelineSchema = v.object({
  binSeconds: v.pipe(nonNeg, v.minValue(1e-6)),
  bins: count,
  packets: series,
  bytes: series,
  tcpBytes: series,
  udpBytes: series,
  otherBytes: series,
  /** TCP expert events and other notable events per bin, by name. */
  events: dict(series, 24),
  /** Bytes per bin of the largest flows. */
  topFlows: list(v.object({ flow: flowId, protocol: v.picklist(['tcp', 'udp']), label: text(200), bytes: series }), 10),
  /** Packets with timestamps before the first packet (out-of-order capture) counted in bin 0. */
  outOfOrderPackets: count,
  firstPacketAt: seconds,
});

export type TimelineSection = v.InferOutput<typeof timelineSchema>;
