import { open, rm, type FileHandle } from 'node:fs/promises';
import busboy from 'busboy';
import { resolveThresholds, visibleText, type Thresholds } from '../worker/index.js';
import { ApiError } from './errors.js';

/**
 * Receives a capture upload into a spool file, streaming: the body is read chunk by chunk, each
 * chunk written before the next is read (back-pressure all the way to the client), never buffered
 * whole. Two checks run while streaming: the first bytes must be a capture (415 otherwise) and the
 * size must stay within the cap (413 as soon as it is exceeded). On either, reading stops at once:
 * the rest of the body is never read (the response closes the connection) and the spool is removed.
 *
 * Accepted forms: `multipart/form-data` with one file part (`curl -F file=@capture.pcap`), or the
 * raw bytes as `application/octet-stream` (also `application/vnd.tcpdump.pcap`,
 * `application/x-pcapng`, `application/gzip`).
 */
export type UploadKind = 'multipart' | 'raw';

const RAW_TYPES = new Set(['application/octet-stream', 'application/vnd.tcpdump.pcap', 'application/x-pcapng', 'application/gzip', 'application/x-gzip']);

/** Multipart framing around the file part (boundaries, part headers, small fields) may add this much to Content-Length. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** Bytes gathered before one write to the spool file. */
const WRITE_BATCH = 1024 * 1024;

/** An upload that sends nothing for this long is abandoned. */
export const UPLOAD_IDLE_TIMEOUT_MS = 60_000;

export function uploadKind(contentType: string | undefined): UploadKind | null {
  if (!contentType) return null;
  const base = contentType.split(';')[0].trim().toLowerCase();
  if (base === 'multipart/form-data') return /boundary=/i.test(contentType) ? 'multipart' : null;
  return RAW_TYPES.has(base) ? 'raw' : null;
}

export type CaptureMagic = 'pcap' | 'pcapng' | 'gzip';

/** Recognises the first bytes of a capture: the pcap magics (µs, ns, modified; both byte orders), pcapng's SHB, gzip. */
export function captureMagic(head: Uint8Array): CaptureMagic | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length < 4) return null;
  const be = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  const le = ((head[3] << 24) | (head[2] << 16) | (head[1] << 8) | head[0]) >>> 0;
  if (be === 0x0a0d0d0a) return 'pcapng';
  for (const magic of [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34]) if (be === magic || le === magic) return 'pcap';
  return null;
}

export interface ReceivedUpload {
  bytes: number;
  fileName: string | null;
  format: CaptureMagic;
}

export interface ReceiveOptions {
  kind: UploadKind;
  contentType: string;
  maxBytes: number;
  spoolPath: string;
  idleTimeoutMs?: number;
}

/** Checks and writes the file bytes; throws ApiError on the first violation. */
class SpoolWriter {
  bytes = 0;
  format: CaptureMagic | null = null;
  private head = new Uint8Array(0);
  private fh: FileHandle | null = null;
  private batch: Uint8Array[] = [];
  private batchBytes = 0;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      throw new ApiError(413, 'upload_too_large', `the capture is larger than the ${formatMb(this.maxBytes)} upload limit (MAX_UPLOAD_SIZE_MB)`);
    }
    if (this.format === null) {
      // Hold the first bytes back until there are enough to recognise the format.
      const joined = new Uint8Array(this.head.length + chunk.length);
      joined.set(this.head);
      joined.set(chunk, this.head.length);
      this.head = joined;
      if (this.head.length < 4) return;
      this.format = captureMagic(this.head);
      if (this.format === null) throw notCapture();
      chunk = this.head;
      this.head = new Uint8Array(0);
    }
    // Small network chunks are gathered into one write (at most WRITE_BATCH bytes held).
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    if (this.batchBytes >= WRITE_BATCH) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.batchBytes === 0) return;
    const data = this.batch.length === 1 ? this.batch[0] : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    this.fh ??= await open(this.path, 'wx', 0o600);
    let off = 0;
    while (off < data.length) off += (await this.fh.write(data, off, data.length - off)).bytesWritten;
  }

  /** Flushes to disk: a complete upload must survive a crash before it is announced. */
  async end(): Promise<CaptureMagic> {
    if (this.format === null) {
      if (this.head.length >= 2 && captureMagic(this.head) === 'gzip') throw notCapture('the gzip data is too short to hold a capture');
      throw this.bytes === 0 ? new ApiError(400, 'empty_upload', 'the uploaded file is empty') : notCapture();
    }
    await this.flush();
    await this.fh!.sync();
    await this.close();
    return this.format;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close().catch(() => {});
  }

  async discard(): Promise<void> {
    this.batch = [];
    this.batchBytes = 0;
    await this.close();
    await rm(this.path, { force: true });
  }
}

function notCapture(detail?: string): ApiError {
  return new ApiError(
    415,
    'not_a_capture',
    detail ?? 'the file is not a capture: expected pcap, pcapng or a gzip-compressed capture (checked from its first bytes)',
  );
}

