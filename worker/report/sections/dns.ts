import * as v from 'valibot';
import { address, capped, count, dict, distribution, frame, seconds, text } from '../primitives.js';

/** Untrusted text from packets: bounded here, escaped on display. */
const dnsName = text(1100);

export const dnsSchema = v.object({
  /**
   * Frames with a query / a response, as `dns.flags.response==0/1` counts them: mDNS, LLMNR and DNS
   * quoted inside ICMP errors included, as tshark counts them.
   */
  queries: count,
  responses: count,
  /** Responses with rcode ≠ 0. */
  errorResponses: count,
  /** Queries matched to a response (client, server, id, question). */
  transactions: count,
  /** Queries with no response within the timeout. */
  unanswered: count,
  /** Responses whose query was not seen. */
  unmatchedResponses: count,
  overTcp: count,
  /** Retransmitted queries (same id and question again before a response). */
  retransmittedQueries: count,
  rcodes: dict(count, 32),
  qtypes: dict(count, 64),
  responseTime: distribution,
  topNames: capped(v.object({ name: dnsName, queries: count, errors: count, unanswered: count }), 50),
  /** `time` is the query's time (relative seconds; earlier-than-first clamped to 0). */
  slowest: capped(
    v.object({ frame, responseFrame: frame, name: dnsName, qtype: text(16), client: address, server: address, time: seconds, responseTime: seconds }),
    50,
  ),
  /** `time` is the response's time. */
  errors: capped(
    v.object({ frame: v.nullable(frame), responseFrame: frame, name: dnsName, qtype: text(16), rcode: text(16), client: address, server: address, time: seconds }),
    200,
  ),
  unansweredQueries: capped(v.object({ frame, name: dnsName, qtype: text(16), client: address, server: address, time: seconds }), 200),
  servers: capped(
    v.object({ address, queries: count, responses: count, errors: count, unanswered: count, meanResponseTime: v.nullable(seconds) }),
    50,
  ),
  /** Messages on DNS ports that could not be parsed. */
  malformed: count,
  /** Responses that arrived after the query was already counted unanswered (past the timeout). */
  lateResponses: count,
  /** Further responses to a query that was already answered. */
  duplicateResponses: count,
  /** Queries still waiting at capture end, sent less than the timeout before the last packet (not unanswered). */
  pendingAtEnd: count,
  /** Waiting queries dropped to bound memory (included in `unanswered`). */
  evictedPending: count,
});

export type DnsSection = v.InferOutput<typeof dnsSchema>;
