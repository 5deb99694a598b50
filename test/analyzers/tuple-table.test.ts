import { describe, expect, it } from 'vitest';
import { K_DPORT, K_SPORT, TupleTable } from '../../worker/analyzers/tuple-table.js';

/** xorshift32, so every run checks the same tuples. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

describe('TupleTable', () => {
  it('finds tuples either way round, through rehashing and growth, like a map of unordered pairs', () => {
    const t = new TupleTable(100_000, 16);
    const next = rng(42);
    const ref = new Map<string, { idx: number; a: string }>();
    const tuples: Array<{ v: number; p: number; s: number[]; d: number[]; sp: number; dp: number }> = [];
    for (let i = 0; i < 5000; i++) {
      const v = next() % 3 === 0 ? 6 : 4;
      // Unsigned words, many of them ≥ 2^31 (the key holds them as int32).
      const word = () => (next() % 4 === 0 ? next() % 8 : next());
      const s = v === 4 ? [word(), 0, 0, 0] : [word(), word(), word(), word()];
      const d = next() % 50 === 0 ? [...s] : v === 4 ? [word(), 0, 0, 0] : [word(), word(), word(), word()];
      tuples.push({ v, p: next() % 2 === 0 ? 6 : 17, s, d, sp: next() % 65536, dp: next() % 65536 });
    }
    const keyOf = (x: (typeof tuples)[number], rev: boolean) =>
      rev ? `${x.v}/${x.p}/${x.d.join('.')}:${x.dp}/${x.s.join('.')}:${x.sp}` : `${x.v}/${x.p}/${x.s.join('.')}:${x.sp}/${x.d.join('.')}:${x.dp}`;
    for (let round = 0; round < 3; round++) {
      for (const x of tuples) {
        const rev = next() % 2 === 1;
        const [src, dst, sp, dp] = rev ? [x.d, x.s, x.dp, x.sp] : [x.s, x.d, x.sp, x.dp];
        const k = t.key;
        for (let i = 0; i < 4; i++) {
          k[i] = src[i];
          k[4 + i] = dst[i];
        }
        k[K_SPORT] = sp;
        k[K_DPORT] = dp;
        let idx = t.lookup(x.v, x.p);
        const known = ref.get(keyOf(x, false));
        if (idx < 0) {
          expect(known).toBeUndefined();
          idx = t.insert(idx, x.v, x.p);
          ref.set(keyOf(x, false), { idx, a: keyOf(x, rev) });
          expect(t.dir).toBe(0);
        } else {
          expect(idx).toBe(known!.idx);
          // Side A is the source of the tuple's first packet.
          const sameWay = keyOf(x, rev) === known!.a;
          if (keyOf(x, false) !== keyOf(x, true)) expect(t.dir).toBe(sameWay ? 0 : 1);
        }
        // The compatibility lookup (unsigned words as arguments) agrees.
        expect(t.find(x.v, x.p, src[0], src[1], src[2], src[3], sp, dst[0], dst[1], dst[2], dst[3], dp)).toBe(idx);
      }
    }
    expect(t.size).toBe(ref.size);
    // Stored words read back unsigned.
    const x = tuples[0];
    const first = ref.get(keyOf(x, false))!;
    const stored = [0, 1, 2, 3].map((i) => t.addrA[first.idx * 4 + i]);
    expect(stored.every((w) => w >= 0)).toBe(true);
  });

  it('supersedes an entry: the tuple then finds the new one', () => {
    const t = new TupleTable(100, 4);
    t.setV4(0xc0a80001 | 0, 0x0a000001);
    t.setPorts(1234, 80);
    const a = t.insert(t.lookup(4, 6), 4, 6);
    t.setV4(0x0a000001, 0xc0a80001 | 0);
    t.setPorts(80, 1234);
    expect(t.lookup(4, 6)).toBe(a);
    expect(t.dir).toBe(1);
    const b = t.supersede(a);
    expect(b).not.toBe(a);
    expect(t.dir).toBe(0);
    expect(t.superseded[a]).toBe(1);
    // The new entry's side A is the superseding packet's source.
    expect(t.lookup(4, 6)).toBe(b);
    expect(t.dir).toBe(0);
    expect(t.addrA[b * 4]).toBe(0x0a000001);
    expect(t.addrB[b * 4]).toBe(0xc0a80001);
  });
});
