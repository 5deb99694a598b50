import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temporary files of atomic writes start with this; the sweep removes stale ones. */
export const TMP_PREFIX = '.tmp-';

/**
 * Writes a file so readers see either the old content or the whole new content: write a temporary
 * file in the same directory, flush it to disk, then rename it over the target.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `${TMP_PREFIX}${basename(path)}.${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Reads a small JSON file; null when it does not exist or is not valid JSON. */
export async function readJson(path: string, maxBytes = 64 * 1024): Promise<unknown> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const { size } = await fh.stat();
    if (size > maxBytes) return null;
    const text = await fh.readFile('utf8');
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  } finally {
    await fh.close();
  }
}
