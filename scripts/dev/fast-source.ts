// Dev aid (prototype of a proposed server/file-source.ts change): reads a file with one FileHandle into
// a small ring of reused buffers, the next read always in flight while a chunk is processed. Fresh
// 1 MiB buffers per chunk (createReadStream) cost page faults and GC work for every chunk.
import { open } from 'node:fs/promises';

export async function* ringFileSource(path: string, chunkBytes = 1 << 20, ring = 3): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const bufs = Array.from({ length: ring }, () => new Uint8Array(chunkBytes));
    let i = 0;
    let pending = fh.read(bufs[0], 0, chunkBytes, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) return;
      const cur = bufs[i];
      i = (i + 1) % ring;
      // The next read goes into a buffer the consumer is done with (it asked for the chunk after it).
      pending = fh.read(bufs[i], 0, chunkBytes, null);
      yield bytesRead === chunkBytes ? cur : cur.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
