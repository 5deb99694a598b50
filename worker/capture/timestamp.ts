/**
 * Exact timestamp arithmetic. pcapng stores 64-bit tick counts (often nanoseconds since 1970, which do
 * not fit a float64 exactly), so ticks are split into whole seconds and nanoseconds with integer-only
 * long division; a packet time is then the pair (sec, nsec), never a lossy float epoch.
 */

const TWO32 = 4294967296;
const TWO16 = 65536;

export interface TimeResolution {
  /** Ticks per second as a number when exactly representable (≤ 2^53), else 0. */
  readonly unitsPerSecond: number;
  /** Exact ticks per second, for the rare resolutions finer than 2^36. */
  readonly unitsBig: bigint;
  /** Decimal digits needed to print one tick exactly, capped at 9 (nanoseconds). */
  readonly digits: number;
  /** Human description, e.g. `10^-6`, `2^-20`. */
  readonly label: string;
}

export function decimalResolution(exp: number): TimeResolution {
  const big = 10n ** BigInt(exp);
  return { unitsPerSecond: exp <= 15 ? 10 ** exp : 0, unitsBig: big, digits: Math.min(exp, 9), label: `10^-${exp}` };
}

export function binaryResolution(exp: number): TimeResolution {
  const big = 1n << BigInt(exp);
  // 2^-k has exactly k decimal digits.
  return { unitsPerSecond: exp <= 53 ? 2 ** exp : 0, unitsBig: big, digits: Math.min(exp, 9), label: `2^-${exp}` };
}

export const MICROSECONDS = decimalResolution(6);
export const NANOSECONDS = decimalResolution(9);

/** Output slot reused per packet to avoid allocating. */
export interface TimeOut {
  sec: number;
  nsec: number;
}

/**
 * Converts a 64-bit tick count (hi, lo as uint32) at the given resolution into whole seconds and
 * nanoseconds (truncated below 1 ns). `offsetSec` is the pcapng if_tsoffset, added to seconds.
 */
export function ticksToTime(hi: number, lo: number, res: TimeResolution, offsetSec: number, out: TimeOut): void {
  const d = res.unitsPerSecond;
  if (d !== 0 && d <= 1e9) {
    let sec: number;
    let frac: number;
    if (hi < 0x200000) {
      // Below 2^53 the tick count is an exact double.
      const t = hi * TWO32 + lo;
      sec = Math.floor(t / d);
      frac = t - sec * d;
    } else {
      // Long division of (hi·2^32 + lo) by d in base 2^16: every intermediate stays below 2^53.
      const q1 = Math.floor(hi / d);
      const r1 = hi - q1 * d;
      const t2 = r1 * TWO16 + (lo >>> 16);
      const q2 = Math.floor(t2 / d);
      const r2 = t2 - q2 * d;
      const t3 = r2 * TWO16 + (lo & 0xffff);
      const q3 = Math.floor(t3 / d);
      frac = t3 - q3 * d;
      sec = q1 * TWO32 + q2 * TWO16 + q3;
    }
    out.sec = sec + offsetSec;
    out.nsec = d === 1e9 ? frac : d === 1e6 ? frac * 1000 : Math.floor((frac * 1e9) / d);
    return;
  }
  const t = (BigInt(hi) << 32n) | BigInt(lo);
  const units = res.unitsBig;
  const sec = t / units;
  const frac = t % units;
  out.sec = Number(sec) + offsetSec;
  out.nsec = Number((frac * 1_000_000_000n) / units);
}

/** Formats (sec, nsec) as ISO 8601 UTC with `digits` fractional digits (0..9), e.g. `…T01:45:09.502764Z`. */
export function isoTime(sec: number, nsec: number, digits: number): string {
  const d = new Date(sec * 1000);
  const base = Number.isFinite(d.getTime()) ? d.toISOString().slice(0, 19) : `@${sec}`;
  if (digits <= 0) return `${base}Z`;
  const frac = String(nsec).padStart(9, '0').slice(0, Math.min(digits, 9));
  return `${base}.${frac}Z`;
}

/** Difference b − a in seconds, exact to the nanosecond for spans under ~100 days. */
export function secondsBetween(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return bSec - aSec + (bNsec - aNsec) / 1e9;
}

/** Compares two (sec, nsec) pairs. */
export function compareTime(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return aSec !== bSec ? aSec - bSec : aNsec - bNsec;
}
