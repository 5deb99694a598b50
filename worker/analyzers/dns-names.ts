/**
 * Text names for DNS codes in the report: RR types (IANA "Resource Record (RR) TYPEs", RFC 3597 form
 * `TYPE<n>` for the rest) and response codes including EDNS extended codes (RFC 6891 §6.1.3; the
 * 4-bit header code plus the OPT record's upper 8 bits). Every result fits the schema's text(16).
 */
import { DNS_RCODE_NAMES, DNS_TYPE_NAMES } from '../decode/dns.js';

const MORE_TYPES: Record<number, string> = {
  3: 'MD',
  4: 'MF',
  7: 'MB',
  8: 'MG',
  9: 'MR',
  11: 'WKS',
  13: 'HINFO',
  14: 'MINFO',
  17: 'RP',
  18: 'AFSDB',
  24: 'SIG',
  25: 'KEY',
  29: 'LOC',
  30: 'NXT',
  36: 'KX',
  37: 'CERT',
  38: 'A6',
  39: 'DNAME',
  42: 'APL',
  44: 'SSHFP',
  45: 'IPSECKEY',
  49: 'DHCID',
  50: 'NSEC3',
  51: 'NSEC3PARAM',
  52: 'TLSA',
  53: 'SMIMEA',
  55: 'HIP',
  59: 'CDS',
  60: 'CDNSKEY',
  61: 'OPENPGPKEY',
  62: 'CSYNC',
  63: 'ZONEMD',
  108: 'EUI48',
  109: 'EUI64',
  249: 'TKEY',
  250: 'TSIG',
  253: 'MAILB',
  254: 'MAILA',
  256: 'URI',
  257: 'CAA',
  32769: 'DLV',
};

const EXTENDED_RCODES: Record<number, string> = {
  16: 'BADVERS',
  17: 'BADKEY',
  18: 'BADTIME',
  19: 'BADMODE',
  20: 'BADNAME',
  21: 'BADALG',
  22: 'BADTRUNC',
  23: 'BADCOOKIE',
};

export function dnsTypeName(t: number): string {
  return DNS_TYPE_NAMES[t] ?? MORE_TYPES[t] ?? `TYPE${t}`;
}

export function dnsRcodeName(r: number): string {
  return DNS_RCODE_NAMES[r] ?? EXTENDED_RCODES[r] ?? `RCODE ${r}`;
}

export const QTYPE_AXFR = 252;
export const QTYPE_IXFR = 251;
