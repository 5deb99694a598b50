/**
 * A tunnel's UDP header is a conversation of its own (Wireshark taps every UDP header); when the tunnel
 * carries no IP packet (ARP inside VXLAN), that header is the frame's innermost and must be counted
 * once — tshark -z conv,udp shows such a frame once (checked on zeek/tunnels/vxlan.pcap).
 */
import { describe, expect, it } from 'vitest';
import { analyzeCapture, CaptureRun } from '../../worker/index.js';
import { FlowTable } from '../../worker/analyzers/flow-table.js';
import { arp, ETHERTYPE, etherIpv4Udp, ethernet, icmp, ipv4, IPPROTO } from '../helpers/packet-builder.js';
import { pcapOf } from './fixtures.js';

function vxlan(inner: Uint8Array, srcPort: number): Uint8Array {
  const header = new Uint8Array([0x08, 0, 0, 0, 0, 0, 0x7b, 0]); // flags: VNI present; VNI 123
  const payload = new Uint8Array(header.length + inner.length);
  payload.set(header);
  payload.set(inner, header.length);
  return etherIpv4Udp({ src: '192.168.56.11', dst: '192.168.56.12', srcPort, dstPort: 4789, payload });
}

describe('UDP conversations of tunnel headers', () => {
  it('counts a VXLAN frame once whether it carries ARP or an IP packet', async () => {
    const arpInside = ethernet({ etherType: ETHERTYPE.ARP, dst: 'ff:ff:ff:ff:ff:ff', payload: arp({ senderIp: '10.0.0.1', targetIp: '10.0.0.2' }) });
    const pingInside = ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: IPPROTO.ICMP, payload: icmp({ type: 8, code: 0, rest: 0x0d3d0001 }) }) });
    const report = await analyzeCapture([pcapOf([vxlan(arpInside, 39924), vxlan(arpInside, 39924), vxlan(pingInside, 48134)])]);
    const rows = report.conversations.udp.items.map((c) => [c.a.port, c.packetsAB + c.packetsBA]);
    expect(rows.sort()).toEqual([
      [39924, 2],
      [48134, 1],
    ]);
    expect(report.summary.protocols.arp).toBe(2);
  });

  it('announces a flow to the analyzers on the first packet they see, not when a tunnel header made it', async () => {
    // A tunnel's outer UDP header and a cut TCP header make flow rows the analyzers never see; the
    // first frame of such a flow that reaches them must be flowNew (per-flow state starts there).
    const arpInside = ethernet({ etherType: ETHERTYPE.ARP, dst: 'ff:ff:ff:ff:ff:ff', payload: arp({ senderIp: '10.0.0.1', targetIp: '10.0.0.2' }) });
    const pingInside = ethernet({ etherType: ETHERTYPE.IPV4, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: IPPROTO.ICMP, payload: icmp({ type: 8, code: 0 }) }) });
    const flows = new FlowTable();
    const seen: Array<[number, number, boolean]> = [];
    const run = new CaptureRun([
      {
        onPacket: (v) => {
          flows.classify(v);
          seen.push([v.frame, v.flowIndex, v.flowNew]);
        },
      },
    ]);
    await run.run([pcapOf([vxlan(pingInside, 48134), vxlan(pingInside, 48134), vxlan(arpInside, 48134), vxlan(arpInside, 48134)])]);
    expect(seen).toEqual([
      [1, -1, false],
      [2, -1, false],
      [3, 0, true],
      [4, 0, false],
    ]);
  });
});
