import { CaptureFormatError } from './issues.js';

/**
 * A container format as the framer sees it: records whose total length can be read from a fixed-size
 * header. Formats keep their own state (byte order, current section) between calls.
 */
export interface RecordFormat {
  /** Bytes needed before `recordLength` can be asked. */
  headerBytes(): number;
  /**
   * Total length of the record starting at `off`, header included. A negative value `-n` means "skip
   * these n bytes without buffering them" (large blocks the analyzer has no use for).
   * Throws CaptureFormatError on a length that cannot be trusted.
   */
  recordLength(buf: Uint8Array, dv: DataView, off: number, streamOffset: number): number;
  /** Handles one complete record; `buf[off .. off+len)` is only valid during the call. */
  record(buf: Uint8Array, dv: DataView, off: number, len: number, streamOffset: number): void;
  /**
   * Names what was cut short at end of input (`len` bytes of it are in `buf` from 0): a phrase for the
   * message, and the block type and packet number for the issue when they are known.
   */
  describePartial(buf: Uint8Array, dv: DataView, len: number): PartialRecord;
  /**
   * Short name of the record starting at `off` (`EPB`, `pcap record`, …) for an issue's `blockType`,
   * given `available` bytes of it; undefined when too few bytes are there to tell.
   */
  recordName(dv: DataView, off: number, available: number): string | undefined;
}

export interface PartialRecord {
  what: string;
  blockType?: string;
  packet?: number;
}

/**
 * Cuts a stream of arbitrary chunks into whole records. Records inside a chunk are handed over in
 * place (no copy); only a record straddling two chunks is copied into a carry buffer, which never
 * grows beyond the largest record the format accepts. Memory is therefore bounded by the chunk size
 * plus one record, whatever the file size.
 */
export class Framer {
  private carry: Uint8Array;
  private carryDv: DataView;
  private carryLen = 0;
  private carryStart = 0;
  /** Total length of the record being carried; 0 while its header is still incomplete. */
  private need = 0;
  private skipLeft = 0;
  /** The block being skipped (start offset, declared length, name), for a truncated-block error. */
  private skipStart = 0;
  private skipTotal = 0;
  private skipName: string | undefined;
  private streamPos = 0;
  private stopped = false;
  error: CaptureFormatError | undefined;

  constructor(
    private readonly format: RecordFormat,
    private readonly maxRecord: number,
    startOffset = 0,
  ) {
    this.carry = new Uint8Array(4096);
    this.carryDv = new DataView(this.carry.buffer);
    this.streamPos = startOffset;
  }

  /** Bytes consumed so far (absolute stream offset of the next byte). */
  get position(): number {
    return this.streamPos;
  }

  get done(): boolean {
    return this.stopped;
  }

  push(chunk: Uint8Array): void {
    if (this.stopped || chunk.length === 0) return;
    const base = this.streamPos;
    this.streamPos += chunk.length;
    try {
      this.consume(chunk, base);
    } catch (e) {
      if (!(e instanceof CaptureFormatError)) throw e;
      this.error = e;
      this.stopped = true;
    }
  }

