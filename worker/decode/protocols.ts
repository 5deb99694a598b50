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

function id(name: ProtocolName): number {
  return PROTOCOL_NAMES.indexOf(name);
}

export const P_ETH = id('eth');
export const P_VLAN = id('vlan');
export const P_8021AD = id('ieee8021ad');
export const P_MPLS = id('mpls');
export const P_ARP = id('arp');
export const P_LLC = id('llc');
export const P_IP = id('ip');
export const P_IPV6 = id('ipv6');
export const P_TCP = id('tcp');
export const P_UDP = id('udp');
export const P_ICMP = id('icmp');
export const P_ICMPV6 = id('icmpv6');
export const P_DNS = id('dns');
export const P_GRE = id('gre');
export const P_PPPOES = id('pppoes');
export const P_PPPOED = id('pppoed');
export const P_PPP = id('ppp');
export const P_SLL = id('sll');
export const P_NULL = id('null');
export const P_RAW = id('raw');
export const P_VXLAN = id('vxlan');
export const P_ERSPAN = id('erspan');
export const P_RADIOTAP = id('radiotap');
export const P_WLAN = id('wlan');
export const P_NFLOG = id('nflog');
export const P_NETLINK = id('netlink');
export const P_CHDLC = id('chdlc');
export const P_FR = id('fr');
export const P_IGMP = id('igmp');
export const P_SCTP = id('sctp');
export const P_ESP = id('esp');
export const P_AH = id('ah');
export const P_MDNS = id('mdns');
export const P_LLMNR = id('llmnr');
export const P_TEREDO = id('teredo');
export const P_IPV6_FRAG = id('ipv6.fraghdr');

/** Why decoding stopped before a transport header (or why a layer could not be decoded at all). */
export const STOP_NONE = 0;
export const STOP_LINK_TYPE = 1;
export const STOP_TRUNCATED = 2;
export const STOP_MALFORMED = 3;
export const STOP_ETHERTYPE = 4;
export const STOP_IP_PROTOCOL = 5;
export const STOP_FRAGMENT = 6;
export const STOP_NON_IP = 7;
export const STOP_TUNNEL_DEPTH = 8;

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
export function layer(name: LayerName): number {
  return LAYER_NAMES.indexOf(name);
}

export const L_FRAME = layer('frame');
export const L_ETH = layer('ethernet');
export const L_VLAN = layer('vlan');
export const L_MPLS = layer('mpls');
export const L_LLC = layer('llc');
export const L_SLL = layer('sll');
export const L_NULL = layer('null');
export const L_PPP = layer('ppp');
export const L_PPPOE = layer('pppoe');
export const L_CHDLC = layer('chdlc');
export const L_FR = layer('frame relay');
export const L_RADIOTAP = layer('radiotap');
export const L_WLAN = layer('802.11');
export const L_NFLOG = layer('nflog');
export const L_IPV4 = layer('ipv4');
export const L_IPV6 = layer('ipv6');
export const L_IPV6_EXT = layer('ipv6 extension header');
export const L_TCP = layer('tcp');
export const L_UDP = layer('udp');
export const L_ICMP = layer('icmp');
export const L_ICMPV6 = layer('icmpv6');
export const L_GRE = layer('gre');
export const L_VXLAN = layer('vxlan');
export const L_ERSPAN = layer('erspan');
export const L_DNS = layer('dns');

export function describeStop(code: number, detail: number): string {
  switch (code) {
    case STOP_LINK_TYPE:
      return `undecoded link type ${detail}`;
    case STOP_TRUNCATED:
      return `truncated ${LAYER_NAMES[detail] ?? 'header'} (cut short by the capture length)`;
    case STOP_MALFORMED:
      return `malformed ${LAYER_NAMES[detail] ?? 'header'}`;
    case STOP_ETHERTYPE:
      return `undecoded ethertype 0x${detail.toString(16).padStart(4, '0')}`;
    case STOP_IP_PROTOCOL:
      return `undecoded IP protocol ${detail}`;
    case STOP_FRAGMENT:
      return 'IP fragment (transport header in another fragment)';
    case STOP_NON_IP:
      // L_FRAME (netlink) would read "non-IP frame frame".
      return detail === L_FRAME ? 'non-IP frame' : `non-IP ${LAYER_NAMES[detail] ?? 'link'} frame`;
    case STOP_TUNNEL_DEPTH:
      return 'too many nested encapsulations';
    default:
      return 'decoded';
  }
}
