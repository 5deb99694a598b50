import { describe, expect, it } from 'vitest';
import { summarizeCapture, type CaptureSummary } from '../../worker/index.js';
import { fileSource } from '../../server/file-source.js';
import { capturePath, errorReference, manifest, reference, type ManifestEntry } from './corpus.js';
import { corpusPresentOrSkip } from './corpus-tests.js';
import { isKnownDifference } from './known-differences.js';

const PROTOCOLS = ['eth', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'dns'] as const;

async function summarize(entry: ManifestEntry): Promise<CaptureSummary> {
  const { source, size } = await fileSource(capturePath(entry));
  return summarizeCapture(source, { totalBytes: size });
}

/** io,phs elides protocols nested too deep as "...name"; they still count as frames with `name`. */
function framesByProtocol(fb: Record<string, number>, name: string): number {
  return (fb[name] ?? 0) + (fb[`...${name}`] ?? 0);
}

/** Compares our exact epoch string with capinfos' printed one at capinfos' precision. */
function sameInstant(ours: string | null, theirs: string | null | undefined, hasUntimedPackets: boolean): boolean {
  // capinfos prints no times at all once a packet lacks one (pcapng Simple Packet Blocks); we report
  // the times of the packets that have them.
  if (theirs === null || theirs === undefined || theirs === 'n/a') return ours === null || hasUntimedPackets;
  if (ours === null) return false;
  const [os, of = ''] = ours.split('.');
  const [ts, tf = ''] = theirs.split('.');
  if (os !== ts) return false;
  return of.padEnd(9, '0').slice(0, tf.length) === tf;
}

describe('corpus conformance: capture summary vs capinfos/tshark 4.0.17', () => {
  if (!corpusPresentOrSkip()) return;
  const entries = manifest();

  for (const entry of entries) {
    const ref = reference(entry);
    if (!ref || ref.status !== 'ok' || !ref.capinfos) continue;
    it(entry.path, async () => {
      const s = await summarize(entry);
      const c = ref.capinfos!;
      expect(s.packets, 'packets').toBe(c.packets);
      expect(s.wireBytes, 'on-wire bytes (capinfos data size)').toBe(c.data_size_bytes);
      if (ref.container && ref.container.format === 'pcap' && ref.container.records !== undefined) {
        const recordHeader = entry.path === 'pcap-parser/modified-format.pcap' ? 24 : 16;
        expect(s.capturedBytes, 'captured bytes').toBe(ref.container.uncompressed_bytes - 24 - recordHeader * ref.container.records);
      }
      const untimed = (s.blockCounts.SPB ?? 0) > 0;
      if (!isKnownDifference(entry.path, 'firstTimestamp')) {
        expect(sameInstant(s.firstEpoch, c.first_packet_time_epoch, untimed), `first ${s.firstEpoch} vs ${c.first_packet_time_epoch}`).toBe(true);
      }
      if (!isKnownDifference(entry.path, 'lastTimestamp') && !isKnownDifference(entry.path, 'firstTimestamp')) {
        expect(sameInstant(s.lastEpoch, c.last_packet_time_epoch, untimed), `last ${s.lastEpoch} vs ${c.last_packet_time_epoch}`).toBe(true);
      }
      for (const p of PROTOCOLS) {
        expect(s.protocols[p] ?? 0, `frames with ${p}`).toBe(framesByProtocol(ref.protocol_hierarchy.frames_by_protocol, p));
      }
      // Nothing the reader considers an error on files tshark reads cleanly.
      expect(s.warnings.filter((w) => w.severity === 'error')).toEqual([]);
    });
  }

  for (const entry of entries.filter((e) => e.malformedKind !== null || e.packets === 'malformed')) {
    it(`malformed: ${entry.path} ends in a located error or is read like tshark does`, async () => {
      const s = await summarize(entry);
      const ref = reference(entry);
      const errText = errorReference(entry) ?? '';
      const errors = s.warnings.filter((w) => w.severity === 'error');
      if (entry.malformedKind === 'container') {
        if (isKnownDifference(entry.path, 'readable')) {
          expect(s.packets).toBeGreaterThan(0);
          expect(Object.keys(s.undecoded).some((k) => k.startsWith('undecoded link type'))).toBe(true);
          return;
        }
        expect(errors.length, `an error for ${entry.path}: ${errText.split('\n')[1] ?? ''}`).toBeGreaterThan(0);
        expect(errors[0].offset, 'error names a byte offset').toBeTypeOf('number');
        expect(errors[0].message).toMatch(/offset|file|bytes|not a pcap|snoop/);
        // tshark reads some non-pcap formats (snoop); where it read a pcap/pcapng partly, so do we.
        if (ref?.status === 'error') expect(s.packets).toBe(ref.tshark_frames);
      } else {
        // Record and packet damage: the container reads fully.
        expect(s.packets).toBe(ref?.capinfos?.packets);
      }
    });
  }
});
