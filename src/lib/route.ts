/**
 * Routes: `/` home; `/#report=<fingerprint>` a cached local report (a hash, so it also works on a
 * static host without SPA fallback); `/r/<id>` a shared report (served by the server's SPA fallback).
 */
export type Route = { name: 'home' } | { name: 'local'; fingerprint: string } | { name: 'shared'; id: string };

const FINGERPRINT = /^[A-Za-z0-9-]{8,120}$/;

export function parseRoute(pathname: string, hash: string): Route {
  const shared = /^\/r\/([^/]+)\/?$/.exec(pathname);
  if (shared) return { name: 'shared', id: decodeURIComponent(shared[1]) };
  const m = /^#report=([^&]+)$/.exec(hash);
  if (m && FINGERPRINT.test(m[1])) return { name: 'local', fingerprint: m[1] };
  return { name: 'home' };
}

export function localReportHash(fingerprint: string): string {
  return `#report=${fingerprint}`;
}
