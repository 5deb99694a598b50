import { L4, type PacketView } from '../decode/packet.js';
import { Layer, Proto, Stop } from '../decode/protocols.js';
import type { DnsSection } from '../report/sections/dns.js';
import { defaultThresholds, type Thresholds } from '../report/thresholds.js';
import { ipv4Text, ipv6Text } from './address.js';
import type { Analyzer, FinishContext } from './analyzer.js';
import { DnsMessageReader, type DnsMessageInfo } from './dns-message.js';
import { dnsRcodeName, dnsTypeName } from './dns-names.js';
import { DistributionBuilder, SpaceSavingTopK, TopN } from './dns-stats.js';

/*
 * DNS analysis in two layers.
 *
 * 1. Wireshark-compatible figures. `queries`, `responses` and `errorResponses` are FRAME counts of
 *    `dns.flags.response==0`, `==1` and `dns.flags.response==1 && dns.flags.rcode!=0`. Those fields are
 *    shared by the DNS, mDNS (UDP 5353) and LLMNR (UDP 5355) dissectors and are also set on DNS quoted
 *    inside ICMP errors, so all of those count here too. `responseTime` is the distribution of
 *    `dns.time`, reproducing packet-dns.c (4.0): per conversation (udp/tcp stream), the latest request
 *    with a transaction id is looked up; a request whose transaction has no response yet and is less
 *    than `dns.retransmission_timer` (5 s) old is a retransmission, otherwise a new transaction; the
 *    first response gets `dns.time` = response − first request; further responses do not, unless the
 *    transaction asks for AXFR/IXFR ("multiple responses"). Not for ICMP-quoted messages.
 *
 * 2. The network engineer's view, over unicast DNS only (port 53 over UDP or TCP; no mDNS/LLMNR, no
 *    ICMP quotes): a query is identified by transport, client address and port, server address and
 *    port, transaction id and question (name, case-insensitive, and type).
 *    - The same query again before any response is a retransmission: counted in
 *      `retransmittedQueries`, not a new query (no double "unanswered"); the response time is measured
 *      from the first transmission, i.e. what the client waited.
 *    - A query is answered if a response comes within `dnsTimeoutSeconds` of its last transmission.
 *      Otherwise it is unanswered. A response arriving later is a "late response": the query stays
 *      unanswered and the response is counted neither as a transaction nor as unmatched.
 *    - At the end of the capture, a query still waiting counts as unanswered only if the capture goes
 *      on for at least `dnsTimeoutSeconds` after its last transmission; queries sent in the last
 *      `dnsTimeoutSeconds` are "pending at end", not unanswered (the capture cannot tell).
 *    - A response matching no query is unmatched; a second response to an already answered query is a
 *      duplicate (also what zone transfers send) and is neither unmatched nor a new transaction.
 *    - Memory is bounded: at most `limits.tracked` queries are tracked; when full the least recently active
 *      one is dropped and, if still waiting, counted as unanswered (and in `evictedPending`). Answered
 *      and expired queries are remembered for a grace period (to classify duplicates and late
 *      responses), then forgotten.
 *    - Names, servers: space-saving top-K (exact until more distinct keys than the capacity).
 *
 * `rcodes` and `qtypes` count messages (not frames) of every kind counted in queries/responses, except
 * ICMP-quoted copies. `rcodes` uses the EDNS extended RCODE when an OPT record carries one (so
 * BADCOOKIE/BADVERS appear by name), while `errorResponses` follows `dns.flags.rcode` (header only).
 * `overTcp` counts DNS messages carried over TCP. `malformed` counts messages on DNS/mDNS/LLMNR ports
 * whose header or first question cannot be read (messages cut short by the capture's snapshot length
 * are not malformed).
 */

/** Wireshark's dns.retransmission_timer default (seconds). */
export const WIRESHARK_RETRANSMISSION_TIMER = 5;
const MAX_TOP_NAMES = 50;
const MAX_SLOWEST = 50;
const MAX_ERRORS = 200;
const MAX_UNANSWERED = 200;
const MAX_SERVERS = 50;
const MAX_RCODES = 32;
const MAX_QTYPES = 64;

/** Address texts remembered (cleared when full). */
const ADDRESS_CACHE = 4096;

const KIND_DNS = 0;
const KIND_MDNS = 1;
const KIND_LLMNR = 2;

