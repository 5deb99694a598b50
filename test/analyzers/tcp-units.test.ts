/** Building blocks of the TCP analyzer: unacked list, P² estimator, back-off rule, event sampling. */
import { describe, expect, it } from 'vitest';
import { EventStore, eventIndex } from '../../worker/analyzers/tcp/events.js';
import { followsDoubling } from '../../worker/analyzers/tcp/handshake.js';
import { FlowRttTable } from '../../worker/analyzers/tcp/rtt.js';
import { UnackedList } from '../../worker/analyzers/tcp/unacked.js';

/** Wireshark's list and loop, literally (spec §6.13–6.14), as the reference. */
class NaiveList {
  items: Array<{ frame: number; seq: number; next: number; retx: boolean }> = [];
  push(frame: number, seq: number, next: number, retx: boolean) {
    this.items.push({ frame, seq, next, retx });
  }
  ack(ack: number): { frame: number; removed: number; ambiguous: boolean } | { frame: 0; removed: number; ambiguous: boolean } {
    let frame = 0;
    let matches = 0;
    let ambiguous = false;
    const keep = [];
    for (const u of this.items) {
      if (((ack - u.next) | 0) >= 0) {
        if (u.retx) ambiguous = true;
        if (u.next === ack) {
          if (matches++ === 0) frame = u.frame;
          else ambiguous = true;
        }
      } else keep.push(u);
    }
    const removed = this.items.length - keep.length;
    this.items = keep;
    return { frame, removed, ambiguous };
  }
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

describe('UnackedList', () => {
  it('matches Wireshark’s loop on random segments, acks, retransmissions and wrap-around', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const list = new UnackedList(2);
      const ref = new NaiveList();
      let seq = seed % 3 === 0 ? -5000 : seed % 3 === 1 ? 0x7fff0000 | 0 : (r() * 2 ** 32) | 0;
      let acked = seq;
      for (let frame = 1; frame < 3000; frame++) {
        const x = r();
        if (x < 0.45) {
          const len = 1 + Math.floor(r() * 1500);
          const next = (seq + len) | 0;
          list.push(frame, seq, next, 0, frame * 1000);
          ref.push(frame, seq, next, false);
          seq = next;
        } else if (x < 0.55 && ref.items.length > 0) {
          // Retransmission of a listed segment (new copy at the end: the list is no longer ordered).
          const u = ref.items[Math.floor(r() * ref.items.length)];
          list.push(frame, u.seq, u.next, 1, frame * 1000);
          ref.push(frame, u.seq, u.next, true);
        } else if (x < 0.6) {
          // An ack far away (half the sequence space): removes a suffix, or nothing.
          const ack = (acked + 0x80000000 + Math.floor(r() * 5000)) | 0;
          const a = list.ack(ack);
          const b = ref.ack(ack);
          expect(a).toBe(b.removed);
          expect(list.matched ? list.matchFrame : 0).toBe(b.frame);
        } else {
          const target = ref.items.length > 0 && r() < 0.7 ? ref.items[Math.floor(r() * ref.items.length)].next : (acked + Math.floor(r() * 3000)) | 0;
          acked = target;
          const a = list.ack(target);
          const b = ref.ack(target);
          expect(a).toBe(b.removed);
          expect(list.matched ? list.matchFrame : 0).toBe(b.frame);
          if (list.matched) expect(list.matchAmbiguous).toBe(b.ambiguous);
          expect(list.length).toBe(ref.items.length);
        }
      }
    }
  });

  it('finds the segment a retransmission repeats and marks it', () => {
    const l = new UnackedList();
    l.push(10, 100, 200, 0, 0);
    l.push(11, 200, 300, 0, 1);
    expect(l.original(250)).toBe(11);
    expect(l.original(300)).toBe(-1);
    l.ack(300);
    expect(l.matchFrame).toBe(11);
    expect(l.matchAmbiguous).toBe(true); // frame 11 was sent again: no RTT sample
  });
});

describe('FlowRttTable (P² p95)', () => {
  it('is exact up to five samples and close after', () => {
    const t = new FlowRttTable();
    for (const x of [0.05, 0.01, 0.03]) {
      t.value = x;
      t.add(7);
    }
    expect(t.summary(7)).toEqual({ count: 3, min: 0.01, mean: expect.closeTo(0.03, 15), p95: expect.closeTo(0.048, 15), max: 0.05 });
    expect(t.summary(3)).toBeNull();
    const r = rng(99);
    const xs: number[] = [];
    for (let i = 0; i < 20000; i++) {
      // Log-normal-ish RTTs around 20 ms with a tail.
      const x = 0.02 * Math.exp((r() + r() + r() - 1.5) * 1.2);
      xs.push(x);
      t.value = x;
      t.add(1);
    }
    xs.sort((a, b) => a - b);
    const exact = xs[Math.floor(0.95 * (xs.length - 1))];
    const s = t.summary(1)!;
    expect(s.count).toBe(20000);
    expect(s.min).toBe(xs[0]);
    expect(s.max).toBe(xs[xs.length - 1]);
    expect(Math.abs(s.p95 - exact) / exact).toBeLessThan(0.03);
  });
});

describe('SYN back-off rule', () => {
  it('accepts doubling within ±25 %', () => {
    expect(followsDoubling([1, 2, 4])).toBe(true);
    expect(followsDoubling([3, 6, 12, 24])).toBe(true);
    expect(followsDoubling([1.02, 1.98, 4.1])).toBe(true);
    expect(followsDoubling([1])).toBe(true);
    expect(followsDoubling([1, 1, 0.5])).toBe(false);
    expect(followsDoubling([1, 3])).toBe(false);
    expect(followsDoubling([0, 1])).toBe(false);
  });
});

describe('EventStore', () => {
  it('shares a capped list fairly between event types', () => {
    const s = new EventStore(1000);
    const ka = eventIndex('keep_alive');
    const rst = eventIndex('rst');
    const dup = eventIndex('duplicate_ack');
    for (let i = 1; i <= 5000; i++) s.add(ka, i, i / 10, 0, -1);
    for (let i = 1; i <= 3; i++) s.add(rst, 10_000 + i, 1000, 1, -1);
    for (let i = 1; i <= 200; i++) s.add(dup, 20_000 + i, 2000, 2, i);
    const out = s.select(100, (type, d) => (type === 'duplicate_ack' ? `#${d}` : undefined));
    const by = (t: string) => out.items.filter((e) => e.type === t).length;
    expect(out.items).toHaveLength(100);
    expect(out.omitted).toBe(5203 - 100);
    expect(by('rst')).toBe(3);
    expect(by('keep_alive') + by('duplicate_ack')).toBe(97);
    expect(Math.abs(by('keep_alive') - by('duplicate_ack'))).toBeLessThanOrEqual(1);
    // Spread over the stored events, in frame order.
    const kas = out.items.filter((e) => e.type === 'keep_alive').map((e) => e.frame);
    expect(kas[0]).toBe(1);
    expect(kas.at(-1)!).toBeGreaterThan(900);
    expect(out.items.map((e) => e.frame)).toEqual(out.items.map((e) => e.frame).sort((a, b) => a - b));
  });
});
