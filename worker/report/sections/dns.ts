import * as v from 'valibot';
import { address, capped, count, dict, distribution, frame, seconds, text } from '../primitives.js';

/** Untrusted text from packets: bounded here, escaped on display. */
const dnsName = text(1100);

export const dnsSchema = v.object({
  /** Query and response messages, as `dns.flags.response==0/1` counts them (ICMP-quoted ones excluded). */
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
  slowest: capped(
    v.object({ frame, responseFrame: frame, name: dnsName, qtype: text(16), client: address, server: address, time: seconds, responseTime: seconds }),
    50,
  ),
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
});

export type DnsSection = v.InferOutput<typeof dnsSchema>;
