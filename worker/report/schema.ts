import * as v from 'valibot';
import { count, nonNeg, text } from './primitives.js';
import { conversationsSchema } from './sections/conversations.js';
import { dnsSchema } from './sections/dns.js';
import { findingSchema, healthSchema } from './sections/findings.js';
import { securitySchema } from './sections/security.js';
import { captureSummarySchema } from './sections/summary.js';
import { tcpSchema } from './sections/tcp.js';
import { timelineSchema } from './sections/timeline.js';
import { gapsSchema, icmpSchema, ipSchema, udpSchema } from './sections/traffic.js';
import { THRESHOLDS, type ThresholdName } from './thresholds.js';

/**
 * The report: the one contract between engine, app, server and CLI. Bump SCHEMA_VERSION on any
 * incompatible change and add a step to `migrations.ts`.
 */
export const SCHEMA_VERSION = 1;

/** Reports larger than this are refused before parsing (a 500 MB capture yields well under 5 MB). */
export const MAX_REPORT_BYTES = 8 * 1024 * 1024;

const thresholdsSchema = v.object(
  Object.fromEntries(Object.keys(THRESHOLDS).map((k) => [k, nonNeg])) as Record<ThresholdName, typeof nonNeg>,
);

export const reportSchema = v.object({
  schemaVersion: v.literal(SCHEMA_VERSION),
  generator: v.object({ name: v.literal('pcap-analyzer'), version: text(40) }),
  /** When the analysis ran (ISO 8601); the only field that differs between two runs on one file. */
  analyzedAt: text(40),
  source: v.object({ fileName: v.nullable(text(300)), fileBytes: count }),
  /** What was removed before sharing, if anything. */
  redaction: v.nullable(v.object({ addresses: v.boolean(), dnsNames: v.boolean(), comments: v.boolean() })),
  thresholds: thresholdsSchema,
  summary: captureSummarySchema,
  health: healthSchema,
  findings: v.pipe(v.array(findingSchema), v.maxLength(60)),
  conversations: conversationsSchema,
  tcp: tcpSchema,
  dns: dnsSchema,
  timeline: timelineSchema,
  udp: udpSchema,
  icmp: icmpSchema,
  ip: ipSchema,
  gaps: gapsSchema,
  /** Security detectors; absent from reports of versions without them. */
  security: v.optional(securitySchema),
  /** How long the engine took and what it had to leave out to stay bounded. */
  performance: v.object({ analysisMs: nonNeg, packetsPerSecond: nonNeg }),
});

export type Report = v.InferOutput<typeof reportSchema>;