const PENDING = 0;
const EXPIRED = 1;
const ANSWERED = 2;

export interface DnsAnalyzerOptions {
  /**
   * Thresholds used while streaming (expiry of waiting queries needs the timeout before finish()).
   * Pass the same values the FinishContext will carry; defaults to the documented defaults.
   */
  thresholds?: Partial<Thresholds>;
  /** Called for every `dns.time` value as Wireshark would show it (tests and diagnostics). */
  onWiresharkTime?: (responseFrame: number, requestFrame: number, seconds: number) => void;
  /** Table sizes (tests shrink them to exercise eviction). */
  limits?: Partial<DnsLimits>;
}

export interface DnsLimits {
  /** Queries tracked for matching (waiting, plus answered/expired ones in their grace period). */
  tracked: number;
  /** Open Wireshark-style transactions (per conversation and id). */
  wiresharkPending: number;
  /** Distinct names counted exactly before space-saving replacement starts. */
  names: number;
  /** Distinct servers counted exactly before space-saving replacement starts. */
  servers: number;
}

export const DEFAULT_DNS_LIMITS: DnsLimits = { tracked: 50_000, wiresharkPending: 50_000, names: 2048, servers: 1024 };

interface Query {
  /** transport|client|port|server|port|id: the key in the tracking table (see `convKey`). */
  conv: number | string;
  /** Other queries tracked under the same key (same socket pair and id, another question). */
  alt: Query | null;
  frame: number;
  time: number;
  lastSent: number;
  lastActivity: number;
  name: string;
  /** Lower-case name, the key of name statistics ('' without a question). */
  nameKey: string;
  qtype: number;
  client: string;
  server: string;
  state: number;
  /** A response came after the timeout. */
  late: boolean;
  prev: Query | null;
  next: Query | null;
}

interface WiresharkTx {
  key: number | string;
  reqFrame: number;
  reqTime: number;
  repFrame: number;
  multiple: boolean;
  prev: WiresharkTx | null;
  next: WiresharkTx | null;
}

interface Linked<T> {
  prev: T | null;
  next: T | null;
}

/**
 * Intrusive doubly-linked list keeping records in order of last activity (oldest first). A Map's
 * insertion order would do the same, but re-inserting and deleting at the front leave tombstones
 * that make `keys().next()` scan: this stays O(1).
 */
class ActivityList<T extends Linked<T>> {
  head: T | null = null;
  tail: T | null = null;

  append(x: T): void {
    x.prev = this.tail;
    x.next = null;
    if (this.tail) this.tail.next = x;
    else this.head = x;
    this.tail = x;
  }

  remove(x: T): void {
    if (x.prev) x.prev.next = x.next;
    else if (this.head === x) this.head = x.next;
    if (x.next) x.next.prev = x.prev;
    else if (this.tail === x) this.tail = x.prev;
    x.prev = x.next = null;
  }

  moveToEnd(x: T): void {
    if (this.tail === x) return;
    this.remove(x);
    this.append(x);
  }
}

interface NameStats {
  errors: number;
  unanswered: number;
}

interface ServerStats {
  queries: number;
  responses: number;
  errors: number;
  unanswered: number;
  rtSum: number;
  rtCount: number;
}

type Slow = DnsSection['slowest']['items'][number];
type ErrorItem = DnsSection['errors']['items'][number];
type UnansweredItem = DnsSection['unansweredQueries']['items'][number];

/** Extra figures not (yet) in the report schema, exposed for tests and diagnostics. */
export interface DnsExtraCounts {
  /** DNS messages quoted inside ICMP errors (counted in queries/responses like Wireshark, nothing else). */
  icmpQuoted: number;
  mdnsMessages: number;
  llmnrMessages: number;
  /** Responses to queries that had already timed out. */
  lateResponses: number;
  /** Further responses to an answered query (duplicates, zone-transfer continuation). */
  duplicateResponses: number;
  /** Queries still waiting at the end, sent less than the timeout before the last packet. */
  pendingAtEnd: number;
  /** Waiting queries dropped because limits.tracked was reached (included in `unanswered`). */
  evictedPending: number;
  /** Wireshark-style open transactions dropped because limits.wiresharkPending was reached. */
  wiresharkEvicted: number;
}

const max0 = (x: number) => (x > 0 ? x : 0);