function formatMb(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MB`;
}

/** A file name from the client, reduced to something safe to store and display. */
export function cleanFileName(name: string | undefined | null): string | null {
  if (!name) return null;
  const base = name.split(/[\\/]/).pop() ?? '';
  const trimmed = base.trim();
  return trimmed ? visibleText(trimmed, 200) : null;
}

/** Reads the next chunk, giving up when the client goes quiet. */
async function readWithIdleTimeout(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ApiError(400, 'upload_timeout', `no data received for ${Math.round(ms / 1000)} s; upload abandoned`)), ms);
  });
  try {
    return await Promise.race([reader.read(), idle]);
  } finally {
    clearTimeout(timer);
  }
}

export async function receiveUpload(body: ReadableStream<Uint8Array> | null, o: ReceiveOptions): Promise<ReceivedUpload> {
  if (!body) throw new ApiError(400, 'empty_upload', 'the request has no body');
  const writer = new SpoolWriter(o.spoolPath, o.maxBytes);
  // The reader's lock is released but the stream is never cancelled: cancelling would destroy the
  // socket before the error response is written. The response closes the connection instead.
  const reader = body.getReader();
  const idleMs = o.idleTimeoutMs ?? UPLOAD_IDLE_TIMEOUT_MS;
  try {
    let fileName: string | null = null;
    if (o.kind === 'raw') {
      for (;;) {
        const { done, value } = await readWithIdleTimeout(reader, idleMs);
        if (done) break;
        await writer.write(value);
      }
    } else {
      fileName = await receiveMultipart(reader, o, writer, idleMs);
    }
    const format = await writer.end();
    return { bytes: writer.bytes, fileName, format };
  } catch (e) {
    await writer.discard();
    throw e;
  } finally {
    try {
      reader.releaseLock();
    } catch {
      // a read still pending (idle timeout): the connection is closed with the response anyway
    }
  }
}

async function receiveMultipart(reader: ReadableStreamDefaultReader<Uint8Array>, o: ReceiveOptions, writer: SpoolWriter, idleMs: number): Promise<string | null> {
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const fail = (e: unknown) => {
    failure ??= e;
    wake?.();
  };
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: { 'content-type': o.contentType },
      limits: { files: 1, fileSize: o.maxBytes + 1, fields: 20, fieldSize: 4096, parts: 30, headerPairs: 50 },
    });
  } catch {
    throw new ApiError(400, 'bad_multipart', 'the multipart/form-data request could not be parsed (boundary missing?)');
  }
  let fileName: string | null = null;
  let fileSeen = false;
  let fileDone: Promise<void> = Promise.resolve();
  bb.on('file', (_field, stream, info) => {
    if (fileSeen) {
      stream.resume();
      return;
    }
    fileSeen = true;
    fileName = cleanFileName(info.filename);
    fileDone = (async () => {
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          if (failure) break;
          await writer.write(chunk);
        }
      } catch (e) {
        fail(e);
      }
    })();
  });
  bb.on('filesLimit', () => fail(new ApiError(400, 'too_many_files', 'send one capture per upload')));
  bb.on('partsLimit', () => fail(new ApiError(400, 'bad_multipart', 'too many parts in the multipart request')));
  bb.on('error', (e: unknown) => fail(new ApiError(400, 'bad_multipart', `the multipart/form-data body is malformed (${e instanceof Error ? e.message : String(e)})`)));
  const finished = new Promise<void>((resolve) => bb.once('close', resolve));

  const waitDrain = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      bb.once('drain', resolve);
    }).finally(() => {
      wake = null;
    });

  for (;;) {
    if (failure) throw failure;
    const { done, value } = await readWithIdleTimeout(reader, idleMs);
    if (done) break;
    if (!bb.write(value)) await waitDrain();
  }
  if (failure) throw failure;
  bb.end();
  await Promise.race([finished, new Promise<void>((resolve) => (wake = resolve))]);
  await fileDone;
  if (failure) throw failure;
  if (!fileSeen) throw new ApiError(400, 'no_file', 'the form has no file part: send the capture as a file field (curl -F file=@capture.pcap)');
  return fileName;
}

/** Threshold parameters one upload may carry (there are fewer thresholds than this). */
const MAX_THRESHOLD_PARAMS = 32;

/**
 * The `?threshold=NAME=VALUE` parameters of an upload (repeatable): diagnosis thresholds for its
 * analysis, validated like the CLI's `--threshold` before any of the body is read.
 */
export function uploadThresholds(params: readonly string[]): Partial<Thresholds> {
  if (params.length > MAX_THRESHOLD_PARAMS) throw new ApiError(400, 'bad_threshold', `at most ${MAX_THRESHOLD_PARAMS} threshold parameters`, { Connection: 'close' });
  const out: Record<string, number> = {};
  for (const p of params) {
    const m = /^([A-Za-z]{1,64})=([0-9.eE+-]{1,32})$/.exec(p);
    if (!m) throw new ApiError(400, 'bad_threshold', `threshold "${visibleText(p, 80)}" is not NAME=VALUE`, { Connection: 'close' });
    out[m[1]] = Number(m[2]);
  }
  try {
    resolveThresholds(out);
  } catch (e) {
    throw new ApiError(400, 'bad_threshold', visibleText(e instanceof Error ? e.message : String(e), 600), { Connection: 'close' });
  }
  return out;
}
