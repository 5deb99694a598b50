/**
 * Security detectors on traffic recorded between two Linux network namespaces (real kernel TCP/IP on
 * both sides; see test/fixtures/security/README.md): each attack is detected as what it is, the
 * ordinary-traffic recording produces nothing, and the display filters select the evidence in tshark.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { SecurityAnalyzer } from '../../worker/analyzers/security/index.js';
import { securitySchema, type Detection } from '../../worker/report/sections/security.js';
import { hasTshark, tsharkFields } from '../helpers/tshark.js';
import { runAnalyzers } from './harness.js';

const DIR = join(process.cwd(), 'test', 'fixtures', 'security');

async function detect(name: string): Promise<{ file: string; detections: Detection[] }> {
  const file = join(DIR, name);
  const { sections } = await runAnalyzers(new Uint8Array(readFileSync(file)), (flows) => ({ security: new SecurityAnalyzer(flows) }));
  v.parse(securitySchema, sections.security);
  return { file, detections: sections.security.detections.items };
}

function filterSelectsSamples(file: string, d: Detection): void {
  if (!hasTshark()) return;
  const frames = new Set(tsharkFields(file, ['frame.number'], { filter: d.filter, prefs: [] }).map((r) => Number(r[0])));
  for (const f of d.sampleFrames) expect(frames.has(f), `frame ${f} in ${d.filter}`).toBe(true);
}

describe('recorded attacks (network namespaces, real kernel stacks)', () => {
  it('syn-scan.pcap: a vertical SYN scan of 150 ports with 2 open, 148 closed', async () => {
    const { file, detections } = await detect('syn-scan.pcap');
    expect(detections.map((d) => d.kind)).toEqual(['port_scan']);
    const d = detections[0];
    expect(d.title).toMatch(/^SYN port scan \(vertical\) from 10\.99\.0\.66: 150 ports on 1 host — 2 answered \(SYN\/ACK: open\), 148 refused/);
    expect(d.ports.slice(0, 2)).toEqual([22, 80]);
    filterSelectsSamples(file, d);
  });

  it('udp-scan.pcap: a UDP scan answered by ICMP port unreachable (NetBIOS ports 137/138 are not counted)', async () => {
    const { file, detections } = await detect('udp-scan.pcap');
    expect(detections.map((d) => d.kind)).toEqual(['port_scan']);
    const d = detections[0];
    expect(d.title).toMatch(/^UDP port scan \(vertical\) from 10\.99\.0\.66: 79 ports on 1 host — 79 ICMP port unreachable \(closed\), 0 unanswered/);
    filterSelectsSamples(file, d);
  });

  it('ssh-brute-force.pcap: 14 short SSH connections within a minute', async () => {
    const { file, detections } = await detect('ssh-brute-force.pcap');
    expect(detections.map((d) => d.kind)).toEqual(['brute_force']);
    expect(detections[0].title).toMatch(/^Possible SSH brute force: 10\.99\.0\.66 opened 14 short connections to 10\.99\.0\.5:22 within 60 s/);
    filterSelectsSamples(file, detections[0]);
  });

  it('dns-tunnel.pcap: TXT tunnel under exfil-example.net with all four signals', async () => {
    const { file, detections } = await detect('dns-tunnel.pcap');
    expect(detections.map((d) => d.kind)).toEqual(['dns_tunneling']);
    const d = detections[0];
    expect(d.title).toMatch(/^Possible DNS tunnel via exfil-example\.net: 70 queries/);
    expect(d.metrics.signals).toBe(4);
    filterSelectsSamples(file, d);
  });

  it('beacon.pcap: 11 connections every ~6 s to an external address', async () => {
    const { file, detections } = await detect('beacon.pcap');
    expect(detections.map((d) => d.kind)).toEqual(['beaconing']);
    const d = detections[0];
    expect(d.title).toMatch(/^Beaconing: 10\.99\.0\.66 → 198\.51\.100\.10:443\/tcp every 5\.\d s ± \d+ ms \(11 connections/);
    expect(d.metrics.cv).toBeLessThan(0.1);
    filterSelectsSamples(file, d);
  });

  it('benign.pcap: ordinary DNS lookups and web fetches produce no detection', async () => {
    expect((await detect('benign.pcap')).detections).toEqual([]);
  });
});