export class DnsAnalyzer implements Analyzer<DnsSection> {
  private queries = 0;
  private responses = 0;
  private errorResponses = 0;
  private transactions = 0;
  private unanswered = 0;
  private unmatchedResponses = 0;
  private overTcp = 0;
  private retransmittedQueries = 0;
  private malformed = 0;
  readonly extra: DnsExtraCounts = {
    icmpQuoted: 0,
    mdnsMessages: 0,
    llmnrMessages: 0,
    lateResponses: 0,
    duplicateResponses: 0,
    pendingAtEnd: 0,
    evictedPending: 0,
    wiresharkEvicted: 0,
  };

  private readonly rcodes = new Map<number, number>();
  private readonly qtypes = new Map<number, number>();
  private readonly responseTime = new DistributionBuilder();

  private readonly wireshark = new Map<number | string, WiresharkTx>();
  private readonly wiresharkOrder = new ActivityList<WiresharkTx>();
  private readonly tracked = new Map<number | string, Query>();
  private trackedCount = 0;
  private readonly order = new ActivityList<Query>();
  private readonly names: SpaceSavingTopK<NameStats>;
  private readonly servers: SpaceSavingTopK<ServerStats>;
  private readonly limits: DnsLimits;
  private readonly slowest = new TopN<Slow>(MAX_SLOWEST, (a, b) => b.responseTime - a.responseTime || a.frame - b.frame);
  private readonly errors = new TopN<ErrorItem>(MAX_ERRORS, (a, b) => a.responseFrame - b.responseFrame);
  private readonly unansweredList = new TopN<UnansweredItem>(MAX_UNANSWERED, (a, b) => a.frame - b.frame || a.time - b.time);

  private readonly timeout: number;
  private readonly grace: number;
  private readonly sweepInterval: number;
  private now = -Infinity;
  private lastSweep = -Infinity;
  private readonly onWiresharkTime: DnsAnalyzerOptions['onWiresharkTime'];

  // Per-frame state.
  private frameQuery = false;
  private frameResponse = false;
  private frameError = false;
  private srcText = '';
  private dstText = '';
  /** Address text by binary form, so tracked queries share one string per address: IPv4 by number. */
  private readonly addressText = new Map<string, string>();
  private readonly v4Text = new Map<number, string>();
  private readonly reader = new DnsMessageReader();

  constructor(options: DnsAnalyzerOptions = {}) {
    const t = { ...defaultThresholds(), ...options.thresholds };
    this.timeout = t.dnsTimeoutSeconds;
    this.grace = Math.max(3 * this.timeout, 5);
    this.sweepInterval = Math.max(this.timeout / 2, 0.1);
    this.onWiresharkTime = options.onWiresharkTime;
    this.limits = { ...DEFAULT_DNS_LIMITS, ...options.limits };
    this.names = new SpaceSavingTopK<NameStats>(this.limits.names, () => ({ errors: 0, unanswered: 0 }));
    this.servers = new SpaceSavingTopK<ServerStats>(this.limits.servers, () => ({ queries: 0, responses: 0, errors: 0, unanswered: 0, rtSum: 0, rtCount: 0 }));
  }

  onPacket(v: PacketView): void {
    const n = v.dnsCount;
    if (n === 0) {
      // No allocation on this path: only DNS-port UDP packets the decoder did not hand over go further.
      if (v.l4 !== L4.UDP) return;
      if (v.has(Proto.MDNS) || v.has(Proto.LLMNR)) this.fromUdpPayload(v, v.has(Proto.MDNS) ? KIND_MDNS : KIND_LLMNR, false);
      else if (v.stop === Stop.MALFORMED && v.stopDetail === Layer.DNS) this.fromUdpPayload(v, KIND_DNS, true);
      return;
    }
    this.beginFrame(v);
    const kind = v.has(Proto.DNS) || v.dnsInIcmpError ? KIND_DNS : v.has(Proto.MDNS) ? KIND_MDNS : v.has(Proto.LLMNR) ? KIND_LLMNR : KIND_DNS;
    for (let i = 0; i < n; i++) this.message(v, v.dnsBuf[i], v.dnsOff[i], v.dnsLen[i], kind, v.dnsInIcmpError, false);
    this.endFrame();
  }

