import * as v from 'valibot';
import { address, capped, count, dict, frame, list, num, seconds, text } from '../primitives.js';

export const DETECTION_KINDS = [
  'port_scan',
  'brute_force',
  'syn_flood',
  'udp_flood',
  'icmp_flood',
  'dns_tunneling',
  'beaconing',
  'exfiltration',
  'lateral_movement',
] as const;

export const detectionSchema = v.object({
  id: text(80),
  kind: v.picklist(DETECTION_KINDS),
  severity: v.picklist(['critical', 'warning', 'info']),
  confidence: v.pipe(v.number(), v.minValue(0), v.maxValue(1)),
  title: text(300),
  /** The rule in words, with its thresholds. */
  rule: text(1000),
  hosts: list(address, 50),
  ports: list(count, 100),
  /** DNS names the detection is about (the registered domain of a tunnel), as whole strings for redaction. */
  domains: v.optional(list(text(255), 5)),
  start: seconds,
  end: seconds,
  sampleFrames: list(frame, 30),
  filter: text(1000),
  metrics: dict(num, 24),
});

export const securitySchema = v.object({
  thresholds: dict(num, 80),
  internalRanges: list(text(64), 64),
  detections: capped(detectionSchema, 200),
  /**
   * What the detectors could not follow to stay bounded (flows beyond the flow table, entities evicted
   * from full tables): non-zero values mean detections may be under-counted. Optional for older reports.
   */
  coverage: v.optional(dict(count, 16)),
});

export type Detection = v.InferOutput<typeof detectionSchema>;
export type SecuritySection = v.InferOutput<typeof securitySchema>;
