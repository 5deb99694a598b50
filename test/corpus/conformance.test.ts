import { describe, expect, it } from 'vitest';
import { analyzeCapture, MAX_REPORT_BYTES, validateReport } from '../../worker/index.js';
import { fileSource } from '../../server/file-source.js';
import { compare } from './conformance.js';
import { capturePath } from './corpus.js';
import { corpusPresentOrSkip, cleanlyReadCaptures } from './corpus-tests.js';

/**
 * The full analysis against tshark 4.0.17 on every capture tshark reads cleanly: the same comparison
 * `npm run conformance` prints as a table. Every report must also pass the report validator.
 */
describe('corpus conformance: full report vs tshark 4.0.17', () => {
  if (!corpusPresentOrSkip()) return;
  for (const { entry, ref } of cleanlyReadCaptures()) {
    it(entry.path, async () => {
      const { source, size } = await fileSource(capturePath(entry));
      const report = await analyzeCapture(source, { totalBytes: size, fileName: entry.path });
      const valid = validateReport(JSON.parse(JSON.stringify(report)));
      expect(valid.ok ? 'valid' : valid.error).toBe('valid');
      expect(JSON.stringify(report).length).toBeLessThan(MAX_REPORT_BYTES);
      const mismatches = compare(entry, report, ref).filter((r) => r.verdict === 'MISMATCH');
      expect(mismatches).toEqual([]);
    });
  }
});
