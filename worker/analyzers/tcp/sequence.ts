/**
 * Wireshark 4.0.17's TCP sequence analysis (`tcp_analyze_sequence_number`, packet-tcp.c L2110–L2690),
 * ported from the verified reference model of docs/tcp-analysis-wireshark-4.0.md (Appendix A). Section
 * numbers in comments (§6.x) refer to that document.
 *
 * State lives in one 64-byte record (a cache line) per side `k = slot * 2 + side`, where slot is one
 * live conversation and side the flow-table side (0 = A, 1 = B) of the segment's sender, read through an
 * Int32Array view (`I`, 16 per record) and a Float64Array view (`F`, 8 per record) of the same memory.
 * Wireshark keys its two flows by address order instead; the pairing is fixed per conversation, so this
 * is the same state under other names (a "land" packet, same address and port both ways, always has
 * side 0 as sender, as Wireshark always uses flow2).
 *
 * What is not modelled because no reported figure depends on it: bytes in flight and push bytes (and
 * so SACK blocks, which in 4.0 only feed bytes in flight), relative sequence numbers, RTO display fields.
 * Sequence and ack numbers are held as int32 (the same 32 bits as Wireshark's guint32: equality, `| 0`
 * wrap-around and the `(a - b) | 0` sequence comparisons are unchanged). That keeps them small integers
 * for V8, so nothing is boxed on the per-packet path. Windows are int32 too, with -1 for Wireshark's
 * 0xFFFFFFFF "no window yet", and so is the dup-ACK counter, with -1 for its (guint32)-1.
 * Times are nanoseconds since the conversation's first packet (exact below 2^53 ns, about 104 days),
 * passed in `now`.
 */
import { TcpFlag } from '../../decode/packet.js';
import { UnackedLists } from './unacked.js';

/** Wireshark's TCP_A_* analysis flags (ta->flags), as TA.*. */
export const enum TA {
  RETRANSMISSION = 0x0001,
  LOST_PACKET = 0x0002,
  ACK_LOST_PACKET = 0x0004,
  KEEP_ALIVE = 0x0008,
  DUPLICATE_ACK = 0x0010,
  ZERO_WINDOW = 0x0020,
  ZERO_WINDOW_PROBE = 0x0040,
  ZERO_WINDOW_PROBE_ACK = 0x0080,
  KEEP_ALIVE_ACK = 0x0100,
  OUT_OF_ORDER = 0x0200,
  FAST_RETRANSMISSION = 0x0400,
  WINDOW_UPDATE = 0x0800,
  WINDOW_FULL = 0x1000,
  REUSED_PORTS = 0x2000,
  SPURIOUS_RETRANSMISSION = 0x4000,
  /** The bits that make a frame a retransmission for `tcp.analysis.retransmission`. */
  ANY_RETRANSMISSION = RETRANSMISSION | FAST_RETRANSMISSION | SPURIOUS_RETRANSMISSION,
}
export const A_REUSED_PORTS = TA.REUSED_PORTS;

// The numeric constants here are const enums (their members are inlined by bundlers; see Proto in
// decode/protocols.ts).
const enum Limit {
  /** Wireshark's cap on listed unacked segments per side (tcp_analyze_seq_info, MAX_UNACKED_SEGMENTS). */
  MAX_UNACKED = 10_000,
  FAST_RT_NS = 20_000_000,
  OOO_DEFAULT_NS = 3_000_000,
}
export const MAX_UNACKED = Limit.MAX_UNACKED;

