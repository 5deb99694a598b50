/**
 * Security detector thresholds: every one an option with a documented default, written into the
 * report's security section (`thresholds`) so a reader knows exactly which rule produced a detection.
 * docs/security-detectors.md explains each rule and the reasoning behind the defaults.
 */
export interface SecurityThresholdSpec {
  default: number;
  /** `share` is a fraction between 0 and 1; `ratio` is unbounded. */
  unit: 's' | 'count' | 'share' | 'ratio' | 'bytes' | 'per-second' | 'bits' | 'flag';
  description: string;
}

export const SECURITY_THRESHOLDS = {
  // ── port scans ──
  scanWindowSeconds: { default: 60, unit: 's', description: 'sliding window in which distinct scan targets are counted' },
  scanVerticalMinPorts: { default: 50, unit: 'count', description: 'distinct ports probed on one host by one source within the window (vertical scan)' },
  scanHorizontalMinHosts: { default: 30, unit: 'count', description: 'distinct hosts probed on one port by one source within the window (horizontal scan)' },
  scanMinFailedShare: { default: 0.5, unit: 'share', description: 'share of the probed targets (host:port) that did not answer (RST, ICMP unreachable or silence); ordinary clients mostly reach what they connect to' },

  // ── brute force ──
  bruteWindowSeconds: { default: 60, unit: 's', description: 'sliding window in which short connections to one service are counted' },
  bruteMinConnections: { default: 10, unit: 'count', description: 'short established connections with payload both ways (login attempts) from one source to one authentication service within the window' },
  bruteMinConnectionsHttp: { default: 30, unit: 'count', description: 'the same for HTTP(S) login pages (ports 80, 443, 8000, 8080, 8443, 8888)' },
  bruteMaxConnectionSeconds: { default: 30, unit: 's', description: 'a connection lasting at most this long counts as short' },
  bruteMaxConnectionBytes: { default: 20_000, unit: 'bytes', description: 'a short connection carries at most this much TCP payload (both directions)' },
  bruteHttpMaxSizeCv: { default: 0.25, unit: 'ratio', description: 'HTTP(S) only: coefficient of variation of client and of server payload per connection at most this (identical login attempts and failure pages)' },
  bruteTinyServerBytes: { default: 1024, unit: 'bytes', description: 'a connection whose server sent at most this much payload is a "tiny exchange" (failure sign)' },

  // ── floods ──
  floodSustainSeconds: { default: 2, unit: 's', description: 'consecutive one-second bins at or above the rate that make a flood' },
  synFloodRatePerSecond: { default: 100, unit: 'per-second', description: 'SYNs (without ACK) per second towards one host' },
  synFloodMinHalfOpenRatio: { default: 0.5, unit: 'share', description: 'share of those connection attempts never completed by the client (no ACK after the SYN)' },
  udpFloodRatePerSecond: { default: 5000, unit: 'per-second', description: 'UDP packets per second towards one host' },
  udpFloodMaxReplyRatio: { default: 0.1, unit: 'share', description: 'UDP flood only: packets the target sent back, per packet it received, at most this' },
  icmpFloodRatePerSecond: { default: 500, unit: 'per-second', description: 'ICMP echo requests and other unsolicited non-error ICMP messages (ICMPv6: echo requests) per second towards one host' },
  ddosMinSources: { default: 20, unit: 'count', description: 'estimated distinct sources that make a flood distributed (DDoS, critical)' },

  // ── DNS tunnelling ──
  dnsTunnelMinQueries: { default: 50, unit: 'count', description: 'queries under one registered domain' },
  dnsTunnelMinUniqueRatio: { default: 0.7, unit: 'share', description: 'distinct query names per query under that domain' },
  dnsTunnelMinSubdomainLength: { default: 24, unit: 'count', description: 'signal: mean characters of the subdomain part (labels left of the registered domain)' },
  dnsTunnelMinEntropy: { default: 3.5, unit: 'bits', description: 'signal: mean Shannon entropy (bits per character) of subdomains of 8+ characters' },
  dnsTunnelMinTxtNullRatio: { default: 0.3, unit: 'share', description: 'signal: share of queries for TXT, NULL or private-use record types' },
  dnsTunnelMinBytesPerQuery: { default: 200, unit: 'bytes', description: 'signal: DNS message bytes (queries and responses) per query' },
  dnsTunnelMinSignals: { default: 2, unit: 'count', description: 'how many of the four signals above must hold, besides volume and uniqueness' },

  // ── beaconing ──
  beaconMinConnections: { default: 10, unit: 'count', description: 'connection starts (beats) from one host to one destination:port' },
  beaconMaxCv: { default: 0.2, unit: 'ratio', description: 'coefficient of variation (std/mean) of the intervals between beats at most this' },
  beaconMinPeriodSeconds: { default: 5, unit: 's', description: 'mean interval at least this (faster repetition is ordinary polling or bursts)' },
  beaconMergeSeconds: { default: 1, unit: 's', description: 'connections starting closer than this to the previous one belong to the same beat' },
  beaconExternalOnly: { default: 1, unit: 'flag', description: '1: only destinations outside the internal ranges are considered (0: all)' },

  // ── exfiltration ──
  exfilMinBytes: { default: 50_000_000, unit: 'bytes', description: 'payload sent from one internal host to one external host' },
  exfilMinRatio: { default: 5, unit: 'ratio', description: 'sent payload at least this many times the payload received back' },
  exfilRareMinBytes: { default: 5_000_000, unit: 'bytes', description: 'sustained upload to a rare destination: payload sent' },
  exfilRareMaxInternalHosts: { default: 1, unit: 'count', description: 'a destination is rare when at most this many internal hosts talk to it' },
  exfilMinDurationSeconds: { default: 60, unit: 's', description: 'sustained upload: time from the first to the last packet of the transfer' },

  // ── lateral movement ──
  lateralWindowSeconds: { default: 600, unit: 's', description: 'sliding window in which internal destinations are counted' },
  lateralMinHosts: { default: 10, unit: 'count', description: 'distinct internal hosts one internal host connected to (handshake completed) on administrative ports within the window' },
} as const satisfies Record<string, SecurityThresholdSpec>;

export type SecurityThresholdName = keyof typeof SECURITY_THRESHOLDS;
export type SecurityThresholds = Record<SecurityThresholdName, number>;

export function defaultSecurityThresholds(): SecurityThresholds {
  return Object.fromEntries(Object.entries(SECURITY_THRESHOLDS).map(([k, s]) => [k, s.default])) as SecurityThresholds;
}

/** Merges overrides over the defaults; throws with a clear message on an unknown name or a bad value. */
export function resolveSecurityThresholds(overrides: Partial<Record<string, number>> = {}): SecurityThresholds {
  const t = defaultSecurityThresholds();
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(name in SECURITY_THRESHOLDS)) {
      throw new Error(`unknown security threshold "${name}" (known: ${Object.keys(SECURITY_THRESHOLDS).join(', ')})`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`security threshold ${name} must be a non-negative finite number (got ${String(value)})`);
    }
    const spec: SecurityThresholdSpec = SECURITY_THRESHOLDS[name as SecurityThresholdName];
    if (spec.unit === 'share' && value > 1) throw new Error(`security threshold ${name} is a share between 0 and 1 (got ${value})`);
    if (spec.unit === 'flag' && value !== 0 && value !== 1) throw new Error(`security threshold ${name} is 0 or 1 (got ${value})`);
    t[name as SecurityThresholdName] = value;
  }
  return t;
}