  /**
   * mDNS/LLMNR (the decoder marks them but does not hand them over as DNS messages) and DNS messages
   * the decoder stopped at because the question name is broken: Wireshark still shows their header
   * fields, so they count as queries/responses.
   */
  private fromUdpPayload(v: PacketView, kind: number, brokenName: boolean): void {
    if (v.payloadLen <= 0) return;
    this.beginFrame(v);
    this.message(v, v.l4Buf, v.payloadOff, v.payloadCapLen, kind, false, brokenName);
    this.endFrame();
  }

  private beginFrame(v: PacketView): void {
    this.frameQuery = this.frameResponse = this.frameError = false;
    this.srcText = this.dstText = '';
    if (v.time > this.now) this.now = v.time;
    if (this.now - this.lastSweep >= this.sweepInterval) {
      this.lastSweep = this.now;
      this.sweep(this.now);
    }
  }

  private endFrame(): void {
    if (this.frameQuery) this.queries++;
    if (this.frameResponse) this.responses++;
    if (this.frameError) this.errorResponses++;
  }

  private message(v: PacketView, buf: Uint8Array, off: number, len: number, kind: number, inError: boolean, brokenName: boolean): void {
    // Wireshark adds the flags (dns.flags.response, dns.flags.rcode) as soon as the first 4 bytes are
    // there, before it fails on a short header: such messages count as queries/responses too.
    if (len >= 4) {
      const flags = (buf[off + 2] << 8) | buf[off + 3];
      if ((flags & 0x8000) !== 0) {
        this.frameResponse = true;
        if ((flags & 0xf) !== 0) this.frameError = true;
      } else {
        this.frameQuery = true;
      }
    }
    if (inError) {
      this.extra.icmpQuoted++;
      return;
    }
    const m = this.reader.inspect(buf, off, len);
    if (!m || m.short) {
      if (!this.cutByCapture(v)) this.malformed++;
      // Wireshark tracks the transaction of a short message (id and flags) but shows no dns.time.
      if (m) this.wiresharkMatch(v, m);
      return;
    }
    if (kind === KIND_MDNS) this.extra.mdnsMessages++;
    else if (kind === KIND_LLMNR) this.extra.llmnrMessages++;
    if (v.dnsOverTcp && v.l4 === L4.TCP) this.overTcp++;
    if (brokenName || (m.questionError !== null && !(m.questionError === 'truncated' && this.cutByCapture(v)))) this.malformed++;
    if (m.response) bump(this.rcodes, m.fullRcode);
    else if (m.name !== null) bump(this.qtypes, m.qtype);

    this.wiresharkMatch(v, m);
    if (kind === KIND_DNS && (v.l4 === L4.UDP || v.l4 === L4.TCP)) {
      if (this.srcText === '') this.addresses(v);
      if (m.response) this.response(v, m);
      else this.query(v, m);
    }
  }

  /** The UDP payload was cut by the snapshot length (a TCP message handed over is always complete). */
  private cutByCapture(v: PacketView): boolean {
    return v.l4 === L4.UDP && v.payloadCapLen < v.payloadLen;
  }

  private addresses(v: PacketView): void {
    if (v.ipVersion === 4) {
      this.srcText = this.text4(v.src4);
      this.dstText = this.text4(v.dst4);
    } else {
      this.srcText = this.text6(v6Key(v.buf, v.srcAddrOff), v.buf, v.srcAddrOff);
      this.dstText = this.text6(v6Key(v.buf, v.dstAddrOff), v.buf, v.dstAddrOff);
    }
  }

  private text4(a: number): string {
    let t = this.v4Text.get(a);
    if (t === undefined) {
      t = ipv4Text(a);
      if (this.v4Text.size >= ADDRESS_CACHE) this.v4Text.clear();
      this.v4Text.set(a, t);
    }
    return t;
  }

  private text6(key: string, buf: Uint8Array, off: number): string {
    let t = this.addressText.get(key);
    if (t === undefined) {
      t = ipv6Text(buf, off);
      if (this.addressText.size >= ADDRESS_CACHE) this.addressText.clear();
      this.addressText.set(key, t);
    }
    return t;
  }

