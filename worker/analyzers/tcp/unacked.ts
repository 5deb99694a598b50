/**
 * Each side's list of unacknowledged segments, as Wireshark 4.0 keeps it (`tcp_unacked_t`, spec §4,
 * §6.13, §6.14): every segment with data, SYN or FIN is added (while fewer than 10,000 are listed), and
 * each segment of the peer removes what its ack field covers. Only what the analysis needs is kept per
 * entry: the frame, whether the segment was sent more than once (Karn), the original start seq (to find
 * the segment a retransmission repeats), the end seq (`nextSeq`, SYN/FIN counted) and the time.
 *
 * All lists live in one arena (`UnackedLists`), addressed by side `k` (slot * 2 + side, as in
 * sequence.ts): a list is a ring of 2^n entries in one ArrayBuffer, 24 bytes per entry, and its header
 * (where its ring is, oldest entry, length) sits with the other side's in 32 bytes. A list per
 * side as an object with its own typed array cost, per packet, loads of two list objects, two typed-array
 * objects and two separate backing stores (the cold misses that dominated the sequence analysis), an
 * allocation and a GC-tracked external buffer per list, and a float modulo per entry for the flag packed
 * with the frame number. Rings start at 2 entries and double (the entries are copied); the ring a list
 * leaves, or a dropped list's, goes to a free list of its size for the next list to take.
 *
 * While the end seqs only grow (the usual case) an ACK removes a prefix, so it costs O(removed);
 * otherwise the whole list is scanned, with the exact semantics of Wireshark's loop (which is what keeps
 * the count, and so the 10,000 cap, exact).
 */

/**
 * Entry layout, in int32 words (Ent.SIZE = 6 words = 24 bytes): frame, retransmitted (0/1), seq, next,
 * then the time in ns as a float64 (words 4–5, so at float64 index entry * 3 + 2). Const enums, inlined
 * by bundlers (see Proto in decode/protocols.ts).
 */
const enum Ent {
  FRAME = 0,
  RETX = 1,
  SEQ = 2,
  NEXT = 3,
  SIZE = 6,
}

/**
 * Header of side k, in int32 words at k * Hdr.SIZE (4 words = 16 bytes: both sides of a slot in half a
 * line). Whether the list is ordered is kept apart (`ordered[k]`): 200,000 conversations' headers are
 * then 6.4 MB, not 12.8.
 */
const enum Hdr {
  /** First entry of the ring in the arena, or -1 (no ring yet). */
  BASE = 0,
  /** Ring size (a power of two), 0 without a ring. */
  CAP = 1,
  /** Ring position of the oldest entry. */
  HEAD = 2,
  LEN = 3,
  SIZE = 4,
}

const enum Ring {
  /**
   * Entries of a list's first ring. Two: many lists never hold more than a SYN (a SYN flood's hundreds
   * of thousands of half-open connections: 48 bytes each, not 96); longer lists double from there.
   */
  FIRST = 2,
  /** Size classes of rings: FIRST << c entries. 14 classes reach 16,384 (above MAX_UNACKED in sequence.ts). */
  CLASSES = 14,
}

export class UnackedLists {
  private H = new Int32Array(0);
  /** Per side k: 1 while end seqs strictly increase from oldest to newest and span less than 2^31. */
  private ordered = new Uint8Array(0);
  private E = new Int32Array(Ent.SIZE * 256);
  private T = new Float64Array(this.E.buffer);
  /** Entries handed out from the arena so far (rings taken from free lists are reused memory). */
  private top = 0;
  /** Head of each size class's free list (an entry index; the ring's first word links to the next), or -1. */
  private readonly free = new Int32Array(Ring.CLASSES).fill(-1);

  // Result of the last `ack()`: the oldest entry whose end equals the ack (Wireshark's acks_frame).
  matched = false;
  matchFrame = 0;
  matchTs = 0;
  /**
   * The ack also covers a segment sent more than once (the matched one or another it removes), or
   * several listed copies matched: no RTT sample under Karn's rule.
   */
  matchAmbiguous = false;

  /** Room for the headers of `sides` sides (new sides have no ring). */
  grow(sides: number): void {
    if (sides * Hdr.SIZE <= this.H.length) return;
    const H = new Int32Array(sides * Hdr.SIZE);
    H.set(this.H);
    for (let k = this.H.length / Hdr.SIZE; k < sides; k++) H[k * Hdr.SIZE + Hdr.BASE] = -1;
    this.H = H;
    const ordered = new Uint8Array(sides);
    ordered.set(this.ordered);
    this.ordered = ordered;
  }

  length(k: number): number {
    return this.H[k * Hdr.SIZE + Hdr.LEN];
  }

  /** Bytes held by the arena (for memory accounting). */
  get bytes(): number {
    return this.E.byteLength + this.H.byteLength + this.ordered.byteLength;
  }

