import { TcpFlag, type PacketView } from '../../decode/packet.js';
import {
  CONN_STATES,
  MAX_TCP_EVENTS,
  TCP_EVENT_NAMES,
  type ConnState,
  type TcpEventName,
  type TcpFlowDetail,
  type TcpSection,
} from '../../report/sections/tcp.js';
import type { Analyzer, FinishContext } from '../analyzer.js';
import { DistributionBuilder } from '../dns-stats.js';
import type { FlowTable, TcpLayer } from '../flow-table.js';
import { growF64, growI32, growI8 } from './columns.js';
import { EventStore, eventIndex } from './events.js';
import { followsDoubling, HandshakeTable } from './handshake.js';
import { FlowRttTable } from './rtt.js';
import { TA, Seq, SeqF, SeqState } from './sequence.js';
import { ConnStates } from './states.js';
import { WindowTable } from './windows.js';


/** Live conversations with full sequence-analysis state; beyond this the idlest are dropped. */
export const MAX_TRACKED_FLOWS = 200_000;
/**
 * Unacked-segment entries kept over all flows (32 bytes each, so about 64 MB). Wireshark keeps up to
 * 10,000 per side, which a capture that shows only one direction of many flows reaches quickly; beyond
 * this budget the lists of the idlest flows are dropped (their flags stay exact, except for the 10,000
 * cap itself; their ACK RTT samples are lost).
 */
export const MAX_UNACKED_ENTRIES = 2_000_000;
export const MAX_FLOW_DETAILS = 1000;
const MAX_SLOWEST = 50;
const MAX_BACKOFF = 100;
const MAX_EPISODES = 500;
const MAX_LIMITED_FLOWS = 200;
const LIMITED_FRACTION = 0.2;

const TYPES = TCP_EVENT_NAMES.length;
const EV_STRIDE = TYPES + 1;
const POW2 = Float64Array.from({ length: 15 }, (_, i) => 2 ** i);

/**
 * Per-row record, 32 bytes (a TCP row's packet touches one cache line of it): two float64 fields at
 * row * RowF.SIZE + RowF.*, and int32 fields at row * RowI.SIZE + RowI.* over the same memory.
 */
const enum RowF {
  /** The flow's first packet: timestamp seconds and v.time; times are ns since then. -1 = none yet. */
  BASE_SEC = 0,
  BASE_TIME = 1,
  SIZE = 4,
}
const enum RowI {
  /** Sequence-state slot; -1 none yet, -2 dropped (untracked), -3 superseded by port reuse. */
  SLOT = 4,
  /** Nanoseconds of the first packet's timestamp (below 1e9: the capture readers normalise them). */
  BASE_NSEC = 5,
  /** Data record (Ext), or -1 before the flow has one. */
  EXT = 6,
  /** MSS announced by side A (low 16 bits) and B (high 16 bits); 0 = not seen. */
  MSS = 7,
  SIZE = 8,
}
/**
 * Data figures of a row, Ext.SIZE doubles, allocated on its first data segment or iRTT (a SYN flood's
 * rows never need one); absent = all zero.
 */
const enum Ext {
  /** Wireshark's iRTT in ns (0 = none). */
  IRTT = 0,
  RETRANS = 1,
  // + side.
  DATA = 2,
  UNIQ = 4,
  CONSIDERED = 6,
  LIMITED = 8,
  SIZE = 10,
}
/** MSS assumed for a side whose SYN (and so its MSS option) was not seen. */
const enum Mss {
  DEFAULT = 1460,
}
const T_RETRANSMISSION = eventIndex('retransmission');
const T_DUPLICATE_ACK = eventIndex('duplicate_ack');
const T_LOST = eventIndex('lost_segment');
const T_WINDOW_UPDATE = eventIndex('window_update');
const T_FAST = eventIndex('fast_retransmission');
const T_SPURIOUS = eventIndex('spurious_retransmission');
const T_RST = eventIndex('rst');

/** Event type of each TCP_A_* bit (bit position → index in TCP_EVENT_NAMES). */
const BIT_TYPE = Int8Array.from(
  [
    'retransmission',
    'lost_segment',
    'ack_lost_segment',
    'keep_alive',
    'duplicate_ack',
    'zero_window',
    'zero_window_probe',
    'zero_window_probe_ack',
    'keep_alive_ack',
    'out_of_order',
    'fast_retransmission',
    'window_update',
    'window_full',
    'reused_ports',
    'spurious_retransmission',
  ].map((n) => eventIndex(n as TcpEventName)),
);