/** Int32 fields of a side record (index k * 16 + field). */
export const enum Seq {
  /** Raw window of the side's last analysed segment (-1 = Wireshark's initial 0xFFFFFFFF). */
  WIN = 0,
  /** Window scale: -1 unknown, -2 not used, else the shift. */
  SCALE = 1,
  /** Between the side's SYN (or SYN/ACK) and its first pure ACK: its window is unscaled. */
  FIRST_ACK = 2,
  /** ta.flags of the side's last analysed segment. */
  LAST_FLAGS = 3,
  LAST_ACK = 4,
  /** Frame where the side's ack value last changed. */
  LAST_NON_DUP = 5,
  /** Dup-ACK counter; -1 is the "(guint32)-1" of §12 #5 (and compares as ≥ 2). */
  DUP_ACKS = 6,
  NEXT_SEQ = 7,
  MAX_TO_ACK = 8,
}
/** Float64 fields of a side record (index k * 8 + field). */
export const enum SeqF {
  LAST_ACK_TIME = 5,
  NEXT_SEQ_TIME = 6,
  /** Side 0: time of the most recent pure SYN (NaN = unset: Wireshark's "0", as a SYN at epoch 0 reads). Side 1: iRTT in ns (0 = unset). */
  SLOT_TIME = 7,
}

export class SeqState {
  capacity = 0;
  I = new Int32Array(0);
  F = new Float64Array(0);
  /** The unacked lists of every side (`k` = slot * 2 + side). */
  readonly lists = new UnackedLists();

  /** Entries in all lists (for the memory budget). */
  listed = 0;
  /** Time of the segment being analysed (ns since the conversation's first packet). */
  now = 0;

  // Outputs of the last analyze() call.
  dupAckNum = 0;
  dupAckFrame = 0;
  /** Frame the segment acknowledged (Wireshark's acks_frame), or 0. */
  ackedFrame = 0;
  /** Wireshark's ack_rtt in ns (when ackedFrame ≠ 0). */
  ackRtt = 0;
  /** The same, when usable as an RTT sample under Karn's rule (the acked segment was sent once), else -1. */
  rttSample = -1;
  /** Frame of the segment a retransmission repeats, when still listed, else -1. */
  retransOf = -1;
  /** Payload bytes of this segment beyond everything the side sent before (goodput). */
  newBytes = 0;
  /** Bytes missing before a lost_segment. */
  gap = 0;

  grow(slots: number): void {
    const buf = new ArrayBuffer(slots * 2 * 64);
    const I = new Int32Array(buf);
    I.set(this.I);
    this.I = I;
    this.F = new Float64Array(buf);
    this.lists.grow(slots * 2);
    this.capacity = slots;
  }

  scale(k: number): number {
    return this.I[k * 16 + Seq.SCALE];
  }

  /** iRTT of a slot in ns, 0 when unset. */
  irtt(slot: number): number {
    return this.F[(slot * 2 + 1) * 8 + SeqF.SLOT_TIME];
  }

  /** Fresh conversation state in `slot`. */
  reset(slot: number): void {
    const I = this.I;
    const F = this.F;
    for (let k = slot * 2; k < slot * 2 + 2; k++) {
      I.fill(0, k * 16, k * 16 + 10);
      I[k * 16 + Seq.WIN] = -1;
      I[k * 16 + Seq.SCALE] = -1;
      // Wireshark's unset times are 0 (the epoch): deltas from them are huge, as from -Infinity here.
      F[k * 8 + SeqF.LAST_ACK_TIME] = -Infinity;
      F[k * 8 + SeqF.NEXT_SEQ_TIME] = -Infinity;
      this.listed -= this.lists.drop(k);
    }
    F[slot * 16 + SeqF.SLOT_TIME] = NaN;
    F[slot * 16 + 8 + SeqF.SLOT_TIME] = 0;
  }

  /** Drops a side's unacked list (memory pressure); returns the entries dropped. */
  dropList(k: number): number {
    const n = this.lists.drop(k);
    this.listed -= n;
    return n;
  }

