import type { ConnState } from '../../report/sections/tcp.js';
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
export const INACTIVE = 0;
export const SYN_SENT = 1;
export const SYN_ACK_SENT = 2;
export const PARTIAL = 3;
export const ESTABLISHED = 4;
export const CLOSED = 5;
export const RESET = 6;

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** History facts (per flow). */
const H_STARTS_WITH_S = 1; // the first packet was the originator's pure SYN ('S' first in Zeek's history)
const H_ORIG_HAFQ = 2; // the originator sent H, A, F, Q or I before its first RST
const H_ORIG_RST = 4;

function likelyServerPort(port: number): boolean {
  return port < 1024 || serviceName(true, port, 0) !== null;
}

// Per-row record (8 bytes).
const R_ORIG = 0; // flow side of the originator, 255 before the first packet
const R_STATE = 1; // + role (0 originator, 1 responder)
const R_PREV = 3; // + role
const R_HIST = 5;
const NONE = 255;

export class ConnStates {
  private rec = new Uint8Array(0);

  ensure(rows: number): void {
    if (rows * 8 <= this.rec.length) return;
    const n = Math.max(rows, (this.rec.length / 8) * 2, 1024);
    const r = new Uint8Array(n * 8);
    r.set(this.rec);
    for (let i = this.rec.length / 8; i < n; i++) r[i * 8 + R_ORIG] = NONE;
    this.rec = r;
  }

  /** A packet of the flow was seen. */
  seen(row: number): boolean {
    return this.rec[row * 8 + R_ORIG] !== NONE;
  }

  /** Flow side (0 = A, 1 = B) of the originator, or -1. */
  orig(row: number): number {
    const o = this.rec[row * 8 + R_ORIG];
    return o === NONE ? -1 : o;
  }

  /** Updates flow `row` with a segment sent from flow side `side` (ports from the flow table's tuples). */
  update(row: number, side: number, flags: number, len: number, tuples: { portA: Uint16Array; portB: Uint16Array }): void {
    const R = this.rec;
    const b = row * 8;
    let o = R[b + R_ORIG];
    if (o !== NONE && (flags & (SYN | FIN | RST)) === 0) {
      // Without control flags only an endpoint's first packet, or the originator's first pure ACK
      // (history 'A'), changes anything.
      if (side === o) {
        if (R[b + R_STATE] !== INACTIVE && (R[b + R_HIST] & (H_ORIG_RST | H_ORIG_HAFQ)) !== 0) return;
      } else if (R[b + R_STATE + 1] !== INACTIVE) return;
    }
    if (o === NONE) {
      const pureSyn = (flags & (SYN | ACK)) === SYN;
      const src = side === 0 ? tuples.portA[row] : tuples.portB[row];
      const dst = side === 0 ? tuples.portB[row] : tuples.portA[row];
      const flip = !pureSyn && likelyServerPort(src) && (!likelyServerPort(dst) || dst < src);
      o = flip ? side ^ 1 : side;
      R[b + R_ORIG] = o;
      if (pureSyn && !flip) R[b + R_HIST] |= H_STARTS_WITH_S;
    }
    const isOrig = side === o;
    const e = b + (isOrig ? 0 : 1); // + R_STATE / R_PREV
    const p = b + (isOrig ? 1 : 0);
    if (isOrig && (R[b + R_HIST] & H_ORIG_RST) === 0) {
      const bits = (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0) + (flags & RST ? 1 : 0);
      if (flags & RST && bits === 1) R[b + R_HIST] |= H_ORIG_RST;
      else if (bits > 1 || (bits === 1 && (flags & (FIN | ACK)) !== 0) || (bits === 0 && len === 0 && flags & ACK)) R[b + R_HIST] |= H_ORIG_HAFQ;
    }
    switch (R[e + R_STATE]) {
      case INACTIVE:
        if (flags & SYN) {
          if (isOrig) this.set(e, flags & ACK ? SYN_ACK_SENT : SYN_SENT);
          else {
            if ((flags & ACK) === 0 && R[p + R_STATE] === SYN_ACK_SENT) this.set(p, ESTABLISHED);
            if (R[p + R_STATE] === SYN_SENT) this.set(p, ESTABLISHED);
            this.set(e, ESTABLISHED);
          }
        }
        if (flags & FIN) this.set(e, CLOSED);
        if (flags & RST) this.set(e, RESET);
        if (R[e + R_STATE] === INACTIVE) {
          if (!isOrig && len === 0 && R[b + R_STATE] === SYN_SENT) {
            // An ACK of the SYN before the SYN/ACK: not a partial connection.
          } else if (flags & ACK && R[p + R_STATE] === ESTABLISHED) this.set(e, ESTABLISHED);
          else this.set(e, PARTIAL);
        }
        break;
      case SYN_SENT:
      case SYN_ACK_SENT:
        if (flags & FIN) this.set(e, CLOSED);
        if (flags & RST) this.set(e, RESET);
        break;
      case ESTABLISHED:
      case PARTIAL:
        if (flags & SYN && R[e + R_STATE] === PARTIAL && R[p + R_STATE] === INACTIVE && (flags & ACK) === 0) this.set(e, SYN_SENT);
        if (flags & FIN && (flags & RST) === 0) {
          this.set(e, CLOSED);
          if (R[p + R_STATE] === RESET && R[p + R_PREV] === CLOSED) this.set(p, CLOSED);
        }
        if (flags & RST) this.set(e, RESET);
        break;
      case CLOSED:
        if (flags & RST && R[p + R_STATE] !== CLOSED) this.set(e, RESET);
        break;
      default:
        break;
    }
  }

  /** `k` = row * 8 + role. */
  private set(k: number, s: number): void {
    this.rec[k + R_PREV] = this.rec[k + R_STATE];
    this.rec[k + R_STATE] = s;
  }

  /** Both endpoints closed (FIN each way) or one reset: the connection is over. */
  closed(row: number): boolean {
    const a = this.rec[row * 8 + R_STATE];
    const b = this.rec[row * 8 + R_STATE + 1];
    return a === RESET || b === RESET || (a === CLOSED && b === CLOSED);
  }

  /** Zeek's conn_state; `origBytes`/`respBytes` are the payload bytes each role sent. */
  connState(row: number, origBytes: number, respBytes: number): ConnState {
    const os = this.rec[row * 8 + R_STATE];
    const rs = this.rec[row * 8 + R_STATE + 1];
    const oInactive = os === INACTIVE || os === PARTIAL;
    const rInactive = rs === INACTIVE || rs === PARTIAL;
    if (rs === RESET) {
      if (os === SYN_SENT || os === SYN_ACK_SENT || (os === RESET && origBytes === 0 && respBytes === 0)) return 'REJ';
      return oInactive ? 'RSTRH' : 'RSTR';
    }
    if (os === RESET) {
      if (rInactive) {
        const h = this.rec[row * 8 + R_HIST];
        return (h & H_STARTS_WITH_S) !== 0 && (h & H_ORIG_HAFQ) === 0 ? 'RSTOS0' : 'OTH';
      }
      return 'RSTO';
    }
    if (rs === CLOSED && os === CLOSED) return 'SF';
    if (os === CLOSED) return rInactive ? 'SH' : 'S2';
    if (rs === CLOSED) return oInactive ? 'SHR' : 'S3';
    if (os === SYN_SENT && rs === INACTIVE) return 'S0';
    if (os === ESTABLISHED && rs === ESTABLISHED) return 'S1';
    return 'OTH';
  }
}
