/** Names of link types (LINKTYPE_* values from tcpdump.org), for display. */
const NAMES: Record<number, string> = {
  0: 'NULL (BSD loopback)',
  1: 'Ethernet',
  9: 'PPP',
  12: 'Raw IP (OpenBSD numbering)',
  14: 'Raw IP (alias)',
  50: 'PPP in HDLC-like framing',
  101: 'Raw IP',
  104: 'Cisco HDLC',
  105: 'IEEE 802.11',
  107: 'Frame Relay',
  108: 'OpenBSD loopback',
  113: 'Linux cooked (SLL)',
  127: 'IEEE 802.11 + radiotap',
  132: 'Juniper',
  228: 'Raw IPv4',
  229: 'Raw IPv6',
  239: 'Linux NFLOG',
  253: 'Linux netlink',
  274: 'IEEE 802.3br mPackets',
  276: 'Linux cooked v2 (SLL2)',
  284: 'DSA tag (Broadcom)',
};

export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `link type ${linkType}`;
}
