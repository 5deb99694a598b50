import type { ConnState } from '../../report/sections/tcp.js';
import { TcpFlag } from '../../decode/packet.js';
import { serviceName } from '../services.js';

/**
 * Zeek's TCP endpoint state machine (TCP_Analyzer::UpdateStateMachine, src/analyzer/protocol/tcp/TCP.cc)
 * reduced to what its conn_state classification (base/protocols/conn/main.zeek, `conn_state`) reads:
 * per endpoint the state and the previous state, plus two facts about the originator's history for
 * RSTOS0. Zeek's "weird" reports, timers and sequence bookkeeping are left out.
 *
 * Roles: the originator is the sender of the flow's first packet, except that when that packet is not a
 * pure SYN and comes from a likely server port (a well-known service, or below 1024) to a port that is
 * not, the roles are flipped — Zeek's `WantConnection` heuristic for connections seen mid-stream.
 */
/** Endpoint states (Zeek's TCP_ENDPOINT_*); const enums are inlined by bundlers (see Proto in decode/protocols.ts). */
export const enum State {
  INACTIVE = 0,
  SYN_SENT = 1,
  SYN_ACK_SENT = 2,
  PARTIAL = 3,
  ESTABLISHED = 4,
  CLOSED = 5,
  RESET = 6,
}

/** History facts (per flow). */
const enum Hist {
  /** The first packet was the originator's pure SYN ('S' first in Zeek's history). */
  STARTS_WITH_S = 1,
  /** The originator sent H, A, F, Q or I before its first RST. */
  ORIG_HAFQ = 2,
  ORIG_RST = 4,
}

function likelyServerPort(port: number): boolean {
  return port < 1024 || serviceName(true, port, 0) !== null;
}

/** Per-row record (8 bytes). */
const enum Rec {
  /** Flow side of the originator, Rec.NONE before the first packet. */
  ORIG = 0,
  /** + role (0 originator, 1 responder). */
  STATE = 1,
  /** + role. */
  PREV = 3,
  HIST = 5,
  NONE = 255,
}

export class ConnStates {
  private rec = new Uint8Array(0);

  /** Room for `rows` rows (exactly). */
  ensure(rows: number): void {
    if (rows * 8 <= this.rec.length) return;
    const n = rows;
    const r = new Uint8Array(n * 8);
    r.set(this.rec);
    for (let i = this.rec.length / 8; i < n; i++) r[i * 8 + Rec.ORIG] = Rec.NONE;
    this.rec = r;
  }

  /** A packet of the flow was seen. */
  seen(row: number): boolean {
    return this.rec[row * 8 + Rec.ORIG] !== Rec.NONE;
  }

  /** Flow side (0 = A, 1 = B) of the originator, or -1. */
  orig(row: number): number {
    const o = this.rec[row * 8 + Rec.ORIG];
    return o === Rec.NONE ? -1 : o;
  }

