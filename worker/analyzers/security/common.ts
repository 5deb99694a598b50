import type { Detection } from '../../report/sections/security.js';
import { ipv4Text, ipv6TextFromWords } from '../address.js';

/** Report bounds of one detection (see worker/report/sections/security.ts). */
export const MAX_HOSTS = 50;
export const MAX_PORTS = 100;
export const MAX_SAMPLE_FRAMES = 30;
export const MAX_METRICS = 24;

export function addressText(version: number, w0: number, w1: number, w2: number, w3: number): string {
  return version === 4 ? ipv4Text(w0 >>> 0) : ipv6TextFromWords(w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0);
}

/** Display-filter field for an address: ip.src / ipv6.src and so on. */
export function addrField(ip: string, which: 'src' | 'dst' | 'addr'): string {
  return `${ip.includes(':') ? 'ipv6' : 'ip'}.${which} == ${ip}`;
}

/** "host" or "[v6]" for titles. */
export function hostText(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

export const n = (x: number): string => Math.round(x).toLocaleString('en-US');
export const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0)}%`;
export const secs = (s: number): string =>
  s >= 100 || Number.isInteger(s) ? `${s.toFixed(0)} s` : s >= 1 ? `${s.toFixed(1)} s` : `${(s * 1000).toFixed(0)} ms`;
export function bytesText(b: number): string {
  if (b >= 1e9) return `${(b / 1e9).toFixed(2)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(1)} MB`;
  if (b >= 1e3) return `${(b / 1e3).toFixed(1)} kB`;
  return `${Math.round(b)} B`;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Builds a detection within the schema's bounds (lists capped, frames ≥ 1, times ≥ 0, metrics finite). */
export function detection(d: {
  id: string;
  kind: Detection['kind'];
  severity: Detection['severity'];
  confidence: number;
  title: string;
  rule: string;
  hosts: string[];
  ports: number[];
  start: number;
  end: number;
  frames: ArrayLike<number>;
  filter: string;
  metrics: Record<string, number>;
  domains?: string[];
}): Detection {
  const hosts: string[] = [];
  for (const h of d.hosts) if (!hosts.includes(h) && hosts.length < MAX_HOSTS) hosts.push(h.slice(0, 64));
  const ports: number[] = [];
  for (const p of d.ports) if (Number.isInteger(p) && p >= 0 && !ports.includes(p) && ports.length < MAX_PORTS) ports.push(p);
  const frames: number[] = [];
  for (let i = 0; i < d.frames.length && frames.length < MAX_SAMPLE_FRAMES; i++) {
    const f = d.frames[i];
    if (Number.isInteger(f) && f >= 1 && !frames.includes(f)) frames.push(f);
  }
  frames.sort((a, b) => a - b);
  const metrics: Record<string, number> = {};
  let m = 0;
  for (const [k, v] of Object.entries(d.metrics)) {
    if (m >= MAX_METRICS) break;
    if (Number.isFinite(v)) {
      metrics[k.slice(0, 64)] = Math.round(v * 1e6) / 1e6;
      m++;
    }
  }
  const start = Math.max(0, d.start);
  const domains = d.domains?.slice(0, 5).map((x) => x.slice(0, 255));
  return {
    id: d.id.slice(0, 80),
    kind: d.kind,
    severity: d.severity,
    confidence: Math.round(clamp01(d.confidence) * 100) / 100,
    title: cut(d.title, 300),
    rule: cut(d.rule, 1000),
    hosts,
    ports,
    ...(domains ? { domains } : {}),
    start,
    end: Math.max(start, d.end),
    sampleFrames: frames,
    filter: d.filter.length <= 1000 ? d.filter : '',
    metrics,
  };
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Largest number of distinct `key`s among items whose time lies within any window of `window` seconds. */
export function peakDistinctInWindow<K>(times: ArrayLike<number>, keys: ArrayLike<K>, window: number): { peak: number; start: number; end: number } {
  const counts = new Map<K, number>();
  let lo = 0;
  let best = 0;
  let bestStart = 0;
  let bestEnd = 0;
  for (let hi = 0; hi < times.length; hi++) {
    const k = keys[hi];
    counts.set(k, (counts.get(k) ?? 0) + 1);
    while (times[hi] - times[lo] > window) {
      const kl = keys[lo];
      const c = counts.get(kl)! - 1;
      if (c === 0) counts.delete(kl);
      else counts.set(kl, c);
      lo++;
    }
    if (counts.size > best) {
      best = counts.size;
      bestStart = times[lo];
      bestEnd = times[hi];
    }
  }
  return { peak: best, start: bestStart, end: bestEnd };
}

/** Largest number of items within any window of `window` seconds (times sorted ascending). */
export function peakCountInWindow(times: ArrayLike<number>, window: number): { peak: number; start: number; end: number; lo: number; hi: number } {
  let lo = 0;
  let best = { peak: 0, start: 0, end: 0, lo: 0, hi: -1 };
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi] - times[lo] > window) lo++;
    if (hi - lo + 1 > best.peak) best = { peak: hi - lo + 1, start: times[lo], end: times[hi], lo, hi };
  }
  return best;
}

/** Mean and coefficient of variation of values (0 when fewer than two or a zero mean). */
export function meanCv(xs: ArrayLike<number>): { mean: number; cv: number } {
  const k = xs.length;
  if (k === 0) return { mean: 0, cv: 0 };
  let s = 0;
  for (let i = 0; i < k; i++) s += xs[i];
  const mean = s / k;
  if (k < 2 || mean === 0) return { mean, cv: 0 };
  let q = 0;
  for (let i = 0; i < k; i++) q += (xs[i] - mean) ** 2;
  return { mean, cv: Math.sqrt(q / (k - 1)) / mean };
}

export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Wireshark 4.x set membership: `field in {a, b, c}` (comma-separated since 4.0). */
export function inSet(field: string, values: readonly number[]): string {
  return values.length === 1 ? `${field} == ${values[0]}` : `${field} in {${values.join(', ')}}`;
}
