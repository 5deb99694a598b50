/**
 * Decides, from the first bytes of a file (the decompressed first bytes for gzip) and its name,
 * whether it is worth handing to the engine. The bytes decide; the name only shapes the message.
 * Runs in the browser worker (and in Node tests): only web-platform APIs.
 */
export type CaptureFormat = 'pcap' | 'pcapng';

export type SniffResult =
  | { ok: true; format: CaptureFormat; gzip: boolean; byteOrder: 'little' | 'big'; nanosecond: boolean }
  | { ok: false; reason: string };

export const CAPTURE_EXTENSIONS = ['.pcap', '.pcapng', '.cap', '.gz'] as const;

const PCAP_MAGICS: Record<number, { byteOrder: 'little' | 'big'; nanosecond: boolean }> = {
  0xa1b2c3d4: { byteOrder: 'big', nanosecond: false },
  0xd4c3b2a1: { byteOrder: 'little', nanosecond: false },
  0xa1b23c4d: { byteOrder: 'big', nanosecond: true },
  0x4d3cb2a1: { byteOrder: 'little', nanosecond: true },
};

/** Classifies the first bytes of a (decompressed) capture. */
export function classifyMagic(head: Uint8Array): { format: CaptureFormat; byteOrder: 'little' | 'big'; nanosecond: boolean } | null {
  if (head.length < 4) return null;
  const be = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  const pcap = PCAP_MAGICS[be];
  if (pcap) return { format: 'pcap', ...pcap };
  if (be === 0x0a0d0d0a) {
    // The byte-order magic follows the block type and length.
    const bom = head.length >= 12 ? ((head[8] << 24) | (head[9] << 16) | (head[10] << 8) | head[11]) >>> 0 : 0x1a2b3c4d;
    return { format: 'pcapng', byteOrder: bom === 0x4d3c2b1a ? 'little' : 'big', nanosecond: false };
  }
  return null;
}

export function hasCaptureExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return CAPTURE_EXTENSIONS.some((e) => lower.endsWith(e));
}

function describeHead(head: Uint8Array): string {
  if (head.length === 0) return 'the file is empty';
  const hex = Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const ascii = Array.from(head.subarray(0, 8), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  let hint = '';
  if (head[0] === 0x50 && head[1] === 0x4b) hint = ' (a ZIP archive: extract the capture first)';
  else if (head[0] === 0x7b || head[0] === 0x5b) hint = ' (looks like JSON)';
  else if (head[0] === 0x3c) hint = ' (looks like HTML or XML)';
  else if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) hint = ' (bzip2: only gzip compression is read)';
  else if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a) hint = ' (xz: only gzip compression is read)';
  else if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) hint = ' (zstd: only gzip compression is read)';
  return `its first bytes are ${hex} ("${ascii}")${hint}`;
}

async function readHead(blob: Blob, n: number): Promise<Uint8Array> {
  return new Uint8Array(await blob.slice(0, n).arrayBuffer());
}

async function gunzipHead(blob: Blob, n: number): Promise<Uint8Array | null> {
  // A prefix of the compressed data is enough to decompress the first bytes.
  const stream = blob.slice(0, 256 * 1024).stream().pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let have = 0;
  try {
    while (have < n) {
      const r = await reader.read();
      if (r.done) break;
      parts.push(r.value);
      have += r.value.length;
    }
  } catch {
    // Truncated prefix or damaged data: whatever came out before is still useful.
  } finally {
    reader.cancel().catch(() => {});
  }
  if (have === 0) return null;
  const out = new Uint8Array(Math.min(have, n));
  let o = 0;
  for (const p of parts) {
    const take = Math.min(p.length, out.length - o);
    out.set(p.subarray(0, take), o);
    o += take;
    if (o >= out.length) break;
  }
  return out;
}

export async function sniffCapture(file: Blob & { name?: string }): Promise<SniffResult> {
  const name = file.name ?? '';
  const known = hasCaptureExtension(name);
  const expected = 'pcap-analyzer reads pcap and pcapng captures (.pcap, .pcapng, .cap), optionally gzip-compressed (.gz)';
  const head = await readHead(file, 16);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const inner = await gunzipHead(file, 16);
    if (!inner) return { ok: false, reason: `This gzip file could not be decompressed. ${expected}.` };
    const m = classifyMagic(inner);
    if (!m) return { ok: false, reason: `This gzip file does not contain a capture: ${describeHead(inner)} once decompressed. ${expected}.` };
    return { ok: true, gzip: true, ...m };
  }
  const m = classifyMagic(head);
  if (m) return { ok: true, gzip: false, ...m };
  return {
    ok: false,
    reason: known
      ? `This file is named like a capture but is not one: ${describeHead(head)}. ${expected}.`
      : `This is not a capture file: ${describeHead(head)}. ${expected}.`,
  };
}
