import { summarizeCapture, type CaptureSummary } from '../../worker/index.js';

/** Splits bytes into chunks of the given sizes, cycling through them. */
export function* chunked(bytes: Uint8Array, sizes: number[]): Generator<Uint8Array> {
  let p = 0;
  let i = 0;
  while (p < bytes.length) {
    const n = sizes[i++ % sizes.length];
    // Copy, so a reader that kept a reference to an earlier chunk would be caught by later reuse.
    yield bytes.slice(p, p + n);
    p += n;
  }
}

export async function summarizeBytes(bytes: Uint8Array, sizes: number[] = [1 << 20]): Promise<CaptureSummary> {
  return summarizeCapture(chunked(bytes, sizes), { totalBytes: bytes.length });
}
