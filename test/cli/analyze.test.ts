/**
 * `pcap-analyzer analyze FILE [--json OUT] [--threshold NAME=VALUE …] [--internal CIDR …] [--no-security]
 * [--quiet]` through the exported `main(argv, out, err)`: the text summary, the JSON report (to stdout and
 * to a file), thresholds and security options written into the report, and the exit status contract.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../server/cli.js';
import { validateReport, type Report } from '../../worker/index.js';
import { writePcap } from '../helpers/capture-writer.js';
import { etherIpv4Tcp, TcpConversation } from '../helpers/packet-builder.js';
import { tempDir } from '../helpers/tshark.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink();
  const err = new Sink();
  const code = await main(argv, out, err);
  return { code, out: out.text, err: err.text };
}

const tmp = tempDir('pcap-cli-analyze-');
afterAll(() => tmp.cleanup());

/** A transfer with 9 retransmissions after timeouts among 109 data segments. */
function lossy(): string {
  const c = new TcpConversation({ client: '10.1.1.1:40000', server: '10.1.1.2:443' }).handshake();
  for (let i = 0; i < 100; i++) {
    c.serverSends(1000);
    if (i % 12 === 0) c.wait(1).retransmitLast('server');
    c.clientAcks();
  }
  c.close();
  const path = join(tmp.dir, 'lossy.pcap');
  writeFileSync(path, c.toPcap());
  return path;
}

const strip = (r: Report) => ({ ...r, analyzedAt: '', performance: { analysisMs: 0, packetsPerSecond: 0 } });

describe('pcap-analyzer analyze', () => {
  const file = lossy();

  it('prints the score, the findings with their Wireshark filters, and key numbers', async () => {
    const r = await cli('analyze', file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^.*lossy\.pcap — 2\d\d packets/);
    expect(r.out).toMatch(/Health: \d+\/100 \((good|fair|poor|critical)\)/);
    // 9 retransmissions (i = 0, 12, …, 96) of 109 data segments.
    expect(r.out).toContain('[CRIT] 8.3% of data segments in 10.1.1.1:40000 ⇄ 10.1.1.2:443 were retransmitted');
    expect(r.out).toContain('Wireshark: tcp.stream eq 0 && tcp.analysis.retransmission');
    expect(r.out).toMatch(/TCP {3}1 connections; 9 retransmissions/);
  });

  it('writes the same valid report to stdout and to a file', async () => {
    const std = await cli('analyze', file, '--json', '-');
    expect(std.code).toBe(0);
    const fromStdout = JSON.parse(std.out) as Report;
    expect(validateReport(fromStdout).ok).toBe(true);
    const out = join(tmp.dir, 'report.json');
    const quiet = await cli('analyze', file, '--json', out, '--quiet');
    expect(quiet.out).toBe('');
    const fromFile = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(strip(fromFile)).toEqual(strip(fromStdout));
    expect(fromFile.source.fileName).toBe('lossy.pcap');
  });

  it('writes --threshold values into the report and uses them', async () => {
    const r = await cli('analyze', file, '--json', '-', '--threshold', 'retransmissionCriticalRatio=0.5', '--threshold', 'gapSeconds=0.5');
    const report = JSON.parse(r.out) as Report;
    expect(report.thresholds.retransmissionCriticalRatio).toBe(0.5);
    expect(report.thresholds.gapSeconds).toBe(0.5);
    expect(report.findings.find((f) => f.id === 'loss-flow-0')?.severity).toBe('warning');
  });

  it('refuses unknown or invalid thresholds, missing files and non-captures with exit 2', async () => {
    expect((await cli('analyze', file, '--threshold', 'nope=1')).code).toBe(2);
    expect((await cli('analyze', file, '--threshold', 'gapSeconds=-1')).code).toBe(2);
    expect((await cli('analyze', join(tmp.dir, 'missing.pcap'))).err).toMatch(/cannot open .*missing\.pcap: ENOENT/);
    const html = join(tmp.dir, 'page.html');
    writeFileSync(html, '<!doctype html><html><body>hello</body></html>');
    const r = await cli('analyze', html);
    expect(r.code).toBe(2);
    expect(r.err).toContain('an HTML/XML document');
    expect(r.out).toBe('');
  });

  it('passes security thresholds and internal ranges to the detectors, or skips them', async () => {
    // 30 unanswered SYNs from one host to 30 ports of another, 0.1 s apart: below the default
    // vertical-scan threshold (50 ports), above a lowered one.
    const scan = join(tmp.dir, 'scan.pcap');
    const syns = Array.from({ length: 30 }, (_, i) => ({
      tsSec: 1_700_000_000 + Math.floor(i / 10),
      tsFrac: (i % 10) * 100_000,
      data: etherIpv4Tcp({ src: '10.0.0.66', dst: '10.0.0.5', srcPort: 40000, dstPort: 1000 + i, seq: 1000, ack: 0, flags: 'S' }),
    }));
    writeFileSync(scan, writePcap({}, syns));
    const run = async (...extra: string[]) => JSON.parse((await cli('analyze', scan, '--json', '-', ...extra)).out) as Report;

    const plain = await run();
    expect(plain.security?.detections.items.map((d) => d.kind)).toEqual([]);
    expect(plain.security?.internalRanges).toContain('10.0.0.0/8');

    const lowered = await run('--threshold', 'scanVerticalMinPorts=20', '--internal', '10.0.0.0/24', '--internal', 'fd00::/8');
    expect(lowered.security?.thresholds.scanVerticalMinPorts).toBe(20);
    expect(lowered.security?.internalRanges).toEqual(['10.0.0.0/24', 'fd00::/8']);
    const scanAlert = lowered.security?.detections.items.find((d) => d.kind === 'port_scan');
    expect(scanAlert?.title).toMatch(/^SYN port scan \(vertical\) from 10\.0\.0\.66: 30 ports on 1 host/);
    expect(scanAlert?.rule).toContain('≥ 20 distinct ports');

    expect((await run('--no-security')).security).toBeUndefined();
  });

  it('refuses bad security options with exit 2 and says why', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--threshold', 'scanMinFailedShare=2'], /scanMinFailedShare is a share between 0 and 1/],
      [['--threshold', 'scanVerticalMinPortz=5'], /bad --threshold .*security: scanWindowSeconds/],
      [['--internal', '10.0.0.1/8'], /host bits set \(did you mean 10\.0\.0\.0\/8\?\)/],
      [['--internal', 'intranet'], /"intranet" is not an IPv4 address/],
      [['--no-security', '--internal', '10.0.0.0/8'], /--no-security cannot be combined/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('analyze', file, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    }
  });
});
