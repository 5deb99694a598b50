import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { capturePath, CORPUS_PRESENT, corpusAbsentMessage } from '../corpus/corpus.js';
import { summarizeBytes } from './chunks.js';

/** Small captures covering pcap both byte orders and precisions, multi-section mixed-endian pcapng, gzip. */
const FILES = [
  'tcpdump/tcp-handshake-nano.pcap',
  'tcpdump/pptp.pcap',
  'pcapplusplus/nanosecs_big_endian.pcap',
  'pcap-parser/modified-format.pcap',
  'pcapng-test-generator/output_le/difficult/test202.pcapng',
  'pcapng-test-generator/output_be/difficult/test202.pcapng',
  'pcapng-test-generator/output_le/advanced/test102.pcapng',
  'zeek/pcapng-multi-interface.pcapng',
  'zeek/ipv6-fragmented-dns.pcap',
  'tcpdump/dns_tcp.pcap',
  'zeek/portmapper-many-unanswered-calls.pcapng.gz',
  'gopacket/pcapgo/tests/le/test901.pcapng',
];

describe('chunk boundaries: any chunking gives the same summary', () => {
  if (!CORPUS_PRESENT) {
    it.skip(corpusAbsentMessage(), () => {});
    return;
  }
  for (const name of FILES) {
    it(name, async () => {
      const bytes = new Uint8Array(readFileSync(capturePath({ path: name })));
      const whole = await summarizeBytes(bytes, [bytes.length]);
      expect(whole.packets).toBeGreaterThan(0);
      const sizes: number[][] = [];
      for (let n = 1; n <= 17; n++) sizes.push([n]);
      sizes.push([3, 1, 4, 1, 5, 9, 2, 6], [255, 7], [4093], [16 * 1024 * 1024]);
      for (const s of sizes) {
        const got = await summarizeBytes(bytes, s);
        expect(got, `chunk sizes ${s.join(',')}`).toEqual(whole);
      }
    });
  }
});
