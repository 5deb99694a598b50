import { open, stat } from 'node:fs/promises';

/** Chunk size for reading captures from disk: large enough to amortise per-chunk work. */
export const FILE_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * A capture file on disk as the engine's byte source, with its size for progress.
 *
 * One file handle reads into a small ring of reused buffers with the next read always in flight, so
 * the engine never waits on the disk and no fresh buffer is allocated per chunk (a new 1 MiB Buffer
 * per chunk cost page faults and a large share of GC time). A chunk is only valid until the consumer
 * asks for the next one — the engine's contract for byte sources (see worker/input.ts).
 */
export async function fileSource(path: string, chunkBytes = FILE_CHUNK_BYTES): Promise<{ source: AsyncIterable<Uint8Array>; size: number }> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a regular file`);
  return { source: ringRead(path, chunkBytes), size: info.size };
}

async function* ringRead(path: string, chunkBytes: number): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    // Three buffers: one being processed, one being read, one spare.
    const bufs = [new Uint8Array(chunkBytes), new Uint8Array(chunkBytes), new Uint8Array(chunkBytes)];
    let i = 0;
    let pending = fh.read(bufs[0], 0, chunkBytes, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) return;
      const current = bufs[i];
      i = (i + 1) % bufs.length;
      // The consumer has finished with the chunk before this one (it asked for this one), so the
      // buffer after `current` in the ring is free to read into.
      pending = fh.read(bufs[i], 0, chunkBytes, null);
      yield bytesRead === chunkBytes ? current : current.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
