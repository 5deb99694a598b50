/** Well-known service names by port (IANA names, lower case), for conversation tables. */
const TCP: Record<number, string> = {
  20: 'ftp-data', 21: 'ftp', 22: 'ssh', 23: 'telnet', 25: 'smtp', 53: 'dns', 80: 'http', 88: 'kerberos', 110: 'pop3',
  111: 'sunrpc', 135: 'msrpc', 139: 'netbios-ssn', 143: 'imap', 179: 'bgp', 389: 'ldap', 443: 'https', 445: 'smb',
  465: 'smtps', 514: 'rsh', 587: 'submission', 636: 'ldaps', 853: 'dns-over-tls', 873: 'rsync', 993: 'imaps', 995: 'pop3s',
  1433: 'mssql', 1521: 'oracle', 1723: 'pptp', 1883: 'mqtt', 2049: 'nfs', 2379: 'etcd', 3000: 'http-alt', 3268: 'ldap-gc',
  3306: 'mysql', 3389: 'rdp', 5060: 'sip', 5061: 'sips', 5432: 'postgresql', 5671: 'amqps', 5672: 'amqp', 5900: 'vnc',
  5985: 'winrm', 5986: 'winrm-https', 6379: 'redis', 6443: 'kubernetes', 8000: 'http-alt', 8080: 'http-proxy',
  8443: 'https-alt', 9000: 'http-alt', 9092: 'kafka', 9200: 'elasticsearch', 11211: 'memcached', 27017: 'mongodb',
};
const UDP: Record<number, string> = {
  53: 'dns', 67: 'dhcp', 68: 'dhcp', 69: 'tftp', 123: 'ntp', 137: 'netbios-ns', 138: 'netbios-dgm', 161: 'snmp',
  162: 'snmp-trap', 443: 'quic', 500: 'isakmp', 514: 'syslog', 520: 'rip', 546: 'dhcpv6', 547: 'dhcpv6', 1812: 'radius',
  1813: 'radius-acct', 1900: 'ssdp', 3478: 'stun', 3544: 'teredo', 4500: 'ipsec-nat-t', 4789: 'vxlan', 5004: 'rtp',
  5060: 'sip', 5353: 'mdns', 5355: 'llmnr', 6081: 'geneve', 51820: 'wireguard',
};

/** The service of a flow: the well-known port among the two (the lower one when both are). */
export function serviceName(tcp: boolean, portA: number, portB: number): string | null {
  const table = tcp ? TCP : UDP;
  const a = table[portA];
  const b = table[portB];
  if (a && b) return portA <= portB ? a : b;
  return a ?? b ?? null;
}
