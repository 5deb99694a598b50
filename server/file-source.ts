import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Chunk size for reading captures from disk: large enough to amortise per-chunk work. */
export const FILE_CHUNK_BYTES = 1024 * 1024;

/** A capture file on disk as the engine's byte source, with its size for progress. */
export async function fileSource(path: string): Promise<{ source: AsyncIterable<Uint8Array>; size: number }> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a regular file`);
  return { source: createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES }), size: info.size };
}
