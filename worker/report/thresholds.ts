/**
 * Analysis thresholds: every one an option with a documented default, written into each report so a
 * reader knows what "slow" or "lossy" meant for it. Security thresholds live in the security section.
 */
export interface ThresholdSpec {
  default: number;
  unit: 's' | 'ms' | 'ratio' | 'count' | 'factor';
  description: string;
}

export const THRESHOLDS = {
  gapSeconds: { default: 1, unit: 's', description: 'a silence longer than this (whole capture, or inside a flow that carries on after it) is reported as a gap' },
  synAckWarnSeconds: { default: 0.2, unit: 's', description: 'SYN→SYN/ACK delay reported as slow (warning)' },
  synAckCriticalSeconds: { default: 1, unit: 's', description: 'SYN→SYN/ACK delay reported as critical (usually a lost SYN and a retransmission)' },
  rttWarnSeconds: { default: 0.1, unit: 's', description: 'handshake or ACK round-trip time reported as high (warning)' },
  rttCriticalSeconds: { default: 0.3, unit: 's', description: 'round-trip time reported as critical' },
  jitterWarnMs: { default: 30, unit: 'ms', description: 'RFC 3550 interarrival jitter of a UDP stream reported as a warning (30 ms is the usual VoIP budget)' },
  jitterCriticalMs: { default: 50, unit: 'ms', description: 'interarrival jitter reported as critical' },
  dnsTimeoutSeconds: { default: 2, unit: 's', description: 'a DNS query without a response within this time is unanswered' },
  dnsSlowSeconds: { default: 0.2, unit: 's', description: 'DNS response time reported as slow' },
  retransmissionWarnRatio: { default: 0.01, unit: 'ratio', description: 'share of data segments retransmitted in a flow reported as a warning' },
  retransmissionCriticalRatio: { default: 0.05, unit: 'ratio', description: 'share of data segments retransmitted reported as critical' },
  zeroWindowWarnSeconds: { default: 0.5, unit: 's', description: 'total time a receiver advertised a zero window reported as a warning' },
  burstFactor: { default: 5, unit: 'factor', description: 'a one-second packet rate this many times the capture average is a burst' },
  minFlowPacketsForFindings: { default: 10, unit: 'count', description: 'flows with fewer packets do not produce per-flow rate findings' },
} as const satisfies Record<string, ThresholdSpec>;

export type ThresholdName = keyof typeof THRESHOLDS;
export type Thresholds = Record<ThresholdName, number>;

export function defaultThresholds(): Thresholds {
  return Object.fromEntries(Object.entries(THRESHOLDS).map(([k, s]) => [k, s.default])) as Thresholds;
}

/** Merges user overrides; throws with a clear message on an unknown name or a bad value. */
export function resolveThresholds(overrides: Partial<Record<string, number>> = {}): Thresholds {
  const t = defaultThresholds();
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in THRESHOLDS)) throw new Error(`unknown threshold "${name}" (known: ${Object.keys(THRESHOLDS).join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`threshold ${name} must be a non-negative number`);
    t[name as ThresholdName] = value;
  }
  return t;
}
