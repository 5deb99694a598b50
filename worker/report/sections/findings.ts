import * as v from 'valibot';
import { dict, evidence, list, num, text } from '../primitives.js';

export const FINDING_CATEGORIES = ['loss', 'latency', 'handshake', 'window', 'dns', 'jitter', 'gaps', 'icmp', 'capture', 'security'] as const;

export const findingSchema = v.object({
  id: text(80),
  severity: v.picklist(['critical', 'warning', 'info']),
  category: v.picklist(FINDING_CATEGORIES),
  title: text(300),
  detail: text(2000),
  evidence,
  metrics: dict(num, 12),
});

export const healthSchema = v.object({
  score: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100)),
  grade: v.picklist(['good', 'fair', 'poor', 'critical']),
  deductions: list(v.object({ category: v.picklist(FINDING_CATEGORIES), points: num, reason: text(300) }), 40),
});

export type Finding = v.InferOutput<typeof findingSchema>;
export type Health = v.InferOutput<typeof healthSchema>;
export type FindingCategory = (typeof FINDING_CATEGORIES)[number];
