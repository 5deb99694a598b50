import { Framer, type RecordFormat } from './framer.js';
import { CaptureFormatError, IssueLog } from './issues.js';
import { MAX_CAPLEN, PcapFormat, pcapMagic } from './pcap.js';
import { MAX_BUFFERED_BLOCK, PcapngFormat, SHB_TYPE } from './pcapng.js';
import type { ContainerInfo, RecordSink } from './types.js';

/** Names common non-capture files so the user learns what they dropped instead of "bad magic". */
export function sniffNonCapture(head: Uint8Array): string {
  const b = (i: number) => head[i] ?? -1;
  const ascii = String.fromCharCode(...head.subarray(0, 16)).toLowerCase();
  if (head.length === 0) return 'the file is empty';
  if (b(0) === 0x1f && b(1) === 0x8b) return 'gzip data inside gzip data';
  if (b(0) === 0x50 && b(1) === 0x4b && b(2) === 3 && b(3) === 4) return 'a zip archive';
  if (ascii.startsWith('snoop')) return 'a Solaris snoop capture (convert it with editcap to pcap or pcapng)';
  if (/^\s*(<!doctype|<html|<\?xml|<svg)/.test(ascii)) return 'an HTML/XML document';
  if (/^\s*[{[]/.test(ascii)) return 'a JSON or text document';
  if (b(0) === 0x25 && b(1) === 0x50 && b(2) === 0x44 && b(3) === 0x46) return 'a PDF document';
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68) return 'bzip2 data (decompress it first)';
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58) return 'xz data (decompress it first)';
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return 'zstd data (decompress it first)';
  const hex = Array.from(head.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return `not a pcap or pcapng file (it starts with bytes ${hex})`;
}

/**
 * Reads a pcap or pcapng stream pushed in chunks of any size and hands every packet record to the
 * sink. Never throws on bad input: problems end up in `issues`, fatal ones stop the reading.
 */
export class CaptureReader {
  readonly issues = new IssueLog();
  readonly info: ContainerInfo = {
    format: 'unknown',
    version: '',
    byteOrder: 'little-endian',
    sections: 0,
    snaplen: 0,
    blockCounts: {},
    bytesRead: 0,
  };
  private framer: Framer | undefined;
  private head = new Uint8Array(0);
  private failed = false;

  constructor(
    private readonly sink: RecordSink,
    private readonly startOffset = 0,
  ) {}

  /** True once reading stopped on a fatal error: later input is ignored. */
  get stopped(): boolean {
    return this.failed || (this.framer?.done ?? false);
  }

  push(chunk: Uint8Array): void {
    if (this.failed) return;
    this.info.bytesRead += chunk.length;
    if (this.framer) {
      this.feed(chunk);
      return;
    }
    // The format is decided on the first 4 bytes; a file that is not a capture is named from its first
    // SNIFF_BYTES. Both must not depend on how the input happens to be chunked (1-byte chunks used to
    // name an HTML file "not a pcap or pcapng file (it starts with bytes 3c 21 44)").
    const first = this.head;
    const prefix = first.length === 0 ? chunk.subarray(0, SNIFF_BYTES) : concat(first, chunk.subarray(0, SNIFF_BYTES - first.length));
    if (prefix.length < 4 || (!isCaptureStart(prefix) && prefix.length < SNIFF_BYTES)) {
      // Too few bytes to decide, or to say what the file is instead: keep them (at most SNIFF_BYTES).
      this.head = prefix.slice();
      return;
    }
    this.head = new Uint8Array(0);
    this.framer = this.detect(prefix);
    if (!this.framer) return;
    if (first.length > 0) this.feed(first);
    this.feed(chunk);
  }

  end(): void {
    if (this.failed) return;
    if (!this.framer) {
      const n = this.info.bytesRead;
      this.fail(
        n === 0
          ? new CaptureFormatError('empty-file', 'the file is empty (0 bytes): not a capture', 0)
          : n < 4
            ? new CaptureFormatError('not-a-capture', `the file is too short (${n} bytes) to be a capture`, 0)
            : new CaptureFormatError('not-a-capture', `cannot read this file: ${sniffNonCapture(this.head)}`, 0),
      );
      return;
    }
    this.framer.end();
    this.collect();
  }

  private feed(chunk: Uint8Array): void {
    const framer = this.framer;
    if (!framer) return;
    framer.push(chunk);
    this.collect();
  }

  private collect(): void {
    const err = this.framer?.error;
    if (!err || this.failed) return;
    this.fail(err);
  }

  private fail(err: CaptureFormatError): void {
    this.failed = true;
    // Reading stops at the damage: what was "read" ends there, whatever the chunking.
    this.info.bytesRead = Math.min(this.info.bytesRead, err.offset);
    this.issues.add({
      severity: 'error',
      code: err.code,
      message: err.message,
      offset: err.offset,
      ...(err.blockType ? { blockType: err.blockType } : {}),
      ...(err.packet ? { packet: err.packet } : {}),
    });
  }

  private detect(head: Uint8Array): Framer | undefined {
    const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    let format: RecordFormat;
    let max: number;
    if (pcapMagic(dv, 0)) {
      format = new PcapFormat(this.sink, this.issues, this.info);
      max = MAX_CAPLEN + 24;
    } else if (dv.getUint32(0, true) === SHB_TYPE) {
      format = new PcapngFormat(this.sink, this.issues, this.info);
      max = MAX_BUFFERED_BLOCK;
    } else {
      this.fail(new CaptureFormatError('not-a-capture', `cannot read this file: ${sniffNonCapture(head)}`, 0));
      return undefined;
    }
    return new Framer(format, max, this.startOffset);
  }
}

/** Bytes looked at to name a file that is not a capture. */
const SNIFF_BYTES = 16;

function isCaptureStart(head: Uint8Array): boolean {
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return pcapMagic(dv, 0) !== null || dv.getUint32(0, true) === SHB_TYPE;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
