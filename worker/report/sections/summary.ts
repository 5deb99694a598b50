import * as v from 'valibot';
import { count, dict, list, nonNeg, num, text } from '../primitives.js';

export const captureIssueSchema = v.object({
  severity: v.picklist(['error', 'warning']),
  code: text(64),
  message: text(1000),
  offset: v.optional(nonNeg),
  blockType: v.optional(text(64)),
  packet: v.optional(count),
  count: v.optional(count),
});

export const interfaceSummarySchema = v.object({
  id: count,
  section: count,
  linkType: count,
  linkTypeName: text(80),
  linkTypeField: v.optional(count),
  snaplen: count,
  timestampResolution: text(16),
  timestampOffsetSeconds: num,
  name: v.optional(text(300)),
  description: v.optional(text(300)),
  packets: count,
});

/** Bounds of the summary's lists in a report (the info command lists everything). */
export const MAX_REPORT_INTERFACES = 1024;
export const MAX_BLOCK_TYPES = 32;
export const MAX_UNDECODED_REASONS = 200;

/** What `capinfos` shows, plus the protocol hierarchy. Field names are a public contract (scripts). */
export const captureSummarySchema = v.object({
  format: text(32),
  formatVersion: text(16),
  byteOrder: text(16),
  compression: v.nullable(v.literal('gzip')),
  sections: count,
  fileBytes: count,
  captureStreamBytes: count,
  packets: count,
  capturedBytes: count,
  wireBytes: count,
  /** ISO 8601 UTC at the file's precision (6 or 9 digits). */
  firstTimestamp: v.nullable(text(40)),
  lastTimestamp: v.nullable(text(40)),
  /** Exact epoch "sec.fraction" strings: a float64 cannot hold nanosecond epochs. */
  firstEpoch: v.nullable(text(32)),
  lastEpoch: v.nullable(text(32)),
  timestampDigits: count,
  durationSeconds: nonNeg,
  averagePacketBytes: nonNeg,
  packetsPerSecond: nonNeg,
  bitsPerSecond: nonNeg,
  bytesPerSecond: nonNeg,
  truncatedPackets: count,
  strictTimeOrder: v.boolean(),
  interfaces: list(interfaceSummarySchema, MAX_REPORT_INTERFACES),
  /** Interfaces beyond the first MAX_REPORT_INTERFACES, left out of `interfaces`. */
  interfacesOmitted: v.optional(count),
  blockCounts: dict(count, MAX_BLOCK_TYPES),
  comments: list(v.object({ text: text(4100), block: text(16), packet: v.optional(count) }), 200),
  /** Frames per protocol, Wireshark short names (`eth`, `ip`, `tcp`, …). */
  protocols: dict(count, 64),
  /** Frames whose decoding stopped before a transport layer, by reason. */
  undecoded: dict(count, MAX_UNDECODED_REASONS, 200),
  warnings: list(captureIssueSchema, 250),
});

export type CaptureIssueReport = v.InferOutput<typeof captureIssueSchema>;
export type InterfaceSummary = v.InferOutput<typeof interfaceSummarySchema>;
export type CaptureSummary = v.InferOutput<typeof captureSummarySchema>;
