import type { FinishContext } from './analyzers/analyzer.js';
import { finishContext } from './analyzers/context.js';
import { ConversationsAnalyzer } from './analyzers/conversations.js';
import { DnsAnalyzer } from './analyzers/dns.js';
import { buildFindings } from './analyzers/findings.js';
import { FlowTable } from './analyzers/flow-table.js';
import { GapsAnalyzer } from './analyzers/gaps.js';
import { IcmpAnalyzer } from './analyzers/icmp.js';
import { IpAnalyzer } from './analyzers/ip.js';
import { SecurityAnalyzer, type SecurityOptions } from './analyzers/security/index.js';
import { TcpAnalyzer } from './analyzers/tcp/analyzer.js';
import { TimelineAnalyzer } from './analyzers/timeline.js';
import { UdpAnalyzer } from './analyzers/udp.js';
import { CaptureRun, type PacketConsumer, type ReadOptions } from './engine.js';
import type { PacketView } from './decode/packet.js';
import type { ByteSource } from './input.js';
import { boundSummary } from './report/bound-summary.js';
import { SCHEMA_VERSION, type Report } from './report/schema.js';
import { resolveThresholds, type Thresholds } from './report/thresholds.js';
import { ENGINE_VERSION } from './version.js';

export interface AnalyzeOptions extends ReadOptions {
  /** Shown in the report; never used to read anything. */
  fileName?: string | null;
  /** Overrides of the documented thresholds (see worker/report/thresholds.ts). */
  thresholds?: Partial<Record<string, number>>;
  /** Security detector thresholds and internal ranges; `false` leaves the detectors out entirely. */
  security?: SecurityOptions | false;
  /** Clock for `analyzedAt` (tests pin it). */
  now?: () => Date;
}

/** The flow table and every analyzer of the full analysis, wired together (dev tools time them one by one). */
export function createAnalyzers(thresholds: Thresholds, security: SecurityOptions | false = {}) {
  const flows = new FlowTable();
  const timeline = new TimelineAnalyzer(flows);
  return {
    flows,
    conversations: new ConversationsAnalyzer(flows),
    // TCP expert events also feed the IO graph's event series.
    tcp: new TcpAnalyzer(flows, { onEvent: (type, time) => timeline.countEvent(type, time) }),
    dns: new DnsAnalyzer({ thresholds }),
    udp: new UdpAnalyzer(flows),
    icmp: new IcmpAnalyzer(),
    ip: new IpAnalyzer(),
    timeline,
    gaps: new GapsAnalyzer(flows, thresholds),
    security: security === false ? null : new SecurityAnalyzer(flows, security),
  };
}

/**
 * The full analysis: one pass over the capture through the decoder, the flow table and every
 * analyzer, then the report. Hosts (browser worker, server thread, CLI) all call this.
 */
export async function analyzeCapture(source: ByteSource, options: AnalyzeOptions = {}): Promise<Report> {
  const started = Date.now();
  const thresholds = resolveThresholds(options.thresholds);
  const { flows, conversations, tcp, dns, udp, icmp, ip, timeline, gaps, security } = createAnalyzers(thresholds, options.security);
  const run = new CaptureRun([new Pipeline(flows, conversations, tcp, dns, udp, icmp, ip, timeline, gaps, security)]);
  await run.run(source, options);

  const { tcp: tcpRows, udp: udpRows } = conversations.rankedFlows();
  const selected = [...tcpRows.slice(0, 1000), ...udpRows.slice(0, 1000)];
  const ctx: FinishContext = finishContext(run, flows, thresholds, selected);
  const sections = {
    conversations: conversations.finish(ctx),
    tcp: tcp.finish(ctx),
    dns: dns.finish(ctx),
    udp: udp.finish(ctx),
    icmp: icmp.finish(),
    ip: ip.finish(),
    timeline: timeline.finish(ctx),
    gaps: gaps.finish(ctx),
    ...(security ? { security: security.finish(ctx) } : {}),
  };
  const { findings, health } = buildFindings({ thresholds, summary: ctx.summary, ...sections });
  const elapsed = Date.now() - started;
  return {
    schemaVersion: SCHEMA_VERSION,
    generator: { name: 'pcap-analyzer', version: ENGINE_VERSION },
    analyzedAt: (options.now ?? (() => new Date()))().toISOString(),
    source: { fileName: options.fileName ?? null, fileBytes: ctx.summary.fileBytes },
    redaction: null,
    thresholds,
    summary: boundSummary(ctx.summary),
    health,
    findings,
    ...sections,
    performance: { analysisMs: elapsed, packetsPerSecond: elapsed > 0 ? Math.round((ctx.summary.packets / elapsed) * 1000) : 0 },
  };
}

/**
 * Every per-packet step of the full analysis, called one by one: the flow table first (analyzers read
 * the flow fields it sets), then the analyzers in their finish order. Direct calls instead of a loop
 * over an array of analyzers: such a loop's `onPacket` call site sees every analyzer class, so it is
 * megamorphic (a slower dispatch per call, never inlined), which costs more than what several analyzers
 * do with a packet they have no use for.
 */
class Pipeline implements PacketConsumer {
  constructor(
    private readonly flows: FlowTable,
    private readonly conversations: ConversationsAnalyzer,
    private readonly tcp: TcpAnalyzer,
    private readonly dns: DnsAnalyzer,
    private readonly udp: UdpAnalyzer,
    private readonly icmp: IcmpAnalyzer,
    private readonly ip: IpAnalyzer,
    private readonly timeline: TimelineAnalyzer,
    private readonly gaps: GapsAnalyzer,
    private readonly security: SecurityAnalyzer | null,
  ) {}

  onPacket(v: PacketView): void {
    this.flows.classify(v);
    this.conversations.onPacket(v);
    this.tcp.onPacket(v);
    this.dns.onPacket(v);
    this.udp.onPacket(v);
    this.icmp.onPacket(v);
    this.ip.onPacket(v);
    this.timeline.onPacket(v);
    this.gaps.onPacket(v);
    if (this.security !== null) this.security.onPacket(v);
  }
}