  /**
   * §6: analyses one segment of side `dir` of `slot` at time `now`. `seq`/`ack` are int32; `ta` is the
   * frame's analysis flags so far (e.g. REUSED_PORTS); returns them with this segment's flags added.
   * Sets the output fields above.
   */
  analyze(slot: number, dir: number, frame: number, seq: number, ack: number, seglen: number, flags: number, win: number, ta: number): number {
    const t = this.now;
    const I = this.I;
    const F = this.F;
    const kf = slot * 2 + dir;
    const kr = kf ^ 1;
    const f = kf * 16; // int32 record of the sender
    const r = kr * 16; // and of its peer
    const ff = kf * 8; // float64 records
    const fr = kr * 8;
    const notSFR = (flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) === 0;
    this.dupAckNum = 0;
    this.ackedFrame = 0;
    this.retransOf = -1;
    this.newBytes = 0;
    let sample = false;
    const nsf = I[f + Seq.NEXT_SEQ];

    // §6.1 zero-window probe: one byte at nextSeq while the peer's last window was 0; skips §6.2–6.9.
    if (seglen === 1 && seq === nsf && I[r + Seq.WIN] === 0) {
      ta |= TA.ZERO_WINDOW_PROBE;
    } else {
      // §6.2 zero window
      if (win === 0 && notSFR) ta |= TA.ZERO_WINDOW;
      // §6.3 lost segment (previous segment not captured)
      if (nsf !== 0 && ((nsf - seq) | 0) < 0 && (flags & TcpFlag.RST) === 0) {
        ta |= TA.LOST_PACKET;
        this.gap = (seq - nsf) | 0;
      }
      // §6.4 keep-alive: 0 or 1 byte at nextSeq - 1
      if ((seglen === 0 || seglen === 1) && seq === ((nsf - 1) | 0) && notSFR) ta |= TA.KEEP_ALIVE;
      const laf = I[f + Seq.LAST_ACK];
      const wf = I[f + Seq.WIN];
      // §6.5 window update
      if (seglen === 0 && win !== 0 && win !== wf && seq === nsf && ack === laf && notSFR) ta |= TA.WINDOW_UPDATE;
      // §6.6 window full: only when the peer's scale is known; unscaled while the peer awaits its first ACK
      if (seglen > 0 && notSFR) {
        const sc = I[r + Seq.SCALE];
        if (sc !== -1) {
          const shift = I[r + Seq.FIRST_ACK] !== 0 || sc === -2 ? 0 : sc;
          if (((seq + seglen) | 0) === ((I[r + Seq.LAST_ACK] + (I[r + Seq.WIN] << shift)) | 0)) ta |= TA.WINDOW_FULL;
        }
      }
      if (seglen === 0 && seq === nsf && ack === laf && notSFR) {
        if (win !== 0 && win === wf && (I[r + Seq.LAST_FLAGS] & TA.KEEP_ALIVE) !== 0) {
          ta |= TA.KEEP_ALIVE_ACK; // §6.7
        } else if (win === 0 && wf === 0 && (I[r + Seq.LAST_FLAGS] & TA.ZERO_WINDOW_PROBE) !== 0) {
          ta |= TA.ZERO_WINDOW_PROBE_ACK; // §6.8
        } else if (win !== 0 && win === wf) {
          // §6.9 duplicate ACK
          const d = I[f + Seq.DUP_ACKS];
          const n = d === -1 ? 1 : (d + 1) | 0;
          I[f + Seq.DUP_ACKS] = n;
          ta |= TA.DUPLICATE_ACK;
          this.dupAckNum = n;
          this.dupAckFrame = I[f + Seq.LAST_NON_DUP];
        }
      }
    }
    // §6.10 the dup-ACK counter restarts only when the ack value changes
    if (ack !== I[f + Seq.LAST_ACK]) {
      I[f + Seq.LAST_NON_DUP] = frame;
      I[f + Seq.DUP_ACKS] = 0;
    }
    // §6.11 ACKed unseen segment
    const mr = I[r + Seq.MAX_TO_ACK];
    if (mr !== 0 && ((mr - ack) | 0) < 0 && (flags & TcpFlag.ACK) !== 0) {
      if (((mr - I[r + Seq.NEXT_SEQ]) | 0) < 0) {
        I[r + Seq.MAX_TO_ACK] = I[r + Seq.NEXT_SEQ];
        ta |= TA.ACK_LOST_PACKET;
      } else {
        if (I[r + Seq.DUP_ACKS] === 0) ta |= TA.ACK_LOST_PACKET;
        I[r + Seq.DUP_ACKS] = -1;
      }
    }
    // §6.12 retransmission family (mutually exclusive)
    const synFin = flags & (TcpFlag.SYN | TcpFlag.FIN);
    if ((seglen > 0 || synFin !== 0) && (ta & TA.KEEP_ALIVE) === 0) {
      let notAdvanced = nsf !== 0 && ((seq - nsf) | 0) < 0;
      if (seglen > 1 && ((nsf - 1) | 0) === seq) notAdvanced = false;
      const lar = I[r + Seq.LAST_ACK];
      if (seglen > 0 && lar !== 0 && ((seq + seglen - lar) | 0) <= 0) {
        ta |= TA.SPURIOUS_RETRANSMISSION;
      } else if (notAdvanced) {
        const tAck = t - F[fr + SeqF.LAST_ACK_TIME];
        const dr = I[r + Seq.DUP_ACKS];
        // dupacknum >= 2 as an unsigned number: the (guint32)-1 passes.
        if ((dr >= 2 || dr === -1) && lar === seq && tAck >= 0 && tAck < Limit.FAST_RT_NS) {
          ta |= TA.FAST_RETRANSMISSION;
        } else {
          const tSeq = t - F[ff + SeqF.NEXT_SEQ_TIME];
          const irtt = F[(slot * 2 + 1) * 8 + SeqF.SLOT_TIME];
          const thres = irtt === 0 ? Limit.OOO_DEFAULT_NS : irtt < 0 ? Infinity : irtt;
          if (tSeq >= 0 && tSeq < thres && nsf !== ((seq + seglen + (synFin !== 0 ? 1 : 0)) | 0)) ta |= TA.OUT_OF_ORDER;
          else ta |= TA.RETRANSMISSION;
        }
      }
      if ((ta & TA.ANY_RETRANSMISSION) !== 0) this.retransOf = this.lists.original(kf, seq);
    }
    // §6.13 remember the segment
    let next = (seq + seglen) | 0;
    const U = this.lists;
    if (seglen > 0 || synFin !== 0) {
      if (U.length(kf) < Limit.MAX_UNACKED) {
        if (synFin !== 0) next = (next + 1) | 0;
        U.push(kf, frame, seq, next, (ta & TA.ANY_RETRANSMISSION) !== 0 ? 1 : 0, t);
        this.listed++;
      }
    }
    if ((ta & TA.ZERO_WINDOW_PROBE) === 0) {
      if (((nsf - next) | 0) < 0 || nsf === 0) {
        if (seglen > 0 && (flags & TcpFlag.RST) === 0) {
          const d = nsf === 0 ? seglen : (seq + seglen - nsf) | 0;
          this.newBytes = d > seglen ? seglen : d > 0 ? d : 0;
        }
        I[f + Seq.NEXT_SEQ] = next;
        F[ff + SeqF.NEXT_SEQ_TIME] = t;
      }
      const m = I[f + Seq.MAX_TO_ACK];
      if (seq === m || m === 0) I[f + Seq.MAX_TO_ACK] = I[f + Seq.NEXT_SEQ];
    }
    I[f + Seq.WIN] = win;
    I[f + Seq.LAST_ACK] = ack;
    F[ff + SeqF.LAST_ACK_TIME] = t;
    I[f + Seq.LAST_FLAGS] = ta;

    // §6.14 what this ack acknowledges in the peer's list
    if (U.length(kr) !== 0) {
      this.listed -= U.ack(kr, ack);
      if (U.matched) {
        this.ackedFrame = U.matchFrame;
        const rtt = t - U.matchTs;
        this.ackRtt = rtt;
        sample = !U.matchAmbiguous && rtt > 0 && (flags & TcpFlag.ACK) !== 0;
      }
    }
    this.rttSample = sample ? this.ackRtt : -1;
    return ta;
  }
}
