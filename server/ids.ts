import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Identifiers and secrets. Report and task ids are 128 random bits in base64url (22 characters):
 * knowing one is the capability to read it, so they must not be guessable. Every id from a request is
 * checked against ID_RE before it is used in a file name, which rules out path traversal.
 */
export const ID_RE = /^[A-Za-z0-9_-]{22}$/;
/** Delete tokens: 256 random bits in base64url (43 characters). */
export const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export function newId(): string {
  return randomBytes(16).toString('base64url');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function isId(s: string): boolean {
  return ID_RE.test(s);
}

/** What is stored instead of a delete token: its SHA-256, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time check of a presented token against a stored hash. */
export function tokenMatches(token: string, storedHash: string): boolean {
  if (!TOKEN_RE.test(token) || !/^[0-9a-f]{64}$/.test(storedHash)) return false;
  const a = createHash('sha256').update(token, 'utf8').digest();
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