/** What Wireshark shows for one TCP header (test hook). */
export interface FrameAnalysis {
  frame: number;
  stream: number;
  /** The header shows analysis at all (not cut by the snaplen, header length ≥ 20). */
  shown: boolean;
  /** TCP_A_* bits (see sequence.ts). */
  flags: number;
  /** tcp.analysis.acks_frame, or 0. */
  ackedFrame: number;
  /** tcp.analysis.ack_rtt in seconds, or 0. */
  ackRtt: number;
  /** tcp.analysis.initial_rtt in seconds (shown on frames with analysis data), or 0. */
  irtt: number;
  dupAckNum: number;
}

export interface TcpAnalyzerOptions {
  /** Called for every expert event (one per Wireshark flag bit of a frame, and per RST), for the timeline. */
  onEvent?: (type: TcpEventName, time: number) => void;
  /** Called for every TCP header with what Wireshark would show (tests compare it with tshark). */
  onFrame?: (f: Readonly<FrameAnalysis>) => void;
  maxTrackedFlows?: number;
  maxUnackedEntries?: number;
}

/**
 * TCP expert analysis, RTT, handshakes, connection states and receive windows (the report's `tcp`
 * section), for the TCP header the flow table hands over (`FlowTable.tcp`: a frame's own header, one
 * cut short, or one quoted in an ICMP error).
 *
 * Flags: Wireshark 4.0.17's exactly (sequence.ts; docs/tcp-analysis-wireshark-4.0.md). `totals` count
 * frames as `tshark -Y tcp.analysis.<name>` does (fast and spurious retransmissions also count as
 * retransmission); `rst` counts frames whose TCP header, quoted ones included, has the RST bit. The
 * event list has one event per flag bit of a frame (a fast retransmission is one fast_retransmission
 * event) and one per RST; `onEvent` sees the same events.
 *
 * Per flow: `dataSegments` = segments with payload, keep-alives, zero-window probes and RSTs excluded;
 * `retransmittedSegments` = those of them flagged retransmission, fast or spurious; `events` = per-flag
 * counts, tshark's way. Goodput = payload bytes that advanced the sender's highest sequence number
 * (no retransmitted or probe byte counted twice) / the flow's duration. Connection states follow Zeek
 * (states.ts), handshake times handshake.ts, zero-window episodes windows.ts.
 *
 * Receiver-limited: for each data segment a side sends (keep-alives and zero-window probes excluded),
 * bytes in flight after it = its end seq − the peer's last ack, compared with the peer's last
 * advertised window, scaled as Wireshark does for window_full (unscaled while the peer awaits its first
 * ACK). The segment counts as receiver-limited when bytes in flight ≥ window − one MSS, the MSS the
 * peer announced in its SYN (1460 when not seen). Segments are not judged while the peer has not
 * acknowledged anything yet, or when its window scale is unknown (SYN not seen: the true window is then
 * unknown), so mid-stream flows have no figure. Flows are listed from 20 % of judged segments, with at
 * least `minFlowPacketsForFindings` judged.
 *
 * RTT: the ACK RTT distribution applies Karn's rule — no sample from an ACK that covers a segment sent
 * more than once (or when several listed copies match), so retransmissions cannot inflate it, and none
 * of 0 or less. Wireshark 4.0 does show ack_rtt for some of those (the oldest copy matches);
 * `wiresharkAckRtt` counts the frames where it shows one, for agreement checks. Per flow: count, min,
 * mean, max exact, p95 by P² (rtt.ts). iRTT is Wireshark's initial_rtt; its halves are handshake.ts's.
 *
 * Memory: per flow row, about 90 bytes in columns as long as the flow table's (a 32-byte record, the
 * client's SYN facts, connection state); what only some flows need is allocated for them alone: data
 * figures (Ext) on the first data segment or iRTT, the server's handshake facts on its first answer,
 * zero-window state on the first zero window, event counts on the first event. So a SYN flood's
 * half-open rows cost little. Per live conversation a 128-byte slot of sequence state, a 32-byte list
 * header and its unacked lists. Slots are capped (`maxTrackedFlows`): when they run out, an eighth of
 * them is dropped, flows closed by FIN/RST first, then the idlest; their later packets are not analysed
 * and the flows are counted in `untrackedFlows`. Nothing is dropped without that pressure, because
 * Wireshark keeps every conversation to the end and late packets of a closed one (a repeated FIN, a RST)
 * still get flags. Unacked entries are capped too (`maxUnackedEntries`, see MAX_UNACKED_ENTRIES).
 * Per packet nothing is allocated: doubles are passed through fields (V8 boxes double arguments of calls
 * it does not inline), sequence numbers are int32.
 */
