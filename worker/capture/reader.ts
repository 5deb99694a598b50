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
    if (!this.framer) {
      if (this.head.length + chunk.length < 4) {
        const joined = new Uint8Array(this.head.length + chunk.length);
        joined.set(this.head);
        joined.set(chunk, this.head.length);
        this.head = joined;
        return;
      }
      const first = this.head;
      this.head = new Uint8Array(0);
      const probe = new Uint8Array(4);
      probe.set(first.subarray(0, 4));
      if (first.length < 4) probe.set(chunk.subarray(0, 4 - first.length), first.length);
      this.framer = this.detect(probe, first.length > 0 ? first : chunk);
      if (!this.framer) return;
      if (first.length > 0) this.feed(first);
    }
    this.feed(chunk);
  }

  end(): void {
    if (this.failed) return;
    if (!this.framer) {
      this.fail(
        new CaptureFormatError(
          this.info.bytesRead === 0 ? 'empty-file' : 'not-a-capture',
          this.info.bytesRead === 0
            ? 'the file is empty (0 bytes): not a capture'
            : `the file is too short (${this.info.bytesRead} bytes) to be a capture`,
          0,
        ),
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

  private detect(probe: Uint8Array, head: Uint8Array): Framer | undefined {
    const dv = new DataView(probe.buffer);
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
