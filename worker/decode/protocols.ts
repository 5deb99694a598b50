/**
 * Protocols the decoders recognise, numbered for bit masks, named with Wireshark's short names so
 * counts can be checked against `tshark -z io,phs`.
 */
export const PROTOCOL_NAMES = [
  'eth',
  'vlan',
  'ieee8021ad',
  'mpls',
  'arp',
  'llc',
  'ip',
  'ipv6',
  'tcp',
  'udp',
  'icmp',
  'icmpv6',
  'dns',
  'gre',
  'pppoes',
  'pppoed',
  'ppp',
  'sll',
  'null',
  'raw',
  'vxlan',
  'erspan',
  'radiotap',
  'wlan',
  'nflog',
  'netlink',
  'chdlc',
  'fr',
  'igmp',
  'sctp',
  'esp',
  'ah',
  'mdns',
  'llmnr',
  'teredo',
  'ipv6.fraghdr',
] as const;

export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/**
 * Protocol numbers (bit positions in PacketView's masks), in PROTOCOL_NAMES order (a test checks it).
 *
 * Numeric constants of the per-packet code are const enums throughout the engine: bundlers replace a
 * const enum member with its value, whereas a top-level `const` becomes a `var` in a bundle (esbuild),
 * which optimized code loads from the module context and checks at every use.
 */
export const enum Proto {
  ETH = 0,
  VLAN = 1,
  IEEE8021AD = 2,
  MPLS = 3,
  ARP = 4,
  LLC = 5,
  IP = 6,
  IPV6 = 7,
  TCP = 8,
  UDP = 9,
  ICMP = 10,
  ICMPV6 = 11,
  DNS = 12,
  GRE = 13,
  PPPOES = 14,
  PPPOED = 15,
  PPP = 16,
  SLL = 17,
  NULL = 18,
  RAW = 19,
  VXLAN = 20,
  ERSPAN = 21,
  RADIOTAP = 22,
  WLAN = 23,
  NFLOG = 24,
  NETLINK = 25,
  CHDLC = 26,
  FR = 27,
  IGMP = 28,
  SCTP = 29,
  ESP = 30,
  AH = 31,
  MDNS = 32,
  LLMNR = 33,
  TEREDO = 34,
  IPV6_FRAG = 35,
}

/** Why decoding stopped before a transport header (or why a layer could not be decoded at all). */
export const enum Stop {
  NONE = 0,
  LINK_TYPE = 1,
  TRUNCATED = 2,
  MALFORMED = 3,
  ETHERTYPE = 4,
  IP_PROTOCOL = 5,
  FRAGMENT = 6,
  NON_IP = 7,
  TUNNEL_DEPTH = 8,
}

/** Layer names used in stop details (truncated/malformed at which layer). */
export const LAYER_NAMES = [
  'frame',
  'ethernet',
  'vlan',
  'mpls',
  'llc',
  'sll',
  'null',
  'ppp',
  'pppoe',
  'chdlc',
  'frame relay',
  'radiotap',
  '802.11',
  'nflog',
  'ipv4',
  'ipv6',
  'ipv6 extension header',
  'tcp',
  'udp',
  'icmp',
  'icmpv6',
  'gre',
  'vxlan',
  'erspan',
  'dns',
] as const;

export type LayerName = (typeof LAYER_NAMES)[number];
/** Layers named in stop details, in LAYER_NAMES order (a test checks it). */
export const enum Layer {
  FRAME = 0,
  ETH = 1,
  VLAN = 2,
  MPLS = 3,
  LLC = 4,
  SLL = 5,
  NULL = 6,
  PPP = 7,
  PPPOE = 8,
  CHDLC = 9,
  FR = 10,
  RADIOTAP = 11,
  WLAN = 12,
  NFLOG = 13,
  IPV4 = 14,
  IPV6 = 15,
  IPV6_EXT = 16,
  TCP = 17,
  UDP = 18,
  ICMP = 19,
  ICMPV6 = 20,
  GRE = 21,
  VXLAN = 22,
  ERSPAN = 23,
  DNS = 24,
}

export function describeStop(code: number, detail: number): string {
  switch (code) {
    case Stop.LINK_TYPE:
      return `undecoded link type ${detail}`;
    case Stop.TRUNCATED:
      return `truncated ${LAYER_NAMES[detail] ?? 'header'} (cut short by the capture length)`;
    case Stop.MALFORMED:
      return `malformed ${LAYER_NAMES[detail] ?? 'header'}`;
    case Stop.ETHERTYPE:
      return `undecoded ethertype 0x${detail.toString(16).padStart(4, '0')}`;
    case Stop.IP_PROTOCOL:
      return `undecoded IP protocol ${detail}`;
    case Stop.FRAGMENT:
      return 'IP fragment (transport header in another fragment)';
    case Stop.NON_IP:
      // L_FRAME (netlink) would read "non-IP frame frame".
      return detail === Layer.FRAME ? 'non-IP frame' : `non-IP ${LAYER_NAMES[detail] ?? 'link'} frame`;
    case Stop.TUNNEL_DEPTH:
      return 'too many nested encapsulations';
    default:
      return 'decoded';
  }
}
