import type { CaptureSummary } from './sections/summary.js';
import { MAX_BLOCK_TYPES, MAX_REPORT_INTERFACES, MAX_UNDECODED_REASONS } from './sections/summary.js';

/**
 * The capture summary as a report carries it. The summary lists whatever the file declares, as
 * capinfos does, but a crafted file can declare thousands of interfaces, block types or unknown
 * ethertypes, and a report must stay within the validator's bounds or it could be neither cached,
 * shared nor uploaded. Lists keep their first entries and say how many were left out; maps keep their
 * largest entries and fold the rest into one "other …" entry.
 */
export function boundSummary(summary: CaptureSummary): CaptureSummary {
  const bounded = { ...summary };
  if (summary.interfaces.length > MAX_REPORT_INTERFACES) {
    bounded.interfaces = summary.interfaces.slice(0, MAX_REPORT_INTERFACES);
    bounded.interfacesOmitted = summary.interfaces.length - MAX_REPORT_INTERFACES;
  }
  bounded.blockCounts = foldSmallest(summary.blockCounts, MAX_BLOCK_TYPES, 'other block types');
  bounded.undecoded = foldSmallest(summary.undecoded, MAX_UNDECODED_REASONS, 'other reasons');
  return bounded;
}

function foldSmallest(counts: Record<string, number>, maxEntries: number, otherKey: string): Record<string, number> {
  const entries = Object.entries(counts);
  if (entries.length <= maxEntries) return counts;
  entries.sort((a, b) => b[1] - a[1]);
  const kept: Record<string, number> = Object.fromEntries(entries.slice(0, maxEntries - 1));
  let other = 0;
  for (const [, n] of entries.slice(maxEntries - 1)) other += n;
  kept[otherKey] = (kept[otherKey] ?? 0) + other;
  return kept;
}
