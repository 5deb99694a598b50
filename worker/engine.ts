import { CaptureReader } from './capture/reader.js';
import type { CaptureIssue } from './capture/issues.js';
import type { CaptureComment, InterfaceInfo, RawRecord, RecordSink } from './capture/types.js';
import { Decoder } from './decode/decoder.js';
import type { PacketView } from './decode/packet.js';
import { SummaryAnalyzer, type CaptureSummary } from './analyzers/summary.js';
import { captureBytes, GzipError, type ByteSource, type InputStats } from './input.js';

export interface Progress {
  /** Bytes taken from the source so far (compressed bytes for gzip files). */
  sourceBytes: number;
  /** Size of the source when known (file size), else 0. */
  totalBytes: number;
  packets: number;
  elapsedMs: number;
}

export interface ReadOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Minimum time between progress callbacks (default 100 ms). */
  progressIntervalMs?: number;
  totalBytes?: number;
}

/** Something that sees every decoded packet (analyzers). */
export interface PacketConsumer {
  onInterface?(iface: InterfaceInfo): void;
  onPacket(v: PacketView): void;
}

export class AnalysisCancelled extends Error {
  constructor() {
    super('analysis cancelled');
    this.name = 'AbortError';
  }
}

const MAX_INTERNAL_ERRORS = 20;

/**
 * Drives one capture through reader → decoder → consumers. Hosts (web worker, server job, CLI) call
 * `run` with their byte source; it never throws on bad capture data, only on cancellation.
 */
export class CaptureRun implements RecordSink {
  readonly summary = new SummaryAnalyzer();
  readonly decoder = new Decoder();
  readonly reader: CaptureReader;
  readonly input: InputStats = { sourceBytes: 0, compression: null };
  private readonly consumers: PacketConsumer[];
  private internalErrors = 0;
  private readonly extraIssues: CaptureIssue[] = [];

  constructor(consumers: PacketConsumer[] = []) {
    this.consumers = consumers;
    this.reader = new CaptureReader(this);
    this.decoder.onProblem = (code, message, frame) =>
      this.reader.issues.add({ severity: 'warning', code, message, packet: frame, offset: this.lastRecordOffset });
  }

  private lastRecordOffset = 0;

  onInterface(iface: InterfaceInfo): void {
    this.summary.onInterface(iface);
    for (const c of this.consumers) c.onInterface?.(iface);
  }

  onComment(comment: CaptureComment): void {
    this.summary.onComment(comment);
  }

  /** The first timed packet's time: relative times count from it. */
  baseSec = -1;
  baseNsec = 0;
  private lastTime = 0;
  private maxTime = 0;

  onRecord(rec: RawRecord): void {
    try {
      this.lastRecordOffset = rec.streamOffset;
      const v = this.decoder.decode(rec);
      if (rec.hasTime) {
        if (this.baseSec < 0) {
          this.baseSec = rec.tsSec;
          this.baseNsec = rec.tsNsec;
        }
        v.time = rec.tsSec - this.baseSec + (rec.tsNsec - this.baseNsec) / 1e9;
        this.lastTime = v.time;
        if (v.time > this.maxTime) this.maxTime = v.time;
      } else {
        // Simple Packet Blocks carry no time: they inherit the previous packet's.
        v.time = this.lastTime;
      }
      this.summary.onPacket(v);
      const cs = this.consumers;
      for (let i = 0; i < cs.length; i++) cs[i].onPacket(v);
    } catch (e) {
      // A bug must not lose the whole report: note it against the packet and carry on.
      if (this.internalErrors++ < MAX_INTERNAL_ERRORS) {
        this.extraIssues.push({
          severity: 'error',
          code: 'internal-error',
          message: `internal error while analysing packet ${rec.frame} at offset ${rec.streamOffset}: ${e instanceof Error ? e.message : String(e)}`,
          offset: rec.streamOffset,
          packet: rec.frame,
        });
      }
    }
  }

  private totalBytes: number | undefined;

  async run(source: ByteSource, options: ReadOptions = {}): Promise<void> {
    const started = Date.now();
    this.totalBytes = options.totalBytes;
    const interval = options.progressIntervalMs ?? 100;
    let lastReport = 0;
    const report = () => {
      options.onProgress?.({
        sourceBytes: this.input.sourceBytes,
        totalBytes: options.totalBytes ?? 0,
        packets: this.summary.first === null && this.reader.stopped ? 0 : this.packetCount(),
        elapsedMs: Date.now() - started,
      });
    };
    try {
      for await (const chunk of captureBytes(source, this.input)) {
        if (options.signal?.aborted) throw new AnalysisCancelled();
        this.reader.push(chunk);
        if (this.reader.stopped) break;
        if (options.onProgress) {
          const now = Date.now();
          if (now - lastReport >= interval) {
            lastReport = now;
            report();
          }
        }
      }
    } catch (e) {
      if (e instanceof AnalysisCancelled) throw e;
      if (!(e instanceof GzipError)) throw e;
      this.extraIssues.push({
        severity: 'error',
        code: 'gzip-damaged',
        message: `${e.message}; ${this.packetCount()} packets were read before the damage (decompressed offset ${this.reader.info.bytesRead})`,
        offset: this.reader.info.bytesRead,
      });
    }
    if (options.signal?.aborted) throw new AnalysisCancelled();
    this.reader.end();
    report();
  }

  /** Relative time of the latest packet (the capture's span when timestamps are in order). */
  lastPacketTime(): number {
    return this.maxTime;
  }

  packetCount(): number {
    return this.summary.packetCount;
  }

  issues(): CaptureIssue[] {
    const list = [...this.reader.issues.list, ...this.extraIssues];
    if (this.decoder.ipLengthExceedsFrame > 0) {
      list.push({
        severity: 'warning',
        code: 'ip-length-exceeds-frame',
        message: `${this.decoder.ipLengthExceedsFrame} packet(s) declare an IP length larger than the frame (decoded with the frame's length, as Wireshark does)`,
        count: this.decoder.ipLengthExceedsFrame,
      });
    }
    return list;
  }

  captureSummary(): CaptureSummary {
    return this.summary.finish(this.reader.info, {
      compression: this.input.compression,
      fileBytes: this.totalBytes ?? this.input.sourceBytes,
      warnings: this.issues(),
    });
  }
}

/** Reads a capture and returns its summary and protocol hierarchy (the `info` command). */
export async function summarizeCapture(source: ByteSource, options: ReadOptions = {}): Promise<CaptureSummary> {
  const run = new CaptureRun();
  await run.run(source, options);
  return run.captureSummary();
}
