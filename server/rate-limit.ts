import type { BucketSpec } from './config.js';

/**
 * Per-client token buckets in memory: each key may spend `burst` requests at once, and gets one
 * back every `refillSeconds`. The map is bounded: when it is full, the least recently used keys go
 * (a forgotten key starts again with a full bucket, which only ever errs on the generous side).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly spec: BucketSpec,
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token for `key`; when none is left, says how many seconds until the next one. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    const refillMs = this.spec.refillSeconds * 1000;
    const b = this.buckets.get(key);
    let tokens = this.spec.burst;
    if (b) {
      tokens = Math.min(this.spec.burst, b.tokens + Math.max(0, now - b.at) / refillMs);
      this.buckets.delete(key);
    }
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((1 - tokens) * refillMs) / 1000)) };
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return { ok: true };
  }

  get size(): number {
    return this.buckets.size;
  }
}