  /** Updates flow `row` with a segment sent from flow side `side` (ports from the flow table's tuples). */
  update(row: number, side: number, flags: number, len: number, tuples: { portA: Uint16Array; portB: Uint16Array }): void {
    const R = this.rec;
    const b = row * 8;
    let o = R[b + Rec.ORIG];
    if (o !== Rec.NONE && (flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) === 0) {
      // Without control flags only an endpoint's first packet, or the originator's first pure ACK
      // (history 'A'), changes anything.
      if (side === o) {
        if (R[b + Rec.STATE] !== State.INACTIVE && (R[b + Rec.HIST] & (Hist.ORIG_RST | Hist.ORIG_HAFQ)) !== 0) return;
      } else if (R[b + Rec.STATE + 1] !== State.INACTIVE) return;
    }
    if (o === Rec.NONE) {
      const pureSyn = (flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
      const src = side === 0 ? tuples.portA[row] : tuples.portB[row];
      const dst = side === 0 ? tuples.portB[row] : tuples.portA[row];
      const flip = !pureSyn && likelyServerPort(src) && (!likelyServerPort(dst) || dst < src);
      o = flip ? side ^ 1 : side;
      R[b + Rec.ORIG] = o;
      if (pureSyn && !flip) R[b + Rec.HIST] |= Hist.STARTS_WITH_S;
    }
    const isOrig = side === o;
    const e = b + (isOrig ? 0 : 1); // + R_STATE / R_PREV
    const p = b + (isOrig ? 1 : 0);
    if (isOrig && (R[b + Rec.HIST] & Hist.ORIG_RST) === 0) {
      const bits = (flags & TcpFlag.SYN ? 1 : 0) + (flags & TcpFlag.FIN ? 1 : 0) + (flags & TcpFlag.RST ? 1 : 0);
      if (flags & TcpFlag.RST && bits === 1) R[b + Rec.HIST] |= Hist.ORIG_RST;
      else if (bits > 1 || (bits === 1 && (flags & (TcpFlag.FIN | TcpFlag.ACK)) !== 0) || (bits === 0 && len === 0 && flags & TcpFlag.ACK)) R[b + Rec.HIST] |= Hist.ORIG_HAFQ;
    }
    switch (R[e + Rec.STATE]) {
      case State.INACTIVE:
        if (flags & TcpFlag.SYN) {
          if (isOrig) this.set(e, flags & TcpFlag.ACK ? State.SYN_ACK_SENT : State.SYN_SENT);
          else {
            if ((flags & TcpFlag.ACK) === 0 && R[p + Rec.STATE] === State.SYN_ACK_SENT) this.set(p, State.ESTABLISHED);
            if (R[p + Rec.STATE] === State.SYN_SENT) this.set(p, State.ESTABLISHED);
            this.set(e, State.ESTABLISHED);
          }
        }
        if (flags & TcpFlag.FIN) this.set(e, State.CLOSED);
        if (flags & TcpFlag.RST) this.set(e, State.RESET);
        if (R[e + Rec.STATE] === State.INACTIVE) {
          if (!isOrig && len === 0 && R[b + Rec.STATE] === State.SYN_SENT) {
            // An ACK of the SYN before the SYN/ACK: not a partial connection.
          } else if (flags & TcpFlag.ACK && R[p + Rec.STATE] === State.ESTABLISHED) this.set(e, State.ESTABLISHED);
          else this.set(e, State.PARTIAL);
        }
        break;
      case State.SYN_SENT:
      case State.SYN_ACK_SENT:
        if (flags & TcpFlag.FIN) this.set(e, State.CLOSED);
        if (flags & TcpFlag.RST) this.set(e, State.RESET);
        break;
      case State.ESTABLISHED:
      case State.PARTIAL:
        if (flags & TcpFlag.SYN && R[e + Rec.STATE] === State.PARTIAL && R[p + Rec.STATE] === State.INACTIVE && (flags & TcpFlag.ACK) === 0) this.set(e, State.SYN_SENT);
        if (flags & TcpFlag.FIN && (flags & TcpFlag.RST) === 0) {
          this.set(e, State.CLOSED);
          if (R[p + Rec.STATE] === State.RESET && R[p + Rec.PREV] === State.CLOSED) this.set(p, State.CLOSED);
        }
        if (flags & TcpFlag.RST) this.set(e, State.RESET);
        break;
      case State.CLOSED:
        if (flags & TcpFlag.RST && R[p + Rec.STATE] !== State.CLOSED) this.set(e, State.RESET);
        break;
      default:
        break;
    }
  }

  /** `k` = row * 8 + role. */
  private set(k: number, s: number): void {
    this.rec[k + Rec.PREV] = this.rec[k + Rec.STATE];
    this.rec[k + Rec.STATE] = s;
  }

  /** Both endpoints closed (FIN each way) or one reset: the connection is over. */
  closed(row: number): boolean {
    const a = this.rec[row * 8 + Rec.STATE];
    const b = this.rec[row * 8 + Rec.STATE + 1];
    return a === State.RESET || b === State.RESET || (a === State.CLOSED && b === State.CLOSED);
  }

  /** Zeek's conn_state; `origBytes`/`respBytes` are the payload bytes each role sent. */
  connState(row: number, origBytes: number, respBytes: number): ConnState {
    const os = this.rec[row * 8 + Rec.STATE];
    const rs = this.rec[row * 8 + Rec.STATE + 1];
    const oInactive = os === State.INACTIVE || os === State.PARTIAL;
    const rInactive = rs === State.INACTIVE || rs === State.PARTIAL;
    if (rs === State.RESET) {
      if (os === State.SYN_SENT || os === State.SYN_ACK_SENT || (os === State.RESET && origBytes === 0 && respBytes === 0)) return 'REJ';
      return oInactive ? 'RSTRH' : 'RSTR';
    }
    if (os === State.RESET) {
      if (rInactive) {
        const h = this.rec[row * 8 + Rec.HIST];
        return (h & Hist.STARTS_WITH_S) !== 0 && (h & Hist.ORIG_HAFQ) === 0 ? 'RSTOS0' : 'OTH';
      }
      return 'RSTO';
    }
    if (rs === State.CLOSED && os === State.CLOSED) return 'SF';
    if (os === State.CLOSED) return rInactive ? 'SH' : 'S2';
    if (rs === State.CLOSED) return oInactive ? 'SHR' : 'S3';
    if (os === State.SYN_SENT && rs === State.INACTIVE) return 'S0';
    if (os === State.ESTABLISHED && rs === State.ESTABLISHED) return 'S1';
    return 'OTH';
  }
}
