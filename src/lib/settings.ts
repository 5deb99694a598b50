import { resolveThresholds, THRESHOLDS, type ThresholdName } from '../../worker/index.js';

/** User settings kept in localStorage (nothing packet-derived is stored here). */
export type ThemeChoice = 'system' | 'light' | 'dark';

/** Diagnosis thresholds the user changed from their defaults (the engine fills in the rest). */
export type ThresholdOverrides = Partial<Record<ThresholdName, number>>;

export interface Settings {
  /** Files larger than this (MB, 1 MB = 1 048 576 bytes) are offered server analysis first. */
  browserLimitMB: number;
  theme: ThemeChoice;
  thresholds: ThresholdOverrides;
}

export const DEFAULT_SETTINGS: Settings = { browserLimitMB: 1024, theme: 'system', thresholds: {} };
const KEY = 'pcap-analyzer.settings';

export function loadSettings(storage: Pick<Storage, 'getItem'> | null = globalThis.localStorage ?? null): Settings {
  try {
    const raw = storage?.getItem(KEY);
    if (!raw) return { ...DEFAULT_SETTINGS };
    const v = JSON.parse(raw) as Partial<Settings>;
    const limit = Number(v.browserLimitMB);
    return {
      browserLimitMB: Number.isFinite(limit) && limit >= 1 && limit <= 1024 * 1024 ? Math.round(limit) : DEFAULT_SETTINGS.browserLimitMB,
      theme: v.theme === 'light' || v.theme === 'dark' || v.theme === 'system' ? v.theme : 'system',
      thresholds: validOverrides(v.thresholds),
    };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

/** Known threshold names with non-negative finite values; anything else stored is dropped. */
export function validOverrides(raw: unknown): ThresholdOverrides {
  const out: ThresholdOverrides = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [name, value] of Object.entries(raw)) {
    if (Object.hasOwn(THRESHOLDS, name) && typeof value === 'number' && Number.isFinite(value) && value >= 0) out[name as ThresholdName] = value;
  }
  return out;
}

/** Whether a report was made with other thresholds than the ones these settings give. */
export function thresholdsDiffer(used: Readonly<Record<string, number>>, overrides: ThresholdOverrides): boolean {
  const wanted = resolveThresholds(overrides);
  return (Object.keys(THRESHOLDS) as ThresholdName[]).some((name) => used[name] !== wanted[name]);
}

export function saveSettings(s: Settings, storage: Pick<Storage, 'setItem'> | null = globalThis.localStorage ?? null): void {
  try {
    storage?.setItem(KEY, JSON.stringify(s));
  } catch {
    // private mode or quota: settings last for this page only
  }
}

let stopFollowingSystem: (() => void) | null = null;

/**
 * Sets <html data-theme> to the effective theme. For "system" it follows prefers-color-scheme as it
 * changes, so the stylesheet declares each palette once, keyed on data-theme only.
 */
export function applyTheme(choice: ThemeChoice, root: HTMLElement = document.documentElement): void {
  stopFollowingSystem?.();
  stopFollowingSystem = null;
  root.setAttribute('data-theme', effectiveTheme(choice));
  if (choice !== 'system' || typeof matchMedia !== 'function') return;
  const query = matchMedia('(prefers-color-scheme: dark)');
  const follow = (): void => root.setAttribute('data-theme', query.matches ? 'dark' : 'light');
  query.addEventListener('change', follow);
  stopFollowingSystem = () => query.removeEventListener('change', follow);
}

export function effectiveTheme(choice: ThemeChoice): 'light' | 'dark' {
  if (choice !== 'system') return choice;
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}
