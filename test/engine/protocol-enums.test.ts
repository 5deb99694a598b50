/** The const enums the decoder uses stay in step with the name tables the report is built from. */
import { describe, expect, it } from 'vitest';
import { Layer, LAYER_NAMES, Proto, PROTOCOL_NAMES } from '../../worker/decode/protocols.js';

describe('protocol and layer numbering', () => {
  it('numbers every protocol by its position in PROTOCOL_NAMES', () => {
    const byName: Record<string, number> = {
      eth: Proto.ETH, vlan: Proto.VLAN, ieee8021ad: Proto.IEEE8021AD, mpls: Proto.MPLS, arp: Proto.ARP, llc: Proto.LLC,
      ip: Proto.IP, ipv6: Proto.IPV6, tcp: Proto.TCP, udp: Proto.UDP, icmp: Proto.ICMP, icmpv6: Proto.ICMPV6, dns: Proto.DNS,
      gre: Proto.GRE, pppoes: Proto.PPPOES, pppoed: Proto.PPPOED, ppp: Proto.PPP, sll: Proto.SLL, null: Proto.NULL,
      raw: Proto.RAW, vxlan: Proto.VXLAN, erspan: Proto.ERSPAN, radiotap: Proto.RADIOTAP, wlan: Proto.WLAN,
      nflog: Proto.NFLOG, netlink: Proto.NETLINK, chdlc: Proto.CHDLC, fr: Proto.FR, igmp: Proto.IGMP, sctp: Proto.SCTP,
      esp: Proto.ESP, ah: Proto.AH, mdns: Proto.MDNS, llmnr: Proto.LLMNR, teredo: Proto.TEREDO, 'ipv6.fraghdr': Proto.IPV6_FRAG,
    };
    expect(Object.keys(byName).sort()).toEqual([...PROTOCOL_NAMES].sort());
    for (const [name, n] of Object.entries(byName)) expect(PROTOCOL_NAMES[n]).toBe(name);
  });

  it('numbers every layer by its position in LAYER_NAMES', () => {
    const byName: Record<string, number> = {
      frame: Layer.FRAME, ethernet: Layer.ETH, vlan: Layer.VLAN, mpls: Layer.MPLS, llc: Layer.LLC, sll: Layer.SLL,
      null: Layer.NULL, ppp: Layer.PPP, pppoe: Layer.PPPOE, chdlc: Layer.CHDLC, 'frame relay': Layer.FR,
      radiotap: Layer.RADIOTAP, '802.11': Layer.WLAN, nflog: Layer.NFLOG, ipv4: Layer.IPV4, ipv6: Layer.IPV6,
      'ipv6 extension header': Layer.IPV6_EXT, tcp: Layer.TCP, udp: Layer.UDP, icmp: Layer.ICMP, icmpv6: Layer.ICMPV6,
      gre: Layer.GRE, vxlan: Layer.VXLAN, erspan: Layer.ERSPAN, dns: Layer.DNS,
    };
    expect(Object.keys(byName).sort()).toEqual([...LAYER_NAMES].sort());
    for (const [name, n] of Object.entries(byName)) expect(LAYER_NAMES[n]).toBe(name);
  });
});
