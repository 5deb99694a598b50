/**
 * Number formatting for the report: fixed, predictable output (en-US digits, SI prefixes as
 * Wireshark's statistics use them) so columns line up with tabular figures.
 */
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return int.format(n);
}

/** 1 234 567 → "1.23 M" (for chart axes and tight cells). */
export function compact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${trim(n / 1e9)} G`;
  if (a >= 1e6) return `${trim(n / 1e6)} M`;
  if (a >= 1e3) return `${trim(n / 1e3)} k`;
  return trim(n);
}

function trim(x: number): string {
  const a = Math.abs(x);
  const s = a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Bytes with SI units: 1 500 → "1.50 kB". */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (a < 1000) return `${n} B`;
  if (a < 1e6) return `${(n / 1e3).toFixed(2)} kB`;
  if (a < 1e9) return `${(n / 1e6).toFixed(2)} MB`;
  if (a < 1e12) return `${(n / 1e9).toFixed(2)} GB`;
  return `${(n / 1e12).toFixed(2)} TB`;
}

export function bits(bps: number | null | undefined): string {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return '—';
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(2)} Gbit/s`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(2)} kbit/s`;
  return `${bps.toFixed(0)} bit/s`;
}

/** A duration in seconds, with the unit that keeps 3 significant digits: 0.000412 → "412 µs". */
export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  const a = Math.abs(s);
  if (a === 0) return '0 s';
  if (a < 1e-3) return `${(s * 1e6).toFixed(a < 1e-5 ? 2 : 0)} µs`;
  if (a < 1) return `${(s * 1e3).toFixed(a < 0.01 ? 2 : a < 0.1 ? 1 : 0)} ms`;
  if (a < 60) return `${s.toFixed(a < 10 ? 3 : 2)} s`;
  if (a < 3600) return `${Math.floor(s / 60)} min ${(s % 60).toFixed(0).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60).toString().padStart(2, '0')} min`;
}

/** Milliseconds with fixed precision, for latency columns (aligned decimals). */
export function ms(s: number | null | undefined, digits = 1): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  return `${(s * 1000).toFixed(digits)}`;
}

/** Relative capture time (seconds since the first packet), Wireshark's frame.time_relative style. */
export function relTime(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  return s.toFixed(6);
}

export function percent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${(x * 100).toFixed(digits)}%`;
}

/** Time left for a progress bar: "about 2 min", "12 s". */
export function eta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return '< 1 s';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}

export function date(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "192.0.2.1:443", with IPv6 in brackets. */
export function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
