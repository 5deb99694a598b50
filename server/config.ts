import { resolve } from 'node:path';

/**
 * Server configuration. The documented variables (PORT, DATA_DIR, MAX_UPLOAD_SIZE_MB,
 * REPORT_TTL_HOURS, MAX_QUEUE_SIZE, LOG_LEVEL) are the ones the Helm chart sets from its `env.*`
 * values; the few optional extras are listed in server/API.md. Everything is validated once at
 * start-up: a bad value stops the server with a message naming the variable, the value and what
 * would have been accepted.
 */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Token bucket: `burst` requests at once, then one more every `refillSeconds`. */
export interface BucketSpec {
  burst: number;
  refillSeconds: number;
}

export interface ServerConfig {
  port: number;
  /** Interface to listen on (HOST, default every interface: the pod's port must be reachable). */
  host: string;
  /** Reports, upload spool and job records live here (absolute path). */
  dataDir: string;
  /** The built browser app (APP_DIR, default `dist/app` under the working directory). */
  appDir: string;
  maxUploadBytes: number;
  reportTtlMs: number;
  /** Uploads being received or waiting for analysis; running analyses are not counted. */
  maxQueueSize: number;
  logLevel: LogLevel;
  /** Analyses run at the same time (each in its own worker thread). */
  concurrency: number;
  /** An analysis still running after this long is stopped and the job fails. */
  analysisTimeoutMs: number;
  /** V8 old-generation cap of an analysis thread: a runaway analysis fails alone. */
  analysisMemoryMb: number;
  /** Take the client address from the last X-Forwarded-For hop (behind an ingress). */
  trustProxy: boolean;
  rateLimits: { upload: BucketSpec; share: BucketSpec };
  /** How often expired reports, stale job records and orphaned spool files are removed. */
  sweepIntervalMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULTS = {
  PORT: 8000,
  DATA_DIR: './data',
  MAX_UPLOAD_SIZE_MB: 500,
  REPORT_TTL_HOURS: 24,
  MAX_QUEUE_SIZE: 5,
  LOG_LEVEL: 'INFO' as LogLevel,
  ANALYSIS_TIMEOUT_MINUTES: 30,
  ANALYSIS_MEMORY_MB: 2048,
};

const MB = 1024 * 1024;

/** Reads and validates the configuration from an environment (process.env by default). */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number, what: string): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) {
      problems.push(`${name}=${JSON.stringify(raw)} is not a whole number (${what}, ${min}–${max}, default ${fallback})`);
      return fallback;
    }
    const n = Number(raw);
    if (n < min || n > max) {
      problems.push(`${name}=${raw} is out of range (${what}: ${min}–${max}, default ${fallback})`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string): boolean => {
    const raw = get(name);
    if (raw === undefined) return false;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    problems.push(`${name}=${JSON.stringify(raw)} is not a boolean (use true or false)`);
    return false;
  };

  const port = integer('PORT', DEFAULTS.PORT, 1, 65535, 'TCP port');
  const maxUploadMb = integer('MAX_UPLOAD_SIZE_MB', DEFAULTS.MAX_UPLOAD_SIZE_MB, 1, 1024 * 1024, 'largest accepted capture upload in MB');
  const ttlHours = integer('REPORT_TTL_HOURS', DEFAULTS.REPORT_TTL_HOURS, 1, 24 * 365, 'hours reports are kept');
  const queue = integer('MAX_QUEUE_SIZE', DEFAULTS.MAX_QUEUE_SIZE, 1, 1000, 'uploads waiting for analysis');
  const timeoutMin = integer('ANALYSIS_TIMEOUT_MINUTES', DEFAULTS.ANALYSIS_TIMEOUT_MINUTES, 1, 24 * 60, 'minutes one analysis may run');
  const memoryMb = integer('ANALYSIS_MEMORY_MB', DEFAULTS.ANALYSIS_MEMORY_MB, 64, 1024 * 1024, 'heap limit of an analysis thread in MB');

  let logLevel: LogLevel = DEFAULTS.LOG_LEVEL;
  const rawLevel = get('LOG_LEVEL');
  if (rawLevel !== undefined) {
    const upper = rawLevel.toUpperCase() === 'WARN' ? 'WARNING' : rawLevel.toUpperCase();
    if ((LOG_LEVELS as readonly string[]).includes(upper)) logLevel = upper as LogLevel;
    else problems.push(`LOG_LEVEL=${JSON.stringify(rawLevel)} is not one of ${LOG_LEVELS.join(', ')}`);
  }

  const dataDirRaw = get('DATA_DIR') ?? DEFAULTS.DATA_DIR;
  if (dataDirRaw.includes('\0')) problems.push('DATA_DIR contains a NUL character');
  const appDirRaw = get('APP_DIR') ?? 'dist/app';
  const host = get('HOST') ?? '0.0.0.0';
  const trustProxy = bool('TRUST_PROXY');

  if (problems.length) throw new ConfigError(problems);
  return {
    port,
    host,
    dataDir: resolve(dataDirRaw),
    appDir: resolve(appDirRaw),
    maxUploadBytes: maxUploadMb * MB,
    reportTtlMs: ttlHours * 3600_000,
    maxQueueSize: queue,
    logLevel,
    concurrency: 1,
    analysisTimeoutMs: timeoutMin * 60_000,
    analysisMemoryMb: memoryMb,
    trustProxy,
    rateLimits: {
      // Ten uploads at once, then one every 30 s (120 an hour) per client address.
      upload: { burst: 10, refillSeconds: 30 },
      // Thirty shares at once, then one every 5 s.
      share: { burst: 30, refillSeconds: 5 },
    },
    sweepIntervalMs: 10 * 60_000,
  };
}

/** The defaults with overrides, ignoring the environment (tests, embedding). */
export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { ...loadConfig({}), ...overrides };
}
