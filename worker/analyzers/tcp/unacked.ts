/**
 * One side's list of unacknowledged segments, as Wireshark 4.0 keeps it (`tcp_unacked_t`, spec §4,
 * §6.13, §6.14): every segment with data, SYN or FIN is added (while fewer than 10,000 are listed), and
 * each segment of the peer removes what its ack field covers. Only what the analysis needs is kept per
 * entry: the frame, whether the segment was sent more than once (Karn), the original start seq (to find
 * the segment a retransmission repeats), the end seq (`nextSeq`, SYN/FIN counted) and the time.
 *
 * Entries are stored oldest first, interleaved in one Float64Array (32 bytes each: one cache line holds
 * two), so an ACK touches little memory. While the end seqs only grow (the usual case) an ACK removes a
 * prefix, so it costs O(removed); otherwise the whole list is scanned, with the exact semantics of
 * Wireshark's loop (which is what keeps the count, and so the 10,000 cap, exact).
 */
const STRIDE = 4; // frame * 2 + retransmitted, seq (int32), next (int32), time (ns)

export class UnackedList {
  data: Float64Array;
  start = 0;
  end = 0;
  /** End seqs strictly increase from oldest to newest and span less than 2^31. */
  private ordered = true;

  // Result of the last `ack()`: the oldest entry whose end equals the ack (Wireshark's acks_frame).
  matched = false;
  matchFrame = 0;
  matchTs = 0;
  /**
   * The ack also covers a segment sent more than once (the matched one or another it removes), or
   * several listed copies matched: no RTT sample under Karn's rule.
   */
  matchAmbiguous = false;

  constructor(capacity = 8) {
    this.data = new Float64Array(capacity * STRIDE);
  }

  get length(): number {
    return this.end - this.start;
  }

  /** Bytes held (for memory accounting). */
  get bytes(): number {
    return this.data.length * 8;
  }

  /** Appends a segment (`seq`, `next` as int32). */
  push(frame: number, seq: number, next: number, retx: number, ts: number): void {
    if (this.end * STRIDE === this.data.length) this.makeRoom();
    const d = this.data;
    const e = this.end;
    if (e === this.start) this.ordered = true;
    else if (this.ordered) {
      const tail = d[(e - 1) * STRIDE + 2];
      const head = d[this.start * STRIDE + 2];
      if (((next - tail) | 0) <= 0 || ((next - head) | 0) <= 0) this.ordered = false;
    }
    const o = e * STRIDE;
    d[o] = frame * 2 + retx;
    d[o + 1] = seq;
    d[o + 2] = next;
    d[o + 3] = ts;
    this.end = e + 1;
  }

  private makeRoom(): void {
    const n = this.end - this.start;
    const cap = this.data.length / STRIDE;
    if (this.start > 0 && n <= cap >> 1) {
      this.data.copyWithin(0, this.start * STRIDE, this.end * STRIDE);
    } else {
      const d = new Float64Array(cap * 2 * STRIDE);
      d.set(this.data.subarray(this.start * STRIDE, this.end * STRIDE));
      this.data = d;
    }
    this.start = 0;
    this.end = n;
  }

  /**
   * Applies an ack from the peer (int32; spec §6.14): entries whose end is at or before the ack (in
   * sequence space) are removed; the oldest entry whose end equals the ack is the acked segment. Returns
   * the number of entries removed.
   */
  ack(ack: number): number {
    this.matched = false;
    this.matchAmbiguous = false;
    const start = this.start;
    const end = this.end;
    if (start === end) return 0;
    const d = this.data;
    if (this.ordered) {
      let i = start;
      let retx = 0;
      while (i < end && ((ack - d[i * STRIDE + 2]) | 0) >= 0) {
        retx |= d[i * STRIDE] % 2;
        i++;
      }
      // Removable entries of an ordered list are a prefix, unless the ack sits half the sequence
      // space away (then they are a suffix): scan generally in that case.
      if (i === end || ((ack - d[(end - 1) * STRIDE + 2]) | 0) < 0) {
        if (i > start && d[(i - 1) * STRIDE + 2] === ack) {
          const o = (i - 1) * STRIDE;
          this.matched = true;
          this.matchFrame = Math.floor(d[o] / 2);
          this.matchAmbiguous = retx !== 0;
          this.matchTs = d[o + 3];
        }
        if (i === end) this.start = this.end = 0;
        else this.start = i;
        return i - start;
      }
    }
    return this.scan(ack);
  }

  /** Wireshark's loop over every entry, keeping the order of what stays. */
  private scan(ack: number): number {
    const d = this.data;
    const start = this.start;
    const end = this.end;
    let w = start;
    let matches = 0;
    let ordered = true;
    for (let i = start; i < end; i++) {
      const o = i * STRIDE;
      const n = d[o + 2];
      if (((ack - n) | 0) >= 0) {
        if (d[o] % 2 !== 0) this.matchAmbiguous = true;
        if (n === ack) {
          if (matches === 0) {
            this.matchFrame = Math.floor(d[o] / 2);
            this.matchTs = d[o + 3];
          } else this.matchAmbiguous = true;
          matches++;
        }
        continue;
      }
      const ow = w * STRIDE;
      if (w !== i) {
        d[ow] = d[o];
        d[ow + 1] = d[o + 1];
        d[ow + 2] = n;
        d[ow + 3] = d[o + 3];
      }
      if (w > start && (((n - d[ow - STRIDE + 2]) | 0) <= 0 || ((n - d[start * STRIDE + 2]) | 0) <= 0)) ordered = false;
      w++;
    }
    this.matched = matches > 0;
    const removed = end - w;
    this.end = w;
    if (w === start) this.start = this.end = 0;
    this.ordered = ordered;
    return removed;
  }

  /**
   * The oldest listed segment whose original range holds `s` (int32; what a retransmission repeats):
   * marks it as sent more than once (Karn) and returns its frame, or -1. Only the oldest 256 entries are
   * searched (a retransmission repeats the oldest unacknowledged data), so a long list costs no more;
   * the retransmitted copy is marked when it is added anyway.
   */
  original(s: number): number {
    const d = this.data;
    const stop = Math.min(this.end, this.start + 256);
    for (let i = this.start; i < stop; i++) {
      const o = i * STRIDE;
      if (((s - d[o + 1]) | 0) >= 0 && ((s - d[o + 2]) | 0) < 0) {
        if (d[o] % 2 === 0) d[o] += 1;
        return Math.floor(d[o] / 2);
      }
    }
    return -1;
  }
}