  /** Signals end of input; reports a record cut short. */
  end(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.skipLeft > 0) {
      // Named by where the block starts (not where the file ends), like a truncated record, so the
      // user can find it in a hex editor.
      const name = this.skipName ?? 'block';
      this.error = new CaptureFormatError(
        'truncated-block',
        `the capture ends in the middle of the ${name} at offset ${this.skipStart}, which declares ${this.skipTotal} bytes: ${this.skipLeft} of them are missing`,
        this.skipStart,
        this.skipName,
      );
    } else if (this.carryLen > 0) {
      const partial = this.format.describePartial(this.carry, this.carryDv, this.carryLen);
      const wanted = this.need > 0 ? `${this.need}` : `at least ${this.format.headerBytes()}`;
      this.error = new CaptureFormatError(
        'truncated-record',
        `the capture ends in the middle of ${partial.what} at offset ${this.carryStart}: ${this.carryLen} of ${wanted} bytes present`,
        this.carryStart,
        partial.blockType,
        partial.packet,
      );
    }
  }

  private consume(chunk: Uint8Array, base: number): void {
    const n = chunk.length;
    let p = 0;
    if (this.skipLeft > 0) {
      const k = Math.min(this.skipLeft, n);
      this.skipLeft -= k;
      p = k;
    }
    if (p < n && this.carryLen > 0) {
      p = this.completeCarried(chunk, p);
      if (p < 0) return;
    }
    const dv = new DataView(chunk.buffer, chunk.byteOffset, n);
    const format = this.format;
    while (p < n && !this.stopped) {
      const hb = format.headerBytes();
      if (n - p < hb) {
        this.stash(chunk, p, n - p, base + p);
        return;
      }
      const len = format.recordLength(chunk, dv, p, base + p);
      if (len < 0) {
        this.noteSkip(dv, p, base + p, -len);
        const k = Math.min(-len, n - p);
        p += k;
        this.skipLeft = -len - k;
        continue;
      }
      if (n - p < len) {
        this.stash(chunk, p, n - p, base + p);
        this.checkRecordLimit(len);
        this.need = len;
        return;
      }
      format.record(chunk, dv, p, len, base + p);
      p += len;
    }
  }

  /** Feeds the carried partial record from `chunk`; returns the next unread position or -1 if all was used. */
  private completeCarried(chunk: Uint8Array, p: number): number {
    const n = chunk.length;
    if (this.need === 0) {
      const hb = this.format.headerBytes();
      const take = Math.min(hb - this.carryLen, n - p);
      this.append(chunk, p, take);
      p += take;
      if (this.carryLen < hb) return -1;
      const len = this.format.recordLength(this.carry, this.carryDv, 0, this.carryStart);
      if (len < 0) {
        this.noteSkip(this.carryDv, 0, this.carryStart, -len);
        const remaining = -len - this.carryLen;
        this.carryLen = 0;
        const k = Math.min(remaining, n - p);
        this.skipLeft = remaining - k;
        p += k;
        return this.skipLeft > 0 ? -1 : p;
      }
      this.checkRecordLimit(len);
      this.need = len;
    }
    const take = Math.min(this.need - this.carryLen, n - p);
    this.append(chunk, p, take);
    p += take;
    if (this.carryLen < this.need) return -1;
    const len = this.need;
    this.carryLen = 0;
    this.need = 0;
    this.format.record(this.carry, this.carryDv, 0, len, this.carryStart);
    return p;
  }

  private noteSkip(dv: DataView, off: number, streamOffset: number, total: number): void {
    this.skipStart = streamOffset;
    this.skipTotal = total;
    this.skipName = this.format.recordName(dv, off, this.format.headerBytes());
  }

  private stash(chunk: Uint8Array, p: number, k: number, streamOffset: number): void {
    this.carryLen = 0;
    this.carryStart = streamOffset;
    this.append(chunk, p, k);
  }

  /**
   * Grows the carry buffer as bytes actually arrive, never ahead of them: a length field is only a
   * claim, and sizing the buffer by it let a 100-byte file ask for a 16 MiB allocation.
   */
  private append(chunk: Uint8Array, p: number, k: number): void {
    if (k <= 0) return;
    const need = this.carryLen + k;
    if (need > this.carry.length) {
      let size = this.carry.length;
      while (size < need) size *= 2;
      const next = new Uint8Array(Math.max(need, Math.min(size, this.maxRecord)));
      next.set(this.carry.subarray(0, this.carryLen));
      this.carry = next;
      this.carryDv = new DataView(next.buffer);
    }
    this.carry.set(chunk.subarray(p, p + k), this.carryLen);
    this.carryLen = need;
  }

  /** Refuses a record longer than the format allows before any of its bytes are buffered. */
  private checkRecordLimit(len: number): void {
    if (len > this.maxRecord) {
      throw new CaptureFormatError(
        'record-too-large',
        `a record of ${len} bytes at offset ${this.carryStart} exceeds the ${this.maxRecord}-byte limit`,
        this.carryStart,
      );
    }
  }
}
