import { it } from 'vitest';
import { CORPUS_PRESENT, corpusAbsentMessage, manifest, reference, type ManifestEntry, type Reference } from './corpus.js';

/**
 * For use inside a `describe`: when the corpus is absent, registers one skipped test named after the
 * reason (and warns on the console), so a run without it says so instead of passing silently.
 */
export function corpusPresentOrSkip(): boolean {
  if (CORPUS_PRESENT) return true;
  it.skip(corpusAbsentMessage(), () => {});
  console.warn(corpusAbsentMessage());
  return false;
}

/** The corpus captures tshark read cleanly, each with its reference figures. */
export function cleanlyReadCaptures(): { entry: ManifestEntry; ref: Reference }[] {
  return manifest().flatMap((entry) => {
    const ref = reference(entry);
    return ref && ref.status === 'ok' ? [{ entry, ref }] : [];
  });
}
