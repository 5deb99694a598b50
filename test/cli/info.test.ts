/**
 * `pcap-analyzer info FILE [--json]`, run through the exported `main(argv, out, err)` with in-memory
 * streams: the table and JSON outputs, the exit status contract (0 clean, 1 read with errors, 2 not
 * readable), and packet-derived text made visible instead of reaching the terminal raw.
 */
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../server/cli.js';
import { PcapngWriter, gzip, tsFrom, utf8, writePcap } from '../helpers/capture-writer.js';
import { tempDir } from '../helpers/tshark.js';
import { frames, pcapOf, pcapRecordOffset, T0 } from '../engine/fixtures.js';

class Sink extends Writable {
  private readonly parts: Buffer[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    cb();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
  get text(): string {
    return this.bytes.toString('utf8');
  }
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string; outBytes: Buffer }> {
  const out = new Sink();
  const err = new Sink();
  const code = await main(argv, out, err);
  return { code, out: out.text, err: err.text, outBytes: out.bytes };
}

/** "Key:   value" rows of the table output. */
function rows(table: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of table.trimEnd().split('\n')) {
    const match = /^([^:]+):\s+(.*)$/.exec(line);
    expect(match, `not a table row: ${line}`).not.toBeNull();
    m.set(match![1], [...(m.get(match![1]) ?? []), match![2]]);
  }
  return m;
}

const F = frames(4);
const tmp = tempDir('pcap-cli-');
afterAll(() => tmp.cleanup());

const usecFile = tmp.write('usec.pcap', pcapOf(F));
const nsecFile = tmp.write('nsec.pcap', writePcap({ magic: 'nsec', bigEndian: true, snaplen: 1500 }, F.map((data, i) => ({ tsSec: T0 + i, tsFrac: 123_456_789, data }))));