export class TcpAnalyzer implements Analyzer<TcpSection> {
  private readonly L: TcpLayer;
  private readonly seq = new SeqState();
  private readonly hs = new HandshakeTable();
  private readonly states = new ConnStates();
  private readonly win = new WindowTable();
  private readonly rtt = new FlowRttTable();
  private readonly events = new EventStore();
  private readonly ackDist = new DistributionBuilder({ sampleCap: 32_768 });
  private readonly totals = new Float64Array(TYPES);
  private readonly onEvent: TcpAnalyzerOptions['onEvent'];
  private readonly onFrame: TcpAnalyzerOptions['onFrame'];
  private readonly frameInfo: FrameAnalysis = { frame: 0, stream: 0, shown: false, flags: 0, ackedFrame: 0, ackRtt: 0, irtt: 0, dupAckNum: 0 };
  private readonly maxSlots: number;
  private readonly maxListed: number;

  // Per flow row, sized like the flow table's columns: the record (see RowF, RowI), window scales
  // kept when the sequence state is dropped, the row's event-count slot (evCounts) or -1.
  private rows = 0;
  private rowF = new Float64Array(0);
  private rowI = new Int32Array(0);
  private scaleRow = new Int8Array(0);
  private evSlot = new Int32Array(0);
  // Data records (Ext) of the rows that have one.
  private ext = new Float64Array(0);
  private exts = 0;
  /** Per event slot: a count per event type, then the row's total (EV_STRIDE numbers). */
  private evCounts = new Uint32Array(64 * EV_STRIDE);
  private evSlots = 0;

  // Per slot.
  private slotRow = new Int32Array(0);
  private slotLast = new Float64Array(0);
  private slotsUsed = 0;
  private free: number[] = [];

  /** Time of the current packet, ns since its flow's first packet. */
  private now = 0;
  /** Flows whose sequence state was dropped to bound memory. */
  evictedFlows = 0;
  /** Unacked lists dropped to bound memory. */
  droppedLists = 0;
  /** Frames on which Wireshark shows tcp.analysis.ack_rtt (agreement metric; includes non-Karn samples). */
  wiresharkAckRtt = 0;

  constructor(
    private readonly flows: FlowTable,
    options: TcpAnalyzerOptions = {},
  ) {
    this.L = flows.tcp;
    this.onEvent = options.onEvent;
    this.onFrame = options.onFrame;
    this.maxSlots = Math.max(8, options.maxTrackedFlows ?? MAX_TRACKED_FLOWS);
    this.maxListed = Math.max(1000, options.maxUnackedEntries ?? MAX_UNACKED_ENTRIES);
  }

  onPacket(v: PacketView): void {
    const L = this.L;
    if (!L.present) return;
    const row = L.idx;
    if (row >= this.rows) this.ensureRows(row + 1);
    if (L.superseded >= 0) this.retire(L.superseded);
    // Nanoseconds since the flow's first packet: exact (below 2^53 ns) however far apart flows are.
    const RF = this.rowF;
    const RI = this.rowI;
    const bf = row * RowF.SIZE;
    const bi = row * RowI.SIZE;
    if (RF[bf + RowF.BASE_SEC] < 0) {
      RF[bf + RowF.BASE_SEC] = v.tsSec;
      RI[bi + RowI.BASE_NSEC] = v.tsNsec;
      RF[bf + RowF.BASE_TIME] = v.time;
    }
    const t = (v.tsSec - RF[bf + RowF.BASE_SEC]) * 1e9 + (v.tsNsec - RI[bi + RowI.BASE_NSEC]);
    // Doubles travel in fields, not arguments: a double argument to a call V8 does not inline is boxed.
    this.now = t;
    const flags = L.flags;
    const dir = L.dir;
    const hl = L.hl;
    const seglen = L.seglen;
    const S = this.seq;
    let ta = L.reusedPorts ? TA.REUSED_PORTS : 0;
    let slot = RI[bi + RowI.SLOT];
    if (slot === -1) slot = this.allocSlot(row);
    let analysed = false;
    if (slot >= 0) {
      this.slotLast[slot] = t;
      S.now = t;
      const I = S.I;
      const f = (slot * 2 + dir) * 16;
      // §5 step 3: a SYN repeating the known ISN undoes a RST that moved nextSeq (issue 17616).
      if (L.synSameIsn) I[f + Seq.NEXT_SEQ] = I[f + Seq.MAX_TO_ACK];
      if (seglen >= 0) {
        ta = S.analyze(slot, dir, v.frame, L.seq, L.ack, seglen, flags, L.win, ta);
        analysed = true;
      }
      if (hl >= 20) {
        // Steps 8–9: SYN time and iRTT (from the most recent pure SYN to the first non-SYN ACK).
        const F = S.F;
        const mru = slot * 16 + SeqF.SLOT_TIME;
        const first = mru + 8;
        if (flags & TcpFlag.SYN) {
          if ((flags & TcpFlag.ACK) === 0) F[mru] = v.tsSec === 0 && v.tsNsec === 0 ? NaN : t;
          I[f + Seq.FIRST_ACK] = 1;
        } else if (flags & TcpFlag.ACK) {
          const m = F[mru];
          if (m === m && F[first] === 0) {
            const irtt = t - m;
            F[first] = irtt;
            const e = this.extOf(row);
            this.ext[e + Ext.IRTT] = irtt;
          }
          I[f + Seq.FIRST_ACK] = 0;
        }
        // Step 11: a window-scale option on any segment.
        if (L.wscale >= 0) I[f + Seq.SCALE] = L.wscale > 14 ? 14 : L.wscale;
        // Step 13 (only when the header was read to its end): verify_tcp_window_scaling.
        if (!L.truncated && flags & TcpFlag.SYN) {
          const r = (slot * 2 + (dir ^ 1)) * 16;
          if (I[f + Seq.SCALE] === -1) {
            I[f + Seq.SCALE] = -2;
            I[r + Seq.SCALE] = -2;
          } else if (flags & TcpFlag.ACK && I[r + Seq.SCALE] === -2) I[f + Seq.SCALE] = -2;
        }
      }
    }
    const shown = hl >= 20 && !L.truncated;
    const shownTa = shown ? ta : 0;
    if (shownTa !== 0) this.emit(shownTa, row, L.stream, v, analysed);
    if (shown && flags & TcpFlag.RST) this.event(T_RST, row, L.stream, v, -1);
    if (analysed) {
      if (S.rttSample > 0) {
        this.ackDist.add(S.rttSample / 1e9);
        this.rtt.value = S.rttSample / 1e9;
        this.rtt.add(row);
      }
      if (shown && S.ackedFrame !== 0 && S.ackRtt !== 0) this.wiresharkAckRtt++;
    }
    if (this.onFrame !== undefined) this.reportFrame(v, shown, shownTa, slot, analysed);
    if (!L.quoted && hl >= 20) this.flowMetrics(v, row, slot, shownTa, analysed);
    if (S.listed > this.maxListed) this.trimLists();
  }