  /**
   * The tracking key of a query: transport, client, client port, server, server port, id. A UDP flow
   * of the flow table is one (addresses, ports) pair and the client one of its sides, so there the key
   * is a number made of the flow row, the client's side and the id (no string to build and hash per
   * message); elsewhere (TCP, whose rows change with port reuse, and flows the table could not hold)
   * it is one compact string. Numbers and strings never collide as Map keys.
   */
  private convKey(v: PacketView, clientIsSource: boolean, id: number): number | string {
    if (v.l4 === L4.UDP && v.flowIndex >= 0) return (v.flowIndex * 2 + (clientIsSource ? v.flowDir : v.flowDir ^ 1)) * 65536 + id;
    const src = v.ipVersion === 4 ? String.fromCharCode(v.src4 >>> 16, v.src4 & 0xffff) : v6Key(v.buf, v.srcAddrOff);
    const dst = v.ipVersion === 4 ? String.fromCharCode(v.dst4 >>> 16, v.dst4 & 0xffff) : v6Key(v.buf, v.dstAddrOff);
    return clientIsSource
      ? String.fromCharCode(v.l4, v.srcPort, v.dstPort, id) + src + dst
      : String.fromCharCode(v.l4, v.dstPort, v.srcPort, id) + dst + src;
  }

  // ───────────────────────── Wireshark's dns.time ─────────────────────────

  private wiresharkKey(v: PacketView, id: number): number | string {
    if (v.flowIndex >= 0) return v.flowIndex * 65536 + id;
    // Flow table full: the conversation by its addresses and ports, either direction.
    if (this.srcText === '') this.addresses(v);
    const a = `${this.srcText}/${v.srcPort}`;
    const b = `${this.dstText}/${v.dstPort}`;
    return `${v.l4}|${a < b ? a : b}|${a < b ? b : a}|${id}`;
  }

  private wiresharkMatch(v: PacketView, m: DnsMessageInfo): void {
    if (v.l4 !== L4.UDP && v.l4 !== L4.TCP) return;
    const key = this.wiresharkKey(v, m.id);
    const map = this.wireshark;
    const t = v.time;
    let tx = map.get(key);
    if (!m.response) {
      if (!tx || tx.repFrame > 0 || !(t - tx.reqTime < WIRESHARK_RETRANSMISSION_TIMER)) {
        if (tx) this.wiresharkForget(tx);
        if (map.size >= this.limits.wiresharkPending && this.wiresharkOrder.head) {
          this.wiresharkForget(this.wiresharkOrder.head);
          this.extra.wiresharkEvicted++;
        }
        tx = { key, reqFrame: v.frame, reqTime: t, repFrame: 0, multiple: false, prev: null, next: null };
        map.set(key, tx);
        this.wiresharkOrder.append(tx);
      }
      if (m.qdcount > 0 && m.questionError === null) tx.multiple = m.zoneTransfer;
      return;
    }
    if (!tx) return;
    let timed = false;
    if (tx.repFrame === 0) {
      tx.repFrame = v.frame;
      timed = true;
    } else if (tx.multiple) {
      timed = true;
    }
    if (timed && m.complete) {
      const dt = t - tx.reqTime;
      this.responseTime.add(dt);
      this.onWiresharkTime?.(v.frame, tx.reqFrame, dt);
    }
    if (m.qdcount > 0 && m.questionError === null) tx.multiple = m.zoneTransfer;
    // Answered and not a zone transfer: nothing later can be timed against it (a new request starts
    // a new transaction, another response is a retransmission either way).
    if (!tx.multiple) this.wiresharkForget(tx);
  }

  private wiresharkForget(tx: WiresharkTx): void {
    this.wireshark.delete(tx.key);
    this.wiresharkOrder.remove(tx);
  }

  // ───────────────────────── engineer's matching ─────────────────────────

  private query(v: PacketView, m: DnsMessageInfo): void {
    const client = this.srcText;
    const server = this.dstText;
    const conv = this.convKey(v, true, m.id);
    const nameKey = m.nameKey;
    const qtype = m.name === null ? -1 : m.qtype;
    const now = v.time;
    const first = this.tracked.get(conv);
    const old = first ? sameQuestion(first, nameKey, qtype) : null;
    if (old && (old.state === PENDING || (old.state === EXPIRED && !old.late))) {
      // Same query again before any response.
      this.retransmittedQueries++;
      old.state = PENDING;
      old.lastSent = now;
      this.touch(old, now);
      return;
    }
    if (old) this.forget(old);
    if (this.trackedCount >= this.limits.tracked) this.dropOldest();
    const q: Query = {
      conv,
      alt: this.tracked.get(conv) ?? null,
      frame: v.frame,
      time: now,
      lastSent: now,
      lastActivity: now,
      name: m.name ?? '',
      nameKey,
      qtype,
      client,
      server,
      state: PENDING,
      late: false,
      prev: null,
      next: null,
    };
    this.tracked.set(conv, q);
    this.trackedCount++;
    this.order.append(q);
    this.servers.add(server).value.queries++;
    if (m.name !== null) this.names.add(nameKey);
  }

