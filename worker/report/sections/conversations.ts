import * as v from 'valibot';
import { address, capped, count, endpoint, flowId, seconds, text } from '../primitives.js';

export const MAX_TCP_CONVERSATIONS = 1000;
export const MAX_UDP_CONVERSATIONS = 1000;
export const MAX_IP_CONVERSATIONS = 500;
export const MAX_ENDPOINTS = 500;

const directional = {
  packetsAB: count,
  bytesAB: count,
  packetsBA: count,
  bytesBA: count,
};

/**
 * A TCP or UDP conversation as `tshark -z conv` shows it: A is the sender of the first packet seen.
 * `id` is Wireshark's tcp.stream / udp.stream number.
 */
export const flowRowSchema = v.object({
  id: flowId,
  a: endpoint,
  b: endpoint,
  /** Well-known service by port, e.g. "https". */
  service: v.nullable(text(40)),
  start: seconds,
  duration: seconds,
  ...directional,
});

export const ipConversationSchema = v.object({
  a: address,
  b: address,
  start: seconds,
  duration: seconds,
  ...directional,
});

export const endpointRowSchema = v.object({
  address,
  packets: count,
  bytes: count,
  txPackets: count,
  txBytes: count,
  rxPackets: count,
  rxBytes: count,
});

export const conversationsSchema = v.object({
  totals: v.object({
    ipv4Conversations: count,
    ipv6Conversations: count,
    tcp: count,
    udp: count,
    ipv4Endpoints: count,
    ipv6Endpoints: count,
  }),
  /** Largest first (bytes both ways). */
  tcp: capped(flowRowSchema, MAX_TCP_CONVERSATIONS),
  udp: capped(flowRowSchema, MAX_UDP_CONVERSATIONS),
  ip: capped(ipConversationSchema, MAX_IP_CONVERSATIONS),
  endpoints: capped(endpointRowSchema, MAX_ENDPOINTS),
  /** Top talkers by bytes sent. */
  topTalkers: capped(endpointRowSchema, 20),
  /** Flows seen after the flow table was full: counted in totals, not in rows. */
  untrackedFlows: count,
});

export type FlowRow = v.InferOutput<typeof flowRowSchema>;
export type IpConversation = v.InferOutput<typeof ipConversationSchema>;
export type EndpointRow = v.InferOutput<typeof endpointRowSchema>;
export type ConversationsSection = v.InferOutput<typeof conversationsSchema>;