  /** Handshake, connection state, data, goodput, receive-window figures of a frame's own header. */
  private flowMetrics(v: PacketView, row: number, slot: number, ta: number, analysed: boolean): void {
    const L = this.L;
    const t = this.now;
    const side = L.dir;
    const flags = L.flags;
    const len = L.seglen > 0 ? L.seglen : 0;
    this.states.update(row, side, flags, len, this.flows.tuples);
    const hs = this.hs;
    if ((flags & (TcpFlag.SYN | TcpFlag.RST)) !== 0 || (hs.quiet[row] & ((len > 0 ? 4 : 1) << side)) === 0) {
      hs.now = t;
      hs.update(row, side, flags, len, v.frame);
    }
    const W = this.win;
    const RI = this.rowI;
    const bi = row * RowI.SIZE;
    if (flags & TcpFlag.SYN && L.mss > 0) {
      const sh = side * 16;
      RI[bi + RowI.MSS] = (RI[bi + RowI.MSS] & ~(0xffff << sh)) | ((L.mss & 0xffff) << sh);
    }
    if (len > 0 && (flags & TcpFlag.RST) === 0 && (ta & (TA.KEEP_ALIVE | TA.ZERO_WINDOW_PROBE)) === 0) {
      const e = RI[bi + RowI.EXT];
      const b = e >= 0 ? e * Ext.SIZE : this.extOf(row);
      const RD = this.ext;
      const d = b + side;
      RD[d + Ext.DATA]++;
      if (ta & TA.ANY_RETRANSMISSION) RD[b + Ext.RETRANS]++;
      if (analysed && slot >= 0) {
        const S = this.seq;
        RD[d + Ext.UNIQ] += S.newBytes;
        // Receiver-limited: bytes in flight against the peer's advertised window (windows.ts).
        const I = S.I;
        const r = (slot * 2 + (side ^ 1)) * 16;
        const la = I[r + Seq.LAST_ACK];
        const w = I[r + Seq.WIN];
        const sc = I[r + Seq.SCALE];
        if (la !== 0 && w !== -1 && sc !== -1) {
          const wnd = I[r + Seq.FIRST_ACK] !== 0 || sc < 0 ? w : w * POW2[sc];
          const bif = (L.seq + len - la) >>> 0;
          if (bif < 0x40000000) {
            RD[d + Ext.CONSIDERED]++;
            const mss = ((RI[bi + RowI.MSS] >>> ((side ^ 1) * 16)) & 0xffff) || Mss.DEFAULT;
            if (bif + mss >= wnd) RD[d + Ext.LIMITED]++;
          }
        }
      }
    }
    if (ta & TA.ZERO_WINDOW) W.zeroWindow(row, side, L.stream, v.frame, t, v.time);
    else if (W.openCount !== 0 && L.win !== 0 && (flags & TcpFlag.RST) === 0 && W.isOpen(row, side)) W.reopened(row, side, v.frame, t);
    if (ta & TA.ZERO_WINDOW_PROBE) W.probe(row, side ^ 1);
  }

