import type { Report } from './schema.js';

export interface RedactionOptions {
  /** Replace every IPv4/IPv6/MAC address with a consistent pseudonym (same address → same pseudonym). */
  addresses: boolean;
  /** Replace every DNS name with a consistent pseudonym. */
  dnsNames: boolean;
  /** Drop capture comments, interface names/descriptions and the file name. */
  comments: boolean;
}

const MAC = /\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/gi;

function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIpv6(s: string): boolean {
  if (!s.includes(':') || !/^[0-9a-f:.]+$/i.test(s)) return false;
  let body = s;
  let extra = 0;
  const tail = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (tail) {
    if (!isIpv4(tail[1])) return false;
    body = s.slice(0, -tail[1].length) + '0';
    extra = 1;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (groups.some((g) => g.some((x) => !/^[0-9a-f]{1,4}$/i.test(x)))) return false;
  const count = groups.reduce((n, g) => n + g.length, 0) + extra;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Returns a copy of the report with addresses, DNS names and/or free text removed, for sharing.
 * Pseudonyms are valid addresses from documentation/benchmark ranges (198.18.0.0/15, 2001:db8::/32,
 * 02:00:5e:… locally administered MACs) so display filters in findings stay well-formed, and the
 * same original always maps to the same pseudonym across the whole report.
 */
export function redactReport(report: Report, opts: RedactionOptions): Report {
  const copy = structuredClone(report);
  const names = new Map<string, string>();
  if (opts.dnsNames) collectDnsNames(copy, names);
  // Addresses are whole-string fields (endpoints, clients, servers…); find them all, then replace
  // them wherever they also occur inside text (titles, filters, labels).
  const addresses = new Map<string, string>();
  if (opts.addresses) {
    let v4 = 0;
    let v6 = 0;
    walk(copy, (s) => {
      if (addresses.has(s)) return s;
      if (isIpv4(s)) {
        const j = ++v4;
        addresses.set(s, `198.${18 + ((j >> 16) & 1)}.${(j >> 8) & 255}.${j & 255}`);
      } else if (isIpv6(s)) {
        addresses.set(s, `2001:db8::${(++v6).toString(16)}`);
      }
      return s;
    });
  }
  const patterns: Array<[RegExp, (m: string) => string]> = [];
  if (names.size > 0) {
    const list = [...names.keys()].sort((a, b) => b.length - a.length).map(escapeRe);
    patterns.push([new RegExp(`(?<![A-Za-z0-9_-])(?:${list.join('|')})(?![A-Za-z0-9_-])`, 'g'), (m) => names.get(m)!]);
  }
  if (addresses.size > 0) {
    const v4 = [...addresses.keys()].filter(isIpv4);
    const v6 = [...addresses.keys()].filter((a) => !isIpv4(a));
    const alt = (xs: string[]) => xs.sort((a, b) => b.length - a.length).map(escapeRe).join('|');
    // An IPv4 address may be followed by ":port"; an IPv6 one never by another group.
    if (v4.length) patterns.push([new RegExp(`(?<![0-9.])(?:${alt(v4)})(?![0-9]|\\.[0-9])`, 'g'), (m) => addresses.get(m) ?? m]);
    if (v6.length) patterns.push([new RegExp(`(?<![0-9A-Fa-f:])(?:${alt(v6)})(?![0-9A-Fa-f:])`, 'g'), (m) => addresses.get(m) ?? m]);
    const macs = new Map<string, string>();
    patterns.push([MAC, (m) => pseudo(macs, m.toLowerCase(), (i) => `02:00:5e:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`)]);
  }
  const rewrite = (s: string): string => patterns.reduce((out, [re, f]) => out.replace(re, f), s);
  const walked = walk(copy, rewrite) as Report;
  if (opts.comments) {
    walked.summary.comments = [];
    for (const i of walked.summary.interfaces) {
      delete i.name;
      delete i.description;
    }
    walked.source.fileName = null;
  }
  walked.redaction = { addresses: opts.addresses, dnsNames: opts.dnsNames, comments: opts.comments };
  return walked;
}

function pseudo(map: Map<string, string>, key: string, make: (i: number) => string): string {
  let v = map.get(key);
  if (v === undefined) {
    v = make(map.size);
    map.set(key, v);
  }
  return v;
}

function hex2(x: number): string {
  return (x & 255).toString(16).padStart(2, '0');
}

function walk(x: unknown, f: (s: string) => string): unknown {
  if (typeof x === 'string') return f(x);
  if (Array.isArray(x)) return x.map((e) => walk(e, f));
  if (x && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) o[k] = walk(v, f);
    return o;
  }
  return x;
}

/** DNS names appear in the dns section; registered domains of names are also replaced. */
function collectDnsNames(r: Report, names: Map<string, string>): void {
  const add = (name: string) => {
    if (!name || name === '.' || names.has(name)) return;
    names.set(name, `name-${names.size + 1}.example`);
  };
  const d = r.dns;
  for (const x of d.topNames.items) add(x.name);
  for (const x of d.slowest.items) add(x.name);
  for (const x of d.errors.items) add(x.name);
  for (const x of d.unansweredQueries.items) add(x.name);
  // Security detections (DNS tunnelling) name the registered domain they are about.
  for (const det of r.security?.detections.items ?? []) for (const name of det.domains ?? []) add(name);
  // Parent domains (e.g. the registered domain a tunnelling detection names) get pseudonyms too.
  for (const name of [...names.keys()]) {
    const labels = name.split('.');
    for (let i = 1; i < labels.length - 1; i++) add(labels.slice(i).join('.'));
  }
}
