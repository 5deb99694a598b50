/**
 * Generates a large synthetic capture with a realistic mix for benchmarks: many concurrent TCP flows
 * (handshake, MTU-sized data, delayed ACKs with timestamps and SACK, occasional loss and
 * retransmission, FIN close), DNS over UDP (some NXDOMAIN, some unanswered) and small UDP media
 * streams. Written in big buffered writes; never committed.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export interface GenerateOptions {
  path: string;
  targetBytes: number;
  flows?: number;
  seed?: number;
  /** Write pcapng (EPB) instead of pcap. */
  pcapng?: boolean;
}

const BUF_BYTES = 4 * 1024 * 1024;

class Rng {
  constructor(private s: number) {}
  next(): number {
    // xorshift32: deterministic so every run measures the same file.
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

interface Flow {
  client: number;
  server: number;
  cport: number;
  sport: number;
  cseq: number;
  sseq: number;
  state: number;
  remaining: number;
  sinceAck: number;
}

export function generateCapture(opts: GenerateOptions): { packets: number; bytes: number } {
  const rng = new Rng(opts.seed ?? 12345);
  const fd = openSync(opts.path, 'w');
  const buf = new Uint8Array(BUF_BYTES);
  const dv = new DataView(buf.buffer);
  let pos = 0;
  let written = 0;
  let packets = 0;
  let tUsec = 1_700_000_000 * 1e6;
  const flush = () => {
    writeSync(fd, buf, 0, pos);
    written += pos;
    pos = 0;
  };
  // File header.
  if (opts.pcapng) {
    const shb = [0x0a0d0d0a, 28, 0x1a2b3c4d, 0x00000001, 0xffffffff, 0xffffffff, 28];
    shb.forEach((x, i) => dv.setUint32(i * 4, x, true));
    dv.setUint16(12, 1, true);
    dv.setUint16(14, 0, true);
    pos = 28;
    const idb = [1, 20, 1, 262144, 20];
    idb.forEach((x, i) => dv.setUint32(pos + i * 4, x, true));
    dv.setUint16(pos + 8, 1, true);
    dv.setUint16(pos + 10, 0, true);
    pos += 20;
  } else {
    dv.setUint32(0, 0xa1b2c3d4, true);
    dv.setUint16(4, 2, true);
    dv.setUint16(6, 4, true);
    dv.setUint32(16, 262144, true);
    dv.setUint32(20, 1, true);
    pos = 24;
  }

  const frame = new Uint8Array(1514);
  const fdv = new DataView(frame.buffer);
  // Ethernet + IPv4 header template.
  frame.set([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00], 0);

  const emit = (len: number) => {
    const rec = opts.pcapng ? 28 + ((len + 3) & ~3) + 4 : 16 + len;
    if (pos + rec > BUF_BYTES) flush();
    if (opts.pcapng) {
      const padded = (len + 3) & ~3;
      const total = 32 + padded;
      dv.setUint32(pos, 6, true);
      dv.setUint32(pos + 4, total, true);
      dv.setUint32(pos + 8, 0, true);
      dv.setUint32(pos + 12, Math.floor(tUsec / 4294967296), true);
      dv.setUint32(pos + 16, tUsec % 4294967296, true);
      dv.setUint32(pos + 20, len, true);
      dv.setUint32(pos + 24, len, true);
      buf.set(frame.subarray(0, len), pos + 28);
      buf.fill(0, pos + 28 + len, pos + 28 + padded);
      dv.setUint32(pos + 28 + padded, total, true);
      pos += total;
    } else {
      dv.setUint32(pos, Math.floor(tUsec / 1e6), true);
      dv.setUint32(pos + 4, tUsec % 1e6, true);
      dv.setUint32(pos + 8, len, true);
      dv.setUint32(pos + 12, len, true);
      buf.set(frame.subarray(0, len), pos + 16);
      pos += 16 + len;
    }
    packets++;
    tUsec += 1 + rng.int(40);
  };

  const ipv4 = (src: number, dst: number, proto: number, payload: number) => {
    frame[14] = 0x45;
    frame[15] = 0;
    fdv.setUint16(16, 20 + payload);
    fdv.setUint16(18, packets & 0xffff);
    fdv.setUint16(20, 0x4000);
    frame[22] = 64;
    frame[23] = proto;
    fdv.setUint16(24, 0);
    fdv.setUint32(26, src);
    fdv.setUint32(30, dst);
  };

  const tcp = (f: Flow, fromClient: boolean, flags: number, payload: number, sack: boolean) => {
    const src = fromClient ? f.client : f.server;
    const dst = fromClient ? f.server : f.client;
    const optLen = flags & 0x02 ? 20 : sack ? 24 : 12;
    ipv4(src, dst, 6, 20 + optLen + payload);
    const o = 34;
    fdv.setUint16(o, fromClient ? f.cport : f.sport);
    fdv.setUint16(o + 2, fromClient ? f.sport : f.cport);
    fdv.setUint32(o + 4, fromClient ? f.cseq : f.sseq);
    fdv.setUint32(o + 8, flags & 0x10 ? (fromClient ? f.sseq : f.cseq) : 0);
    frame[o + 12] = ((20 + optLen) / 4) << 4;
    frame[o + 13] = flags;
    fdv.setUint16(o + 14, 4096);
    fdv.setUint32(o + 16, 0);
    let p = o + 20;
    if (flags & 0x02) {
      frame.set([2, 4, 0x05, 0xb4, 4, 2, 8, 10], p);
      fdv.setUint32(p + 8, tUsec / 1000);
      fdv.setUint32(p + 12, 0);
      frame.set([1, 3, 3, 7], p + 16);
    } else {
      frame.set([1, 1, 8, 10], p);
      fdv.setUint32(p + 4, tUsec / 1000);
      fdv.setUint32(p + 8, tUsec / 1000 - 20);
      if (sack) {
        frame.set([1, 1, 5, 10], p + 12);
        fdv.setUint32(p + 16, f.sseq + 2896);
        fdv.setUint32(p + 20, f.sseq + 4344);
      }
    }
    const len = 34 + 20 + optLen + payload;
    emit(len);
  };

  const flows: Flow[] = [];
  const nFlows = opts.flows ?? 2000;
  let nextPort = 10000;
  const newFlow = (): Flow => {
    nextPort = nextPort >= 65000 ? 10000 : nextPort + 1;
    return {
      client: 0x0a000000 + 1 + rng.int(5000),
      server: 0xc0a80000 + 1 + rng.int(200),
      cport: nextPort,
      sport: [443, 80, 8443, 22, 445][rng.int(5)],
      cseq: rng.int(0xffffffff) >>> 0,
      sseq: rng.int(0xffffffff) >>> 0,
      state: 0,
      remaining: 20_000 + rng.int(2_000_000),
      sinceAck: 0,
    };
  };
  for (let i = 0; i < nFlows; i++) flows.push(newFlow());

  let dnsId = 1;
  while (written + pos < opts.targetBytes) {
    const r = rng.next();
    if (r < 0.02) {
      // DNS query, usually answered.
      const client = 0x0a000000 + 1 + rng.int(5000);
      const server = 0x08080808;
      const id = dnsId++ & 0xffff;
      const q = [3, 0x77, 0x77, 0x77, 7, ...Array.from('example', (c) => c.charCodeAt(0)), 3, 0x63, 0x6f, 0x6d, 0, 0, 1, 0, 1];
      const dnsQuery = (response: boolean, rcode: number) => {
        const payload = 12 + q.length + (response && rcode === 0 ? 16 : 0);
        ipv4(response ? server : client, response ? client : server, 17, 8 + payload);
        fdv.setUint16(34, response ? 53 : 40000 + (id % 20000));
        fdv.setUint16(36, response ? 40000 + (id % 20000) : 53);
        fdv.setUint16(38, 8 + payload);
        fdv.setUint16(40, 0);
        fdv.setUint16(42, id);
        fdv.setUint16(44, response ? 0x8180 | rcode : 0x0100);
        fdv.setUint16(46, 1);
        fdv.setUint16(48, response && rcode === 0 ? 1 : 0);
        fdv.setUint32(50, 0);
        frame.set(q, 54);
        if (response && rcode === 0) {
          frame.set([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34], 54 + q.length);
        }
        emit(42 + payload);
      };
      dnsQuery(false, 0);
      const fate = rng.next();
      if (fate < 0.9) dnsQuery(true, 0);
      else if (fate < 0.97) dnsQuery(true, 3);
      continue;
    }
    if (r < 0.06) {
      // UDP media (RTP-sized).
      ipv4(0x0a000063, 0x0a000064, 17, 8 + 172);
      fdv.setUint16(34, 16384);
      fdv.setUint16(36, 16386);
      fdv.setUint16(38, 180);
      emit(42 + 172);
      continue;
    }
    const idx = rng.int(flows.length);
    const f = flows[idx];
    switch (f.state) {
      case 0:
        tcp(f, true, 0x02, 0, false);
        f.state = 1;
        break;
      case 1:
        tcp(f, false, 0x12, 0, false);
        f.sseq = (f.sseq + 1) >>> 0;
        f.cseq = (f.cseq + 1) >>> 0;
        f.state = 2;
        break;
      case 2:
        tcp(f, true, 0x10, 0, false);
        tcp(f, true, 0x18, 300, false);
        f.cseq = (f.cseq + 300) >>> 0;
        f.state = 3;
        break;
      case 3: {
        // Server sends two full segments, the client ACKs (delayed ACK), sometimes with loss.
        for (let k = 0; k < 2 && f.remaining > 0; k++) {
          const n = Math.min(1448, f.remaining);
          tcp(f, false, 0x10, n, false);
          if (rng.next() < 0.003) tcp(f, false, 0x10, n, false); // retransmission
          f.sseq = (f.sseq + n) >>> 0;
          f.remaining -= n;
        }
        tcp(f, true, 0x10, 0, rng.next() < 0.01);
        if (f.remaining <= 0) f.state = 4;
        break;
      }
      case 4:
        tcp(f, false, 0x11, 0, false);
        f.sseq = (f.sseq + 1) >>> 0;
        tcp(f, true, 0x11, 0, false);
        f.cseq = (f.cseq + 1) >>> 0;
        tcp(f, false, 0x10, 0, false);
        flows[idx] = newFlow();
        break;
    }
  }
  flush();
  closeSync(fd);
  return { packets, bytes: written };
}

/**
 * A SYN scan/flood of `flows` distinct TCP flows, one 58-byte SYN each, as pcap chunks produced on the
 * fly (never held whole): the worst case for per-flow state.
 */
export function* synFloodChunks(flows: number): Generator<Uint8Array> {
  const header = new Uint8Array(24);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, 0xa1b2c3d4, true);
  hv.setUint16(4, 2, true);
  hv.setUint16(6, 4, true);
  hv.setUint32(16, 65535, true);
  hv.setUint32(20, 1, true);
  yield header;
  const recLen = 16 + 58;
  const perChunk = 10_000;
  const chunk = new Uint8Array(recLen * perChunk);
  const dv = new DataView(chunk.buffer);
  for (let done = 0; done < flows; done += perChunk) {
    const count = Math.min(perChunk, flows - done);
    for (let k = 0; k < count; k++) {
      const i = done + k;
      const o = k * recLen;
      dv.setUint32(o, 1_700_000_000 + Math.floor(i / 100_000), true);
      dv.setUint32(o + 4, (i % 100_000) * 10, true);
      dv.setUint32(o + 8, 58, true);
      dv.setUint32(o + 12, 58, true);
      const p = o + 16;
      chunk.fill(0, p, p + 58);
      dv.setUint16(p + 12, 0x0800);
      dv.setUint8(p + 14, 0x45);
      dv.setUint16(p + 16, 44);
      dv.setUint8(p + 22, 64);
      dv.setUint8(p + 23, 6);
      dv.setUint32(p + 26, 0x0a000000 + (i >>> 16)); // the source changes every 65,536 flows
      dv.setUint32(p + 30, 0xc0a80001);
      dv.setUint16(p + 34, 1024 + ((i & 0xffff) % 60000));
      dv.setUint16(p + 36, 80 + ((i & 0xffff) >= 60000 ? 1 : 0));
      dv.setUint32(p + 38, i);
      dv.setUint8(p + 46, 0x60);
      dv.setUint8(p + 47, 0x02);
      dv.setUint16(p + 48, 1024);
      dv.setUint32(p + 54, 0x020405b4);
    }
    yield count === perChunk ? chunk : chunk.subarray(0, count * recLen);
  }
}

/** Writes `synFloodChunks(flows)` to a file. */
export function generateSynFlood(path: string, flows: number): void {
  const fd = openSync(path, 'w');
  for (const chunk of synFloodChunks(flows)) writeSync(fd, chunk);
  closeSync(fd);
}