  private emit(ta: number, row: number, stream: number, v: PacketView, analysed: boolean): void {
    const S = this.seq;
    let m = ta;
    while (m !== 0) {
      const b = m & -m;
      m ^= b;
      const type = BIT_TYPE[31 - Math.clz32(b)];
      let detail = -1;
      if (analysed) {
        if (type === T_DUPLICATE_ACK) detail = S.dupAckNum;
        else if (type === T_RETRANSMISSION || type === T_FAST || type === T_SPURIOUS) detail = S.retransOf;
        else if (type === T_LOST) detail = S.gap;
        else if (type === T_WINDOW_UPDATE) {
          const slot = this.rowI[row * RowI.SIZE + RowI.SLOT];
          const sc = slot >= 0 ? S.scale(slot * 2 + this.L.dir) : -1;
          detail = sc > 0 ? this.L.win * POW2[sc] : this.L.win;
        }
      }
      this.event(type, row, stream, v, detail);
      // tshark's tcp.analysis.retransmission also matches fast and spurious retransmissions.
      if (b === TA.FAST_RETRANSMISSION || b === TA.SPURIOUS_RETRANSMISSION) {
        this.totals[T_RETRANSMISSION]++;
        this.countRow(row, T_RETRANSMISSION);
      }
    }
  }

  private event(type: number, row: number, stream: number, v: PacketView, detail: number): void {
    this.totals[type]++;
    this.countRow(row, type);
    this.evCounts[this.evSlot[row] * EV_STRIDE + TYPES]++;
    this.events.add(type, v.frame, v.time, stream, detail);
    if (this.onEvent !== undefined) this.onEvent(TCP_EVENT_NAMES[type], v.time);
  }

  private countRow(row: number, type: number): void {
    let s = this.evSlot[row];
    if (s < 0) {
      s = this.evSlots++;
      if ((s + 1) * EV_STRIDE > this.evCounts.length) {
        const b = new Uint32Array(this.evCounts.length * 2);
        b.set(this.evCounts);
        this.evCounts = b;
      }
      this.evSlot[row] = s;
    }
    this.evCounts[s * EV_STRIDE + type]++;
  }

  private reportFrame(v: PacketView, shown: boolean, ta: number, slot: number, analysed: boolean): void {
    const S = this.seq;
    const fi = this.frameInfo;
    fi.frame = v.frame;
    fi.stream = this.L.stream;
    fi.shown = shown;
    fi.flags = ta;
    fi.ackedFrame = shown && analysed ? S.ackedFrame : 0;
    fi.ackRtt = fi.ackedFrame !== 0 ? S.ackRtt / 1e9 : 0;
    fi.irtt = slot >= 0 && shown ? S.irtt(slot) / 1e9 : 0;
    fi.dupAckNum = analysed && ta & 0x10 ? S.dupAckNum : 0;
    this.onFrame!(fi);
  }

  // ───────────────────────── memory: rows and slots ─────────────────────────

  /** Room for `n` rows: as many as the flow table's columns have (it grows them up to its cap). */
  private ensureRows(n: number): void {
    if (n <= this.rows) return;
    const rows = Math.max(n, this.flows.tuples.capacity);
    const buf = new ArrayBuffer(rows * RowF.SIZE * 8);
    const rowF = new Float64Array(buf);
    const rowI = new Int32Array(buf);
    rowI.set(this.rowI);
    for (let r = this.rows; r < rows; r++) {
      rowF[r * RowF.SIZE + RowF.BASE_SEC] = -1;
      rowI[r * RowI.SIZE + RowI.SLOT] = -1;
      rowI[r * RowI.SIZE + RowI.EXT] = -1;
    }
    this.rowF = rowF;
    this.rowI = rowI;
    this.scaleRow = growI8(this.scaleRow, rows * 2, -1, rows * 2);
    this.evSlot = growI32(this.evSlot, rows, -1, rows);
    this.hs.ensure(rows);
    this.states.ensure(rows);
    this.win.ensure(rows);
    this.rows = rows;
  }

