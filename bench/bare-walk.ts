/**
 * The reference every engine figure is compared with: the cheapest possible pass over a pcap file,
 * reading only each record header to find the next one (no decoding at all), over the same 1 MiB
 * chunks the engine gets.
 */
export async function bareWalk(source: AsyncIterable<Uint8Array>): Promise<{ packets: number; bytes: number }> {
  let packets = 0;
  let bytes = 0;
  let skip = 24; // file header
  let head = new Uint8Array(16);
  let headLen = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    let p = 0;
    const n = chunk.length;
    const dv = new DataView(chunk.buffer, chunk.byteOffset, n);
    while (p < n) {
      if (skip > 0) {
        const k = Math.min(skip, n - p);
        skip -= k;
        p += k;
        continue;
      }
      if (headLen > 0 || n - p < 16) {
        const k = Math.min(16 - headLen, n - p);
        head.set(chunk.subarray(p, p + k), headLen);
        headLen += k;
        p += k;
        if (headLen < 16) break;
        headLen = 0;
        skip = new DataView(head.buffer).getUint32(8, true);
        packets++;
        continue;
      }
      skip = dv.getUint32(p + 8, true);
      p += 16;
      packets++;
    }
  }
  head = new Uint8Array(0);
  return { packets, bytes };
}
