import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/log.js';
import { RateLimiter } from '../../server/rate-limit.js';

describe('configuration from the environment', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8000, maxUploadBytes: 500 * 1024 * 1024, reportTtlMs: 24 * 3600_000, maxQueueSize: 5, logLevel: 'INFO', trustProxy: false });
    expect(c.dataDir).toBe(`${process.cwd()}/data`);
  });

  it('reads the variables the Helm chart sets (quoted strings, upper-case level)', () => {
    const c = loadConfig({ PORT: '8000', DATA_DIR: '/data', MAX_UPLOAD_SIZE_MB: '1000', REPORT_TTL_HOURS: '48', MAX_QUEUE_SIZE: '5', LOG_LEVEL: 'DEBUG' });
    expect(c).toMatchObject({ port: 8000, dataDir: '/data', maxUploadBytes: 1000 * 1024 * 1024, reportTtlMs: 48 * 3600_000, logLevel: 'DEBUG' });
    expect(loadConfig({ LOG_LEVEL: 'warning' }).logLevel).toBe('WARNING');
    expect(loadConfig({ LOG_LEVEL: 'WARN' }).logLevel).toBe('WARNING');
  });

  it('refuses bad values with a message naming each variable', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: '80a', MAX_UPLOAD_SIZE_MB: '0', REPORT_TTL_HOURS: '-1', MAX_QUEUE_SIZE: '1.5', LOG_LEVEL: 'LOUD', TRUST_PROXY: 'maybe' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const name of ['PORT="80a"', 'MAX_UPLOAD_SIZE_MB=0', 'REPORT_TTL_HOURS="-1"', 'MAX_QUEUE_SIZE="1.5"', 'LOG_LEVEL="LOUD"', 'TRUST_PROXY="maybe"']) {
      expect(msg).toContain(name);
    }
    expect(msg).toMatch(/DEBUG, INFO, WARNING, ERROR/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT=70000 is out of range \(TCP port: 1–65535/);
  });
});

describe('logger', () => {
  it('writes JSON lines at or above its level', () => {
    const lines: string[] = [];
    const log = createLogger('WARNING', (l) => lines.push(l));
    log.info('skipped');
    log.warn('kept', { n: 1 });
    log.error('failed', { error: new Error('boom') });
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(a).toMatchObject({ level: 'WARNING', event: 'kept', n: 1, time: expect.any(String) });
    expect(b.error).toMatchObject({ name: 'Error', message: 'boom' });
  });
});

describe('token bucket', () => {
  it('allows the burst, then one per refill period, per key', () => {
    let t = 0;
    const rl = new RateLimiter({ burst: 3, refillSeconds: 10 }, () => t);
    expect([1, 2, 3].map(() => rl.take('a').ok)).toEqual([true, true, true]);
    expect(rl.take('a')).toEqual({ ok: false, retryAfterSeconds: 10 });
    expect(rl.take('b').ok).toBe(true);
    t += 5_000;
    expect(rl.take('a')).toEqual({ ok: false, retryAfterSeconds: 5 });
    t += 5_000;
    expect(rl.take('a').ok).toBe(true);
  });

  it('stays bounded in memory', () => {
    const rl = new RateLimiter({ burst: 1, refillSeconds: 1 }, () => 0, 100);
    for (let i = 0; i < 1000; i++) rl.take(`k${i}`);
    expect(rl.size).toBeLessThanOrEqual(100);
  });
});