  /** Offset of the row's data record in `ext`, allocated (zeroed) on first use; `ext` may be replaced. */
  private extOf(row: number): number {
    const i = row * RowI.SIZE + RowI.EXT;
    const e = this.rowI[i];
    if (e >= 0) return e * Ext.SIZE;
    const n = this.exts++;
    if ((n + 1) * Ext.SIZE > this.ext.length) {
      // Doubling, but never past one record per row.
      const b = new Float64Array(Math.min(this.rows, Math.max(n + 1, n * 2, 1024)) * Ext.SIZE);
      b.set(this.ext);
      this.ext = b;
    }
    this.rowI[i] = n;
    return n * Ext.SIZE;
  }

  /** Field `f` (Ext.*) of the row's data record, 0 without one. */
  private x(row: number, f: number): number {
    const e = this.rowI[row * RowI.SIZE + RowI.EXT];
    return e >= 0 ? this.ext[e * Ext.SIZE + f] : 0;
  }

  private eventTotal(row: number): number {
    const s = this.evSlot[row];
    return s >= 0 ? this.evCounts[s * EV_STRIDE + TYPES] : 0;
  }

  private allocSlot(row: number): number {
    const S = this.seq;
    let slot: number;
    if (this.free.length > 0) slot = this.free.pop()!;
    else {
      if (this.slotsUsed === S.capacity) {
        if (S.capacity < this.maxSlots) {
          const cap = Math.min(this.maxSlots, Math.max(1024, S.capacity * 2));
          S.grow(cap);
          this.slotRow = growI32(this.slotRow, cap, -1, cap);
          this.slotLast = growF64(this.slotLast, cap, 0, cap);
        } else {
          this.evict();
          if (this.free.length === 0) {
            this.rowI[row * RowI.SIZE + RowI.SLOT] = -2;
            this.evictedFlows++;
            return -2;
          }
        }
      }
      slot = this.free.length > 0 ? this.free.pop()! : this.slotsUsed++;
    }
    S.reset(slot);
    this.slotRow[slot] = row;
    this.rowI[row * RowI.SIZE + RowI.SLOT] = slot;
    return slot;
  }

  /** Frees the slot of a row (its conversation ended: superseded by port reuse, or evicted). */
  private release(row: number, mark: number): void {
    const slot = this.rowI[row * RowI.SIZE + RowI.SLOT];
    if (slot < 0) return;
    this.scaleRow[row * 2] = this.seq.scale(slot * 2);
    this.scaleRow[row * 2 + 1] = this.seq.scale(slot * 2 + 1);
    this.seq.reset(slot);
    this.slotRow[slot] = -1;
    this.rowI[row * RowI.SIZE + RowI.SLOT] = mark;
    this.free.push(slot);
  }

  private retire(row: number): void {
    if (row < this.rows) this.release(row, -3);
  }

  /** Drops the sequence state of an eighth of the slots: closed flows first, then the idlest. */
  private evict(): void {
    const n = this.slotsUsed;
    const keys = new Float64Array(n);
    for (let s = 0; s < n; s++) {
      const row = this.slotRow[s];
      keys[s] = row < 0 ? -Infinity : this.slotLast[s] - (this.states.closed(row) ? 1e30 : 0);
    }
    const sorted = keys.slice().sort();
    const k = Math.max(1, n >> 3);
    const threshold = sorted[k - 1];
    let dropped = 0;
    for (let s = 0; s < n && dropped < k; s++) {
      const row = this.slotRow[s];
      if (row < 0 || keys[s] > threshold) continue;
      this.release(row, -2);
      this.evictedFlows++;
      dropped++;
    }
  }

  /** Drops the unacked lists of the idlest flows until a quarter of the budget is free. */
  private trimLists(): void {
    const S = this.seq;
    const order = Array.from({ length: this.slotsUsed }, (_, s) => s)
      .filter((s) => this.slotRow[s] >= 0)
      .sort((a, b) => this.slotLast[a] - this.slotLast[b]);
    const goal = this.maxListed * 0.75;
    for (const s of order) {
      if (S.listed <= goal) break;
      const n = S.dropList(s * 2) + S.dropList(s * 2 + 1);
      if (n > 0) this.droppedLists++;
    }
  }

  private scaleOf(row: number, side: number): number {
    const slot = this.rowI[row * RowI.SIZE + RowI.SLOT];
    return slot >= 0 ? this.seq.scale(slot * 2 + side) : this.scaleRow[row * 2 + side];
  }

  // ───────────────────────── report ─────────────────────────

