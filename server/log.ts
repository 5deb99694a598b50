import type { LogLevel } from './config.js';

/**
 * Structured logs: one JSON object per line on stdout, `time`, `level` and `event` first. Fields are
 * chosen by the caller; nothing here adds request bodies, query strings or capture data. A tiny
 * interface so a deployment could swap in another sink without touching call sites.
 */
export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  enabled(level: LogLevel): boolean;
}

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, event: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    let line: string;
    try {
      line = JSON.stringify({ time: new Date().toISOString(), level: lvl, event, ...fields }, replacer);
    } catch {
      line = JSON.stringify({ time: new Date().toISOString(), level: lvl, event, note: 'fields could not be serialised' });
    }
    write(`${line}\n`);
  };
  return {
    debug: (e, f) => emit('DEBUG', e, f),
    info: (e, f) => emit('INFO', e, f),
    warn: (e, f) => emit('WARNING', e, f),
    error: (e, f) => emit('ERROR', e, f),
    enabled: (l) => RANK[l] >= min,
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, enabled: () => false };

/** Collects entries in memory (tests). */
export function memoryLogger(level: LogLevel = 'DEBUG'): Logger & { entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const logger = createLogger(level, (line) => entries.push(JSON.parse(line) as Record<string, unknown>));
  return Object.assign(logger, { entries });
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
