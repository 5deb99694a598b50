/**
 * Upgrades reports written by older schema versions, one version at a time. Version 1 is the first
 * released schema, so the chain is empty; each future bump adds `[fromVersion]: (old) => newer`.
 */
type Step = (report: Record<string, unknown>) => Record<string, unknown>;

const STEPS: Record<number, Step> = {};

export function migrate(input: object, from: number): { ok: true; report: unknown } | { ok: false; error: string } {
  let report = input as Record<string, unknown>;
  for (let version = from; ; version++) {
    const step = STEPS[version];
    if (!step) {
      if (version === from) return { ok: false, error: `report schema version ${from} is not supported (no migration from it)` };
      return { ok: true, report };
    }
    report = step(report);
  }
}