  finish(ctx: FinishContext): TcpSection {
    const f = this.flows;
    const hs = this.hs;
    const W = this.win;
    const sec = (ns: number) => ns / 1e9;
    // Rows are visited in place (no list, no per-row map: a flood leaves hundreds of thousands).
    const nRows = Math.min(f.size, this.rows);

    const totals = Object.fromEntries(TCP_EVENT_NAMES.map((n, i) => [n, this.totals[i]])) as TcpSection['totals'];
    const states: Record<string, number> = Object.fromEntries(CONN_STATES.map((s) => [s, 0]));
    const irtt = new DistributionBuilder();
    const serverSide = new DistributionBuilder();
    const clientSide = new DistributionBuilder();
    const synToSynAck = new DistributionBuilder();
    const ttfd = new DistributionBuilder();
    let attempted = 0;
    let completed = 0;
    let refused = 0;
    let unanswered = 0;
    let synRetransmissions = 0;
    let scaleUnknown = 0;
    const slowest: TcpSection['handshakes']['slowest']['items'] = [];
    const limited: TcpSection['windows']['receiverLimitedFlows']['items'] = [];
    const minSegs = ctx.thresholds.minFlowPacketsForFindings;
    const withEvents: number[] = [];
    for (let row = 0; row < nRows; row++) {
      if (!this.states.seen(row) || !f.isTcp(row)) continue;
      if (this.eventTotal(row) > 0) withEvents.push(row);
      const st = this.connState(row);
      states[st]++;
      const rowIrtt = this.x(row, Ext.IRTT);
      if (rowIrtt > 0) irtt.add(sec(rowIrtt));
      if (hs.serverHalf(row) >= 0) serverSide.add(sec(hs.serverHalf(row)));
      if (hs.clientHalf(row) >= 0) clientSide.add(sec(hs.clientHalf(row)));
      if (hs.attempted(row)) {
        attempted++;
        synRetransmissions += hs.synCount[row] - 1;
        if (hs.completed(row)) completed++;
        if (hs.refused(row)) refused++;
        if (hs.unanswered(row)) unanswered++;
        const d = hs.synAckFirst(row) - hs.synFirst[row];
        if (d >= 0) {
          synToSynAck.add(sec(d));
          slowest.push({
            flow: f.streamId[row],
            frame: hs.synAckFrame(row),
            synToSynAck: sec(d),
            synAckToAck: hs.clientHalf(row) >= 0 ? sec(hs.clientHalf(row)) : null,
          });
        }
        const fd = hs.firstData(row) - hs.synFirst[row];
        if (fd >= 0) ttfd.add(sec(fd));
      }
      if (this.scaleOf(row, 0) === -1 || this.scaleOf(row, 1) === -1) scaleUnknown++;
      for (let side = 0; side < 2; side++) {
        if (this.x(row, Ext.CONSIDERED + side) >= Math.max(1, minSegs)) {
          const fraction = this.limitedFraction(row, side);
          if (fraction >= LIMITED_FRACTION) limited.push({ flow: f.streamId[row], side: side === 0 ? 'a' : 'b', fraction });
        }
      }
    }
    slowest.sort((a, b) => b.synToSynAck - a.synToSynAck || a.flow - b.flow);
    limited.sort((a, b) => b.fraction - a.fraction || a.flow - b.flow);
    const backoffRows = [...hs.synTimes.keys()].filter((r) => r < f.size).sort((a, b) => f.streamId[a] - f.streamId[b]);
    const backoff = backoffRows.slice(0, MAX_BACKOFF).map((row) => {
      const rec = hs.synTimes.get(row)!;
      const intervals = rec.times.slice(1).map((tm, i) => sec(tm - rec.times[i]));
      return { flow: f.streamId[row], frames: rec.frames.slice(), intervals, followsDoubling: followsDoubling(intervals) };
    });

    // Per-flow details: the flows the conversation tables show, then those with the most events.
    const chosen: number[] = [];
    const taken = new Set<number>();
    for (const row of ctx.selectedFlows) {
      if (row < this.rows && this.states.seen(row) && f.isTcp(row) && !taken.has(row)) {
        taken.add(row);
        chosen.push(row);
      }
    }
    const byEvents = withEvents.filter((r) => !taken.has(r));
    byEvents.sort((a, b) => this.eventTotal(b) - this.eventTotal(a) || f.streamId[a] - f.streamId[b]);
    for (const row of byEvents) chosen.push(row);
    const details = chosen.slice(0, MAX_FLOW_DETAILS).map((row) => this.detail(row, ctx, this.connState(row)));

    return {
      totals,
      events: this.events.select(MAX_TCP_EVENTS, describe),
      flows: { items: details, omitted: Math.max(0, chosen.length - details.length) },
      rtt: { ack: this.ackDist.result(), irtt: irtt.result(), serverSide: serverSide.result(), clientSide: clientSide.result() },
      handshakes: {
        attempted,
        completed,
        refused,
        unanswered,
        synRetransmissions,
        synToSynAck: synToSynAck.result(),
        timeToFirstData: ttfd.result(),
        slowest: { items: slowest.slice(0, MAX_SLOWEST), omitted: Math.max(0, slowest.length - MAX_SLOWEST) },
        backoff: { items: backoff, omitted: Math.max(0, backoffRows.length - backoff.length) },
      },
      states,
      windows: {
        zeroWindowEpisodes: W.episodes(MAX_EPISODES),
        scaleUnknownFlows: scaleUnknown,
        receiverLimitedFlows: { items: limited.slice(0, MAX_LIMITED_FLOWS), omitted: Math.max(0, limited.length - MAX_LIMITED_FLOWS) },
      },
      untrackedFlows: f.untrackedFlows + this.evictedFlows,
    };
  }