  /** Appends a segment (`seq`, `next` as int32) to side k's list. */
  push(k: number, frame: number, seq: number, next: number, retx: number, ts: number): void {
    const H = this.H;
    const h = k * Hdr.SIZE;
    const len = H[h + Hdr.LEN];
    if (len === H[h + Hdr.CAP]) this.enlarge(h);
    const E = this.E;
    const base = H[h + Hdr.BASE];
    const mask = H[h + Hdr.CAP] - 1;
    const head = H[h + Hdr.HEAD];
    if (len === 0) this.ordered[k] = 1;
    else if (this.ordered[k] !== 0) {
      const tail = E[(base + ((head + len - 1) & mask)) * Ent.SIZE + Ent.NEXT];
      const first = E[(base + head) * Ent.SIZE + Ent.NEXT];
      if (((next - tail) | 0) <= 0 || ((next - first) | 0) <= 0) this.ordered[k] = 0;
    }
    const e = base + ((head + len) & mask);
    const o = e * Ent.SIZE;
    E[o + Ent.FRAME] = frame;
    E[o + Ent.RETX] = retx;
    E[o + Ent.SEQ] = seq;
    E[o + Ent.NEXT] = next;
    this.T[e * 3 + 2] = ts;
    H[h + Hdr.LEN] = len + 1;
  }

  /** A ring twice the size (or the first one) for the list of header `h`, entries copied oldest first. */
  private enlarge(h: number): void {
    const H = this.H;
    const cap = H[h + Hdr.CAP];
    const c = cap === 0 ? 0 : 31 - Math.clz32(cap / Ring.FIRST) + 1;
    const base = this.take(c);
    const oldBase = H[h + Hdr.BASE];
    if (cap > 0) {
      const E = this.E;
      const head = H[h + Hdr.HEAD];
      // Oldest first: the part from head to the ring's end, then the wrapped part.
      const first = cap - head;
      E.copyWithin(base * Ent.SIZE, (oldBase + head) * Ent.SIZE, (oldBase + cap) * Ent.SIZE);
      if (head > 0) E.copyWithin((base + first) * Ent.SIZE, oldBase * Ent.SIZE, (oldBase + head) * Ent.SIZE);
      this.release(oldBase, c - 1);
    }
    H[h + Hdr.BASE] = base;
    H[h + Hdr.CAP] = Ring.FIRST << c;
    H[h + Hdr.HEAD] = 0;
  }

  /** A ring of class c: from its free list, else from the end of the arena (grown by doubling). */
  private take(c: number): number {
    const f = this.free[c];
    if (f >= 0) {
      this.free[c] = this.E[f * Ent.SIZE];
      return f;
    }
    const n = Ring.FIRST << c;
    const base = this.top;
    if ((base + n) * Ent.SIZE > this.E.length) {
      const E = new Int32Array(Math.max((base + n) * Ent.SIZE, this.E.length * 2));
      E.set(this.E);
      this.E = E;
      this.T = new Float64Array(E.buffer);
    }
    this.top = base + n;
    return base;
  }

  private release(base: number, c: number): void {
    this.E[base * Ent.SIZE] = this.free[c];
    this.free[c] = base;
  }

  /** Empties side k's list and gives its ring back; returns the entries it held. */
  drop(k: number): number {
    const H = this.H;
    const h = k * Hdr.SIZE;
    const n = H[h + Hdr.LEN];
    const cap = H[h + Hdr.CAP];
    if (cap > 0) this.release(H[h + Hdr.BASE], 31 - Math.clz32(cap / Ring.FIRST));
    H[h + Hdr.BASE] = -1;
    H[h + Hdr.CAP] = 0;
    H[h + Hdr.HEAD] = 0;
    H[h + Hdr.LEN] = 0;
    return n;
  }

  /**
   * Applies an ack from the peer (int32; spec §6.14) to side k's list: entries whose end is at or
   * before the ack (in sequence space) are removed; the oldest entry whose end equals the ack is the
   * acked segment. Returns the number of entries removed.
   */
  ack(k: number, ack: number): number {
    this.matched = false;
    this.matchAmbiguous = false;
    const H = this.H;
    const h = k * Hdr.SIZE;
    const len = H[h + Hdr.LEN];
    if (len === 0) return 0;
    if (this.ordered[k] !== 0) {
      const E = this.E;
      const base = H[h + Hdr.BASE];
      const mask = H[h + Hdr.CAP] - 1;
      const head = H[h + Hdr.HEAD];
      let i = 0;
      let retx = 0;
      while (i < len) {
        const o = (base + ((head + i) & mask)) * Ent.SIZE;
        if (((ack - E[o + Ent.NEXT]) | 0) < 0) break;
        retx |= E[o + Ent.RETX];
        i++;
      }
      // Removable entries of an ordered list are a prefix, unless the ack sits half the sequence
      // space away (then they are a suffix): scan generally in that case.
      if (i === len || ((ack - E[(base + ((head + len - 1) & mask)) * Ent.SIZE + Ent.NEXT]) | 0) < 0) {
        if (i > 0) {
          const e = base + ((head + i - 1) & mask);
          if (E[e * Ent.SIZE + Ent.NEXT] === ack) {
            this.matched = true;
            this.matchFrame = E[e * Ent.SIZE + Ent.FRAME];
            this.matchAmbiguous = retx !== 0;
            this.matchTs = this.T[e * 3 + 2];
          }
        }
        H[h + Hdr.HEAD] = i === len ? 0 : (head + i) & mask;
        H[h + Hdr.LEN] = len - i;
        return i;
      }
    }
    return this.scan(k, ack);
  }