  private response(v: PacketView, m: DnsMessageInfo): void {
    const server = this.srcText;
    const client = this.dstText;
    const conv = this.convKey(v, false, m.id);
    const now = v.time;
    const nameKey = m.nameKey;
    const first = this.tracked.get(conv);
    let q: Query | null = null;
    if (first) {
      if (m.name !== null) q = sameQuestion(first, nameKey, m.qtype);
      else if (m.qdcount === 0) q = openOrFirst(first);
    }
    const s = this.servers.add(server).value;
    s.responses++;
    const isError = m.fullRcode !== 0;

    if (q && q.state === PENDING && now - q.lastSent > this.timeout) q.state = EXPIRED;
    if (!q) {
      this.unmatchedResponses++;
    } else if (q.state === ANSWERED) {
      this.extra.duplicateResponses++;
      this.touch(q, now);
      return;
    } else if (q.state === EXPIRED) {
      if (!q.late) this.extra.lateResponses++;
      q.late = true;
      this.touch(q, now);
    } else {
      q.state = ANSWERED;
      this.touch(q, now);
      this.transactions++;
      const rt = now - q.time;
      s.rtSum += rt;
      s.rtCount++;
      const worst = this.slowest.items.length < MAX_SLOWEST ? null : this.slowest.items[MAX_SLOWEST - 1];
      if (worst && (max0(rt) < worst.responseTime || (max0(rt) === worst.responseTime && q.frame >= worst.frame))) {
        this.slowest.omitted++;
      } else {
        this.slowest.add({
          frame: q.frame,
          responseFrame: v.frame,
          name: q.name,
          qtype: q.qtype < 0 ? '' : dnsTypeName(q.qtype),
          client,
          server,
          time: max0(q.time),
          responseTime: max0(rt),
        });
      }
    }
    if (!isError) return;
    s.errors++;
    const nk = q ? q.nameKey : nameKey;
    if (nk !== '') {
      const ns = this.names.get(nk);
      if (ns) ns.value.errors++;
    }
    this.errors.add({
      frame: q ? q.frame : null,
      responseFrame: v.frame,
      name: q ? q.name : (m.name ?? ''),
      qtype: q ? (q.qtype < 0 ? '' : dnsTypeName(q.qtype)) : m.name !== null ? dnsTypeName(m.qtype) : '',
      rcode: dnsRcodeName(m.fullRcode),
      client,
      server,
      time: max0(now),
    });
  }

  /** Moves a query to the most-recently-active end of the table. */
  private touch(q: Query, now: number): void {
    q.lastActivity = now;
    this.order.moveToEnd(q);
  }

  /** Expires waiting queries past the timeout and forgets settled ones past the grace period. */
  private sweep(now: number): void {
    for (let q = this.order.head; q !== null; ) {
      if (q.lastActivity > now - this.timeout) break;
      const next: Query | null = q.next;
      if (q.state === PENDING && now - q.lastSent > this.timeout) q.state = EXPIRED;
      if (q.state !== PENDING && now - q.lastActivity > this.grace) this.forget(q);
      q = next;
    }
  }

  private dropOldest(): void {
    const q = this.order.head;
    if (!q) return;
    if (q.state === PENDING) {
      this.extra.evictedPending++;
      q.state = EXPIRED;
    }
    this.forget(q);
  }

  /** Removes a query from the tables, counting it as unanswered if it timed out. */
  private forget(q: Query): void {
    const first = this.tracked.get(q.conv);
    if (first === q) {
      if (q.alt) this.tracked.set(q.conv, q.alt);
      else this.tracked.delete(q.conv);
    } else {
      for (let p: Query | null = first ?? null; p; p = p.alt) {
        if (p.alt === q) {
          p.alt = q.alt;
          break;
        }
      }
    }
    q.alt = null;
    this.trackedCount--;
    this.order.remove(q);
    if (q.state === EXPIRED) this.countUnanswered(q);
  }

