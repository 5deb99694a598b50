import { MAX_TCP_EVENTS, TCP_EVENT_NAMES, type TcpEvent, type TcpEventName } from '../../report/sections/tcp.js';

const TYPES = TCP_EVENT_NAMES.length;

/**
 * Expert events in bounded memory. Each type keeps up to MAX_TCP_EVENTS events in typed columns (frame,
 * time, stream, one number of detail), so 16 × 5,000 at most. The report's list is then shared fairly
 * between types (water-filling: a type with fewer events than its share keeps all of them and leaves the
 * rest to the others), so a few rare events are never crowded out by thousands of keep-alives; within a
 * type, the kept events are spread evenly over those stored, then everything is sorted by frame.
 */
export class EventStore {
  private readonly frame: Int32Array[] = [];
  private readonly time: Float64Array[] = [];
  private readonly flow: Int32Array[] = [];
  private readonly detail: Float64Array[] = [];
  /** Events seen per type (stored or not). */
  readonly seen = new Float64Array(TYPES);
  private readonly stored = new Int32Array(TYPES);

  constructor(private readonly perType = MAX_TCP_EVENTS) {
    for (let i = 0; i < TYPES; i++) {
      this.frame.push(new Int32Array(16));
      this.time.push(new Float64Array(16));
      this.flow.push(new Int32Array(16));
      this.detail.push(new Float64Array(16));
    }
  }

  add(type: number, frame: number, time: number, flow: number, detail: number): void {
    this.seen[type]++;
    const n = this.stored[type];
    if (n >= this.perType) return;
    if (n === this.frame[type].length) this.grow(type);
    this.frame[type][n] = frame;
    this.time[type][n] = time;
    this.flow[type][n] = flow;
    this.detail[type][n] = detail;
    this.stored[type] = n + 1;
  }

  private grow(type: number): void {
    const cap = Math.min(this.perType, this.frame[type].length * 2);
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.frame[type] = i32(this.frame[type]);
    this.flow[type] = i32(this.flow[type]);
    this.time[type] = f64(this.time[type]);
    this.detail[type] = f64(this.detail[type]);
  }

  /** The report's list, at most `max` events, and how many were left out. */
  select(max: number, describe: (type: TcpEventName, detail: number) => string | undefined): { items: TcpEvent[]; omitted: number } {
    let total = 0;
    for (let i = 0; i < TYPES; i++) total += this.seen[i];
    const quota = new Int32Array(TYPES);
    let left = Math.min(max, total);
    // Water-filling over what each type has stored.
    const open: number[] = [];
    for (let i = 0; i < TYPES; i++) if (this.stored[i] > 0) open.push(i);
    while (left > 0 && open.length > 0) {
      const share = Math.max(1, Math.floor(left / open.length));
      for (let j = open.length - 1; j >= 0 && left > 0; j--) {
        const i = open[j];
        const give = Math.min(share, this.stored[i] - quota[i], left);
        quota[i] += give;
        left -= give;
        if (quota[i] >= this.stored[i]) open.splice(j, 1);
      }
    }
    const items: TcpEvent[] = [];
    for (let i = 0; i < TYPES; i++) {
      const k = quota[i];
      const n = this.stored[i];
      const name = TCP_EVENT_NAMES[i];
      for (let j = 0; j < k; j++) {
        const at = k === n ? j : Math.floor((j * n) / k);
        const d = describe(name, this.detail[i][at]);
        const e: TcpEvent = { frame: this.frame[i][at], time: Math.max(0, this.time[i][at]), flow: this.flow[i][at], type: name };
        if (d !== undefined) e.detail = d;
        items.push(e);
      }
    }
    items.sort((a, b) => a.frame - b.frame || TCP_EVENT_NAMES.indexOf(a.type) - TCP_EVENT_NAMES.indexOf(b.type));
    return { items, omitted: total - items.length };
  }
}

export function eventIndex(name: TcpEventName): number {
  return TCP_EVENT_NAMES.indexOf(name);
}
