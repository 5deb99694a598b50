/**
 * Turns whatever the host has (a browser File stream, a Node file stream, an array of chunks) into an
 * async sequence of byte chunks, transparently gunzipping when the data starts with the gzip magic.
 * Uses only web-platform APIs (ReadableStream, DecompressionStream), present in browsers and Node ≥ 18.
 */

/**
 * Capture bytes in chunks of any size. A source may reuse a chunk's memory once the next chunk has
 * been asked for: the engine finishes with a chunk before asking for the next, and copies what it keeps.
 */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface InputStats {
  /** Bytes taken from the source (compressed bytes for gzip input). */
  sourceBytes: number;
  compression: 'gzip' | null;
}

/** Compressed bytes per write into the decompressor (see gunzip). */
const GZIP_WRITE_BYTES = 64 * 1024;

/** Chunks smaller than this coming out of the decompressor are joined, so records rarely straddle. */
const COALESCE_BYTES = 256 * 1024;

async function* iterate(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (isReadableStream(source)) {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        if (value && value.length > 0) yield plain(value);
      }
    } finally {
      reader.releaseLock();
    }
  } else {
    for await (const chunk of source as AsyncIterable<Uint8Array>) if (chunk.length > 0) yield plain(chunk);
  }
}

/**
 * The same bytes as a plain Uint8Array. Node streams yield Buffers (a Uint8Array subclass with another
 * hidden class) while the framer's carry buffer is a Uint8Array: every decoding function that saw both
 * would be deoptimized and recompiled as polymorphic, so chunks are handed on as one kind only.
 */
function plain(chunk: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(chunk) === Uint8Array.prototype ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function isReadableStream(x: ByteSource): x is ReadableStream<Uint8Array> {
  return typeof (x as ReadableStream<Uint8Array>).getReader === 'function';
}

/**
 * Yields decoded capture bytes. `stats.sourceBytes` advances as source chunks are consumed, which is
 * what progress should be measured against (the file size).
 */
export async function* captureBytes(source: ByteSource, stats: InputStats): AsyncGenerator<Uint8Array> {
  const it = iterate(source);
  try {
    // Two bytes decide gzip or not; sources may hand them over one at a time.
    let head = new Uint8Array(0);
    while (head.length < 2) {
      const r = await it.next();
      if (r.done) break;
      const joined = new Uint8Array(head.length + r.value.length);
      joined.set(head);
      joined.set(r.value, head.length);
      head = joined;
    }
    if (head.length === 0) return;
    stats.sourceBytes += head.length;
    if (!(head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) {
      yield head;
      for await (const chunk of it) {
        stats.sourceBytes += chunk.length;
        yield chunk;
      }
      return;
    }
    stats.compression = 'gzip';
    yield* gunzip(head, it, stats);
  } finally {
    // The reader may stop early (a damaged file, often in the first chunk): the source is closed
    // then too, so a file handle behind it is released at once rather than by the garbage collector.
    await it.return(undefined);
  }
}

async function* gunzip(head: Uint8Array, rest: AsyncGenerator<Uint8Array>, stats: InputStats): AsyncGenerator<Uint8Array> {
  const ds = new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>;
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  // Input is written by a separate task so the decompressor never waits on the consumer and vice versa.
  let inputError: unknown = null;
  const inputDone = (async () => {
    // The decompressor gets the compressed stream in blocks cut at fixed stream offsets, whatever the
    // source's chunking: on damaged input it drops the output of the write that hit the damage, so
    // writes cut where the source happened to cut would make what is recovered depend on chunk sizes.
    // (Each block is a fresh copy, so a source may reuse its chunks while the decompressor holds one.)
    let block = new Uint8Array(GZIP_WRITE_BYTES);
    let filled = 0;
    const feed = async (bytes: Uint8Array): Promise<void> => {
      for (let o = 0; o < bytes.length; ) {
        const n = Math.min(bytes.length - o, GZIP_WRITE_BYTES - filled);
        block.set(bytes.subarray(o, o + n), filled);
        filled += n;
        o += n;
        if (filled === GZIP_WRITE_BYTES) {
          const full = block;
          block = new Uint8Array(GZIP_WRITE_BYTES);
          filled = 0;
          await writer.write(full);
        }
      }
    };
    try {
      await feed(head);
      for (;;) {
        const r = await rest.next();
        if (r.done) break;
        stats.sourceBytes += r.value.length;
        await feed(r.value);
      }
      if (filled > 0) await writer.write(block.subarray(0, filled));
    } catch (e) {
      inputError = e;
    }
  })();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = (): Uint8Array => {
    const out = pending.length === 1 ? pending[0] : new Uint8Array(pendingBytes);
    if (pending.length > 1) {
      let o = 0;
      for (const c of pending) {
        out.set(c, o);
        o += c.length;
      }
    }
    pending = [];
    pendingBytes = 0;
    return out;
  };
  const INPUT_DONE = Symbol('input done');
  const IDLE = Symbol('idle');
  let closed = false;
  try {
    for (;;) {
      const read = reader.read();
      read.catch(() => {});
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        if (closed) r = await read;
        else {
          // Closing the decompressor on truncated input errors the stream and discards output still
          // queued, so close only once every byte produced so far has been read.
          const first = await Promise.race([read, inputDone.then((): typeof INPUT_DONE => INPUT_DONE)]);
          if (first !== INPUT_DONE) r = first;
          else {
            const settled = await Promise.race([read, new Promise<typeof IDLE>((res) => setTimeout(() => res(IDLE), 0))]);
            if (settled !== IDLE) r = settled;
            else {
              closed = true;
              if (inputError === null) writer.close().catch(() => {});
              else writer.abort(inputError).catch(() => {});
              r = await read;
            }
          }
        }
      } catch (e) {
        if (pendingBytes > 0) yield flush();
        const cause = inputError ?? e;
        throw new GzipError(cause instanceof Error ? cause.message : String(cause));
      }
      if (r.done) break;
      const value = plain(r.value);
      if (value.length >= COALESCE_BYTES && pendingBytes === 0) {
        yield value;
        continue;
      }
      pending.push(value);
      pendingBytes += value.length;
      if (pendingBytes >= COALESCE_BYTES) yield flush();
    }
    if (pendingBytes > 0) yield flush();
  } finally {
    reader.releaseLock();
  }
}

/** The gzip layer itself is damaged (truncated or corrupt compressed data). */
export class GzipError extends Error {
  constructor(detail: string) {
    super(`the gzip data is damaged or truncated (${detail})`);
    this.name = 'GzipError';
  }
}
