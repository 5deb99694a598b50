import * as v from 'valibot';
import { capped, count, dict, distribution, flowId, frame, list, nonNeg, num, seconds, text } from '../primitives.js';

/** Wireshark's tcp.analysis.* flag names (plus rst), in the order Wireshark's Expert Info lists them. */
export const TCP_EVENT_NAMES = [
  'retransmission',
  'fast_retransmission',
  'spurious_retransmission',
  'duplicate_ack',
  'lost_segment',
  'ack_lost_segment',
  'out_of_order',
  'zero_window',
  'zero_window_probe',
  'zero_window_probe_ack',
  'window_full',
  'window_update',
  'keep_alive',
  'keep_alive_ack',
  'reused_ports',
  'rst',
] as const;
export type TcpEventName = (typeof TCP_EVENT_NAMES)[number];

export const MAX_TCP_EVENTS = 5000;

export const tcpEventSchema = v.object({
  frame,
  /** Seconds since the first packet. */
  time: seconds,
  flow: flowId,
  type: v.picklist(TCP_EVENT_NAMES),
  /** e.g. the duplicate-ACK number ("#3"), or the frame a retransmission repeats. */
  detail: v.optional(text(120)),
});

const totals = v.object(Object.fromEntries(TCP_EVENT_NAMES.map((n) => [n, count])) as Record<TcpEventName, typeof count>);

/** Zeek conn_state names, explained in docs. */
export const CONN_STATES = ['S0', 'REJ', 'S1', 'SF', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'S2', 'S3', 'OTH'] as const;

export const tcpFlowDetailSchema = v.object({
  id: flowId,
  state: v.picklist(CONN_STATES),
  /** Seconds since the last packet of the flow at capture end (still-open connections). */
  idleAtEnd: seconds,
  /** Who opened it (sent the SYN), when known. */
  client: v.picklist(['a', 'b', 'unknown']),
  handshake: v.nullable(
    v.object({
      synToSynAck: v.nullable(seconds),
      synAckToAck: v.nullable(seconds),
      synRetransmissions: count,
      synAckRetransmissions: count,
      timeToFirstData: v.nullable(seconds),
    }),
  ),
  rtt: v.object({
    /** Handshake iRTT and its halves (capture point → server, capture point → client). */
    irtt: v.nullable(seconds),
    serverSide: v.nullable(seconds),
    clientSide: v.nullable(seconds),
    ackSamples: count,
    ackMin: v.nullable(seconds),
    ackMean: v.nullable(seconds),
    ackP95: v.nullable(seconds),
    ackMax: v.nullable(seconds),
  }),
  /** Per-flow counts of the Wireshark flags above (only non-zero ones). */
  events: dict(count, 20),
  dataSegments: count,
  retransmittedSegments: count,
  /** Window scale shift per side; -1 unknown (SYN not seen), -2 not used. */
  windowScaleA: num,
  windowScaleB: num,
  zeroWindowSeconds: nonNeg,
  /** Share of data segments sent while bytes in flight sat at the peer's advertised window. */
  receiverLimitedA: nonNeg,
  receiverLimitedB: nonNeg,
  /** Unique payload bytes per second each way (retransmissions excluded). */
  goodputAB: nonNeg,
  goodputBA: nonNeg,
});

export const tcpSchema = v.object({
  totals,
  events: capped(tcpEventSchema, MAX_TCP_EVENTS),
  /** Per-type count of events left out of `events`. */
  flows: capped(tcpFlowDetailSchema, 1000),
  rtt: v.object({
    ack: distribution,
    irtt: distribution,
    serverSide: distribution,
    clientSide: distribution,
  }),
  handshakes: v.object({
    attempted: count,
    completed: count,
    refused: count,
    unanswered: count,
    synRetransmissions: count,
    synToSynAck: distribution,
    timeToFirstData: distribution,
    slowest: capped(v.object({ flow: flowId, frame, synToSynAck: seconds, synAckToAck: v.nullable(seconds) }), 50),
    /**
     * SYN retransmission timing, with whether each interval about doubles (RFC 6298 back-off). An
     * interval is negative where the capture's clock went backwards between two SYNs (merged captures).
     */
    backoff: capped(
      v.object({ flow: flowId, frames: list(frame, 16), intervals: list(num, 15), followsDoubling: v.boolean() }),
      100,
    ),
  }),
  states: dict(count, 16),
  windows: v.object({
    zeroWindowEpisodes: capped(
      v.object({
        flow: flowId,
        /** The side advertising the zero window. */
        side: v.picklist(['a', 'b']),
        frame,
        endFrame: v.nullable(frame),
        start: seconds,
        /** Null when the window never reopened before the capture ended. */
        duration: v.nullable(seconds),
        probes: count,
      }),
      500,
    ),
    scaleUnknownFlows: count,
    receiverLimitedFlows: capped(v.object({ flow: flowId, side: v.picklist(['a', 'b']), fraction: nonNeg }), 200),
  }),
  /** Flows whose detailed TCP state was dropped to bound memory (still counted in totals). */
  untrackedFlows: count,
});

export type TcpEvent = v.InferOutput<typeof tcpEventSchema>;
export type TcpFlowDetail = v.InferOutput<typeof tcpFlowDetailSchema>;
export type TcpSection = v.InferOutput<typeof tcpSchema>;
export type ConnState = (typeof CONN_STATES)[number];