  /** Wireshark's loop over every entry, keeping the order of what stays. */
  private scan(k: number, ack: number): number {
    const h = k * Hdr.SIZE;
    const H = this.H;
    const E = this.E;
    const T = this.T;
    const base = H[h + Hdr.BASE];
    const mask = H[h + Hdr.CAP] - 1;
    const head = H[h + Hdr.HEAD];
    const len = H[h + Hdr.LEN];
    let w = 0;
    let matches = 0;
    let ordered = 1;
    let firstNext = 0;
    let prevNext = 0;
    for (let i = 0; i < len; i++) {
      const e = base + ((head + i) & mask);
      const o = e * Ent.SIZE;
      const n = E[o + Ent.NEXT];
      if (((ack - n) | 0) >= 0) {
        if (E[o + Ent.RETX] !== 0) this.matchAmbiguous = true;
        if (n === ack) {
          if (matches === 0) {
            this.matchFrame = E[o + Ent.FRAME];
            this.matchTs = T[e * 3 + 2];
          } else this.matchAmbiguous = true;
          matches++;
        }
        continue;
      }
      if (w !== i) {
        const ew = base + ((head + w) & mask);
        const ow = ew * Ent.SIZE;
        E[ow + Ent.FRAME] = E[o + Ent.FRAME];
        E[ow + Ent.RETX] = E[o + Ent.RETX];
        E[ow + Ent.SEQ] = E[o + Ent.SEQ];
        E[ow + Ent.NEXT] = n;
        T[ew * 3 + 2] = T[e * 3 + 2];
      }
      if (w === 0) firstNext = n;
      else if (((n - prevNext) | 0) <= 0 || ((n - firstNext) | 0) <= 0) ordered = 0;
      prevNext = n;
      w++;
    }
    this.matched = matches > 0;
    H[h + Hdr.LEN] = w;
    if (w === 0) H[h + Hdr.HEAD] = 0;
    this.ordered[k] = ordered;
    return len - w;
  }

  /**
   * The oldest listed segment of side k whose original range holds `s` (int32; what a retransmission
   * repeats): marks it as sent more than once (Karn) and returns its frame, or -1. Only the oldest 256
   * entries are searched (a retransmission repeats the oldest unacknowledged data), so a long list
   * costs no more; the retransmitted copy is marked when it is added anyway.
   */
  original(k: number, s: number): number {
    const H = this.H;
    const E = this.E;
    const h = k * Hdr.SIZE;
    const base = H[h + Hdr.BASE];
    const mask = H[h + Hdr.CAP] - 1;
    const head = H[h + Hdr.HEAD];
    const stop = Math.min(H[h + Hdr.LEN], 256);
    for (let i = 0; i < stop; i++) {
      const o = (base + ((head + i) & mask)) * Ent.SIZE;
      if (((s - E[o + Ent.SEQ]) | 0) >= 0 && ((s - E[o + Ent.NEXT]) | 0) < 0) {
        E[o + Ent.RETX] = 1;
        return E[o + Ent.FRAME];
      }
    }
    return -1;
  }
}

/** One list on its own (an arena of one side): the unit tests' view of the same code. */
export class UnackedList {
  private readonly lists = new UnackedLists();

  /** `_capacity` is ignored: ring sizes are the arena's (kept for callers of the former list class). */
  constructor(_capacity?: number) {
    this.lists.grow(1);
  }

  get length(): number {
    return this.lists.length(0);
  }

  get matched(): boolean {
    return this.lists.matched;
  }

  get matchFrame(): number {
    return this.lists.matchFrame;
  }

  get matchTs(): number {
    return this.lists.matchTs;
  }

  get matchAmbiguous(): boolean {
    return this.lists.matchAmbiguous;
  }

  push(frame: number, seq: number, next: number, retx: number, ts: number): void {
    this.lists.push(0, frame, seq, next, retx, ts);
  }

  ack(ack: number): number {
    return this.lists.ack(0, ack);
  }

  original(s: number): number {
    return this.lists.original(0, s);
  }
}