  private connState(row: number): ConnState {
    const o = this.states.orig(row);
    const origSide = o < 0 ? 0 : o;
    return this.states.connState(row, this.x(row, Ext.UNIQ + origSide), this.x(row, Ext.UNIQ + (origSide ^ 1)));
  }

  private limitedFraction(row: number, side: number): number {
    const c = this.x(row, Ext.CONSIDERED + side);
    return c > 0 ? this.x(row, Ext.LIMITED + side) / c : 0;
  }

  private detail(row: number, ctx: FinishContext, state: ConnState): TcpFlowDetail {
    const f = this.flows;
    const hs = this.hs;
    const W = this.win;
    const sec = (ns: number) => ns / 1e9;
    const orNull = (ns: number) => (ns >= 0 ? sec(ns) : null);
    const events: Record<string, number> = {};
    const es = this.evSlot[row];
    if (es >= 0) for (let i = 0; i < TYPES; i++) if (this.evCounts[es * EV_STRIDE + i] > 0) events[TCP_EVENT_NAMES[i]] = this.evCounts[es * EV_STRIDE + i];
    const hasHandshake = hs.synCount[row] > 0 || hs.synAckCount(row) > 0;
    const r = this.rtt.summary(row);
    const duration = f.lastTime[row] - f.firstTime[row];
    const client = hs.client[row];
    return {
      id: f.streamId[row],
      state,
      idleAtEnd: Math.max(0, ctx.endTime - f.lastTime[row]),
      client: client === 0 ? 'a' : client === 1 ? 'b' : 'unknown',
      handshake: hasHandshake
        ? {
            synToSynAck: orNull(hs.synAckFirst(row) - hs.synFirst[row]),
            synAckToAck: orNull(hs.clientHalf(row)),
            synRetransmissions: Math.max(0, hs.synCount[row] - 1),
            synAckRetransmissions: Math.max(0, hs.synAckCount(row) - 1),
            timeToFirstData: orNull(hs.firstData(row) - hs.synFirst[row]),
          }
        : null,
      rtt: {
        irtt: this.x(row, Ext.IRTT) > 0 ? sec(this.x(row, Ext.IRTT)) : null,
        serverSide: orNull(hs.serverHalf(row)),
        clientSide: orNull(hs.clientHalf(row)),
        ackSamples: r?.count ?? 0,
        ackMin: r?.min ?? null,
        ackMean: r?.mean ?? null,
        ackP95: r?.p95 ?? null,
        ackMax: r?.max ?? null,
      },
      events,
      dataSegments: this.x(row, Ext.DATA) + this.x(row, Ext.DATA + 1),
      retransmittedSegments: this.x(row, Ext.RETRANS),
      windowScaleA: this.scaleOf(row, 0),
      windowScaleB: this.scaleOf(row, 1),
      zeroWindowSeconds: W.zeroSeconds(row, (ctx.endTime - this.rowF[row * RowF.SIZE + RowF.BASE_TIME]) * 1e9),
      receiverLimitedA: this.limitedFraction(row, 0),
      receiverLimitedB: this.limitedFraction(row, 1),
      goodputAB: duration > 0 ? this.x(row, Ext.UNIQ) / duration : 0,
      goodputBA: duration > 0 ? this.x(row, Ext.UNIQ + 1) / duration : 0,
    };
  }
}

function describe(type: TcpEventName, d: number): string | undefined {
  switch (type) {
    case 'duplicate_ack':
      return d > 0 ? `#${d}` : undefined;
    case 'retransmission':
    case 'fast_retransmission':
    case 'spurious_retransmission':
      return d > 0 ? `of frame ${d}` : undefined;
    case 'lost_segment':
      return d > 0 ? `${d} bytes not captured` : undefined;
    case 'window_update':
      return d >= 0 ? `window ${d}` : undefined;
    default:
      return undefined;
  }
}