  private countUnanswered(q: Query): void {
    this.unanswered++;
    const s = this.servers.get(q.server);
    if (s) s.value.unanswered++;
    if (q.nameKey !== '') {
      const ns = this.names.get(q.nameKey);
      if (ns) ns.value.unanswered++;
    }
    const item: UnansweredItem = {
      frame: q.frame,
      name: q.name,
      qtype: q.qtype < 0 ? '' : dnsTypeName(q.qtype),
      client: q.client,
      server: q.server,
      time: max0(q.time),
    };
    this.unansweredList.add(item);
  }

  finish(ctx: FinishContext): DnsSection {
    const end = Math.max(ctx.endTime, this.now);
    for (let q = this.order.head, next: Query | null; q !== null; q = next) {
      next = q.next;
      if (q.state === PENDING) {
        if (end - q.lastSent >= this.timeout) q.state = EXPIRED;
        else this.extra.pendingAtEnd++;
      }
      this.forget(q);
    }
    this.wireshark.clear();
    this.wiresharkOrder.head = this.wiresharkOrder.tail = null;

    const topNames = this.names.entries().filter((e) => e.key !== '');
    const servers = this.servers.entries().sort((a, b) => b.value.queries - a.value.queries || b.value.responses - a.value.responses || (a.key < b.key ? -1 : 1));
    return {
      queries: this.queries,
      responses: this.responses,
      errorResponses: this.errorResponses,
      transactions: this.transactions,
      unanswered: this.unanswered,
      unmatchedResponses: this.unmatchedResponses,
      overTcp: this.overTcp,
      retransmittedQueries: this.retransmittedQueries,
      rcodes: cappedDict(this.rcodes, dnsRcodeName, MAX_RCODES),
      qtypes: cappedDict(this.qtypes, dnsTypeName, MAX_QTYPES),
      responseTime: this.responseTime.result(),
      topNames: {
        items: topNames.slice(0, MAX_TOP_NAMES).map((e) => ({ name: e.key, queries: e.count, errors: e.value.errors, unanswered: e.value.unanswered })),
        omitted: max0(topNames.length - MAX_TOP_NAMES) + this.names.replaced,
      },
      slowest: this.slowest.result(),
      errors: this.errors.result(),
      unansweredQueries: this.unansweredList.result(),
      servers: {
        items: servers.slice(0, MAX_SERVERS).map((e) => ({
          address: e.key,
          queries: e.value.queries,
          responses: e.value.responses,
          errors: e.value.errors,
          unanswered: e.value.unanswered,
          meanResponseTime: e.value.rtCount > 0 ? max0(e.value.rtSum / e.value.rtCount) : null,
        })),
        omitted: max0(servers.length - MAX_SERVERS) + this.servers.replaced,
      },
      malformed: this.malformed,
      lateResponses: this.extra.lateResponses,
      duplicateResponses: this.extra.duplicateResponses,
      pendingAtEnd: this.extra.pendingAtEnd,
      evictedPending: this.extra.evictedPending,
    };
  }
}

function v6Key(buf: Uint8Array, off: number): string {
  let k = '';
  for (let i = 0; i < 16; i += 2) k += String.fromCharCode((buf[off + i] << 8) | buf[off + i + 1]);
  return k;
}

function sameQuestion(first: Query, nameKey: string, qtype: number): Query | null {
  for (let q: Query | null = first; q; q = q.alt) if (q.qtype === qtype && q.nameKey === nameKey) return q;
  return null;
}

/** For a response without a question: the query still waiting (or timed out), else the latest. */
function openOrFirst(first: Query): Query {
  for (let q: Query | null = first; q; q = q.alt) if (q.state !== ANSWERED) return q;
  return first;
}

function bump(m: Map<number, number>, k: number): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** Name → count, largest first; beyond `max` entries the rest are summed under "other". */
function cappedDict(m: Map<number, number>, name: (k: number) => string, max: number): Record<string, number> {
  const rows = [...m.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const out: Record<string, number> = {};
  const keep = rows.length > max ? max - 1 : rows.length;
  for (let i = 0; i < keep; i++) out[name(rows[i][0])] = rows[i][1];
  let rest = 0;
  for (let i = keep; i < rows.length; i++) rest += rows[i][1];
  if (rows.length > max) out.other = rest;
  return out;
}