describe('pcap-analyzer info', () => {
  it('prints a table for a capture and exits 0', async () => {
    const r = await cli('info', usecFile);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const t = rows(r.out);
    expect(t.get('File')).toEqual([usecFile]);
    expect(t.get('Format')).toEqual(['pcap 2.4 (little-endian)']);
    expect(t.get('Compression')).toEqual(['none']);
    expect(t.get('Size')).toEqual(['370 bytes']);
    expect(t.get('Interface #0')).toEqual(['Ethernet (1), snaplen 262144, timestamps 10^-6 s, 4 packets']);
    expect(t.get('Packets')).toEqual(['4']);
    expect(t.get('Captured bytes')).toEqual(['282']);
    expect(t.get('Truncated packets')).toEqual(['0']);
    expect(t.get('First packet')).toEqual(['2023-11-14T22:13:20.000000Z']);
    expect(t.get('Last packet')).toEqual(['2023-11-14T22:13:20.003000Z']);
    expect(t.get('Duration')).toEqual(['0.003 s']);
    expect(t.get('Protocols')).toEqual(['eth 4 · ip 4 · tcp 2 · udp 2 · dns 2']);
    expect(t.has('Error')).toBe(false);
    expect(t.has('Warning')).toBe(false);
  });

  it('reads gzip-compressed captures', async () => {
    const file = tmp.write('usec.pcap.gz', gzip(pcapOf(F)));
    const r = await cli('info', file);
    expect(r.code).toBe(0);
    const t = rows(r.out);
    expect(t.get('Compression')).toEqual(['gzip']);
    expect(t.get('Packets')).toEqual(['4']);
  });

  describe('--json', () => {
    const KEYS = ['format', 'packets', 'capturedBytes', 'wireBytes', 'firstTimestamp', 'lastTimestamp', 'durationSeconds', 'interfaces', 'truncatedPackets', 'protocols', 'warnings'];

    it('µs file: documented keys, timestamps in ISO 8601 UTC with 6 digits', async () => {
      const r = await cli('info', usecFile, '--json');
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      const s = JSON.parse(r.out);
      for (const k of KEYS) expect(s, k).toHaveProperty(k);
      expect(s).toMatchObject({
        format: 'pcap',
        packets: 4,
        capturedBytes: 282,
        wireBytes: 282,
        firstTimestamp: '2023-11-14T22:13:20.000000Z',
        lastTimestamp: '2023-11-14T22:13:20.003000Z',
        durationSeconds: 0.003,
        truncatedPackets: 0,
        protocols: { eth: 4, ip: 4, udp: 2, tcp: 2, dns: 2 },
        warnings: [],
      });
      expect(s.firstTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(s.interfaces).toEqual([expect.objectContaining({ linkType: 1, snaplen: 262144 })]);
      expect(r.out.endsWith('}\n')).toBe(true);
    });

    it('ns file: 9 fractional digits', async () => {
      const r = await cli('info', '--json', nsecFile);
      expect(r.code).toBe(0);
      const s = JSON.parse(r.out);
      expect(s.firstTimestamp).toBe('2023-11-14T22:13:20.123456789Z');
      expect(s.lastTimestamp).toBe('2023-11-14T22:13:23.123456789Z');
      expect(s.lastTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expect(s.durationSeconds).toBe(3);
      expect(s.interfaces).toEqual([expect.objectContaining({ linkType: 1, snaplen: 1500 })]);
    });
  });

  describe('exit status', () => {
    it('2 with a one-line reason for a file that is not a capture', async () => {
      const file = tmp.write('page.pcap', utf8('<!DOCTYPE html><html><body>404</body></html>\n'));
      const r = await cli('info', file);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toBe(`pcap-analyzer: ${file}: cannot read this file: an HTML/XML document\n`);
      const j = await cli('info', file, '--json');
      expect(j.code).toBe(2);
      expect(j.out).toBe('');
      expect(j.err.split('\n')).toHaveLength(2);
    });

    it('2 with a one-line reason for an empty file', async () => {
      const r = await cli('info', tmp.write('empty.pcap', new Uint8Array(0)));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^pcap-analyzer: .*empty\.pcap: the file is empty \(0 bytes\): not a capture\n$/);
    });

    it('2 with a one-line reason for a missing file', async () => {
      const missing = `${tmp.dir}/no-such-file.pcap`;
      const r = await cli('info', missing);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toBe(`pcap-analyzer: cannot open ${missing}: ENOENT\n`);
    });

    it('2 for bad usage', async () => {
      expect((await cli('info')).code).toBe(2);
      expect((await cli('info', 'a.pcap', 'b.pcap')).code).toBe(2);
      expect((await cli('info', '--bogus', usecFile)).code).toBe(2);
      expect((await cli('frobnicate')).code).toBe(2);
      expect((await cli()).code).toBe(2);
    });

    it('1 for a file cut in the middle of a record, with the summary still printed', async () => {
      const bytes = pcapOf(F);
      const at = pcapRecordOffset(F, 3);
      const file = tmp.write('cut.pcap', bytes.subarray(0, at + 20));
      const r = await cli('info', file);
      expect(r.code).toBe(1);
      expect(r.err).toBe('');
      const t = rows(r.out);
      expect(t.get('Packets')).toEqual(['3']);
      expect(t.get('Error')).toEqual([`the capture ends in the middle of the record of packet 4 at offset ${at}: 20 of 80 bytes present`]);
      const j = await cli('info', file, '--json');
      expect(j.code).toBe(1);
      const s = JSON.parse(j.out);
      expect(s.packets).toBe(3);
      expect(s.warnings).toEqual([expect.objectContaining({ severity: 'error', code: 'truncated-record', offset: at, blockType: 'pcap record', packet: 4 })]);
    });
  });

  describe('packet-derived text is made visible', () => {
    const ESC = '\u001b';
    const hostile = new PcapngWriter()
      .shb({ comment: `clear screen ${ESC}[2J${ESC}[H and \u202Eevil\u202C` })
      .idb({ linkType: 1, name: `eth0${ESC}[31mRED${ESC}[0m`, description: `\u2066isolate\u2069 \u202Etxt.exe`, comment: `bell\u0007` })
      .epb({ ts: tsFrom(T0, 0, 1_000_000n), data: F[0], comment: `${ESC}]0;pwned${ESC}\\ title` })
      .bytes();
    const file = tmp.write('hostile.pcapng', hostile);

    it('table output: no ESC, BEL or bidi control reaches stdout; they are shown as \\u{…}', async () => {
      const r = await cli('info', file);
      expect(r.code).toBe(0);
      expect(r.outBytes.includes(0x1b)).toBe(false);
      expect(r.outBytes.includes(0x07)).toBe(false);
      expect(r.out).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
      const t = rows(r.out);
      expect(t.get('Interface #0')?.[0]).toContain('eth0\\u{1b}[31mRED\\u{1b}[0m — \\u{2066}isolate\\u{2069} \\u{202e}txt.exe');
      expect(t.get('Comment (SHB)')).toEqual(['clear screen \\u{1b}[2J\\u{1b}[H and \\u{202e}evil\\u{202c}']);
      expect(t.get('Comment (IDB)')).toEqual(['bell\\u{7}']);
      expect(t.get('Comment (EPB #1)')).toEqual(['\\u{1b}]0;pwned\\u{1b}\\ title']);
    });

    it('JSON output: no raw ESC or BEL byte (the text survives a JSON round trip unchanged)', async () => {
      const r = await cli('info', file, '--json');
      expect(r.code).toBe(0);
      expect(r.outBytes.includes(0x1b)).toBe(false);
      expect(r.outBytes.includes(0x07)).toBe(false);
      const s = JSON.parse(r.out);
      expect(s.interfaces[0].name).toBe(`eth0${ESC}[31mRED${ESC}[0m`);
      expect(s.comments[0].text).toBe(`clear screen ${ESC}[2J${ESC}[H and \u202Eevil\u202C`);
    });

    // Bidi controls would reorder what a terminal shows; they are written as \u escapes (same JSON).
    it('JSON output: no raw bidi control character on stdout', async () => {
      const r = await cli('info', file, '--json');
      expect(r.out).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    });

    it('a hostile file name is made visible in messages', async () => {
      const r = await cli('info', `${tmp.dir}/no${ESC}[2Jsuch.pcap`);
      expect(r.code).toBe(2);
      expect(r.err).not.toContain(ESC);
      expect(r.err).toContain('no\\u{1b}[2Jsuch.pcap');
    });
  });
});
