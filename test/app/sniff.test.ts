import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { classifyMagic, hasCaptureExtension, sniffCapture } from '../../worker/hosts/sniff.js';

const pcapLE = new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]);
const pcapngLE = new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0]);

describe('capture sniffing', () => {
  it('recognises the four pcap magics and pcapng with its byte order', () => {
    expect(classifyMagic(pcapLE)).toMatchObject({ format: 'pcap', byteOrder: 'little', nanosecond: false });
    expect(classifyMagic(new Uint8Array([0xa1, 0xb2, 0x3c, 0x4d]))).toMatchObject({ format: 'pcap', byteOrder: 'big', nanosecond: true });
    expect(classifyMagic(new Uint8Array([0x4d, 0x3c, 0xb2, 0xa1]))).toMatchObject({ format: 'pcap', byteOrder: 'little', nanosecond: true });
    expect(classifyMagic(pcapngLE)).toMatchObject({ format: 'pcapng', byteOrder: 'little' });
    expect(classifyMagic(new Uint8Array([1, 2, 3, 4]))).toBeNull();
  });

  it('accepts captures by content, whatever the name', async () => {
    expect(await sniffCapture(new File([pcapLE], 'trace.bin'))).toMatchObject({ ok: true, format: 'pcap', gzip: false });
    expect(await sniffCapture(new File([pcapngLE], 'x.pcapng'))).toMatchObject({ ok: true, format: 'pcapng' });
  });

  it('looks inside gzip', async () => {
    expect(await sniffCapture(new File([gzipSync(pcapLE)], 'x.pcap.gz'))).toMatchObject({ ok: true, format: 'pcap', gzip: true });
    const bad = await sniffCapture(new File([gzipSync(Buffer.from('hello world, not a capture'))], 'x.gz'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toMatch(/does not contain a capture/);
  });

  it('explains what a non-capture is', async () => {
    const txt = await sniffCapture(new File(['just some notes'], 'notes.txt'));
    expect(txt.ok).toBe(false);
    if (!txt.ok) expect(txt.reason).toMatch(/not a capture file.*"just som"/);
    const fake = await sniffCapture(new File([new Uint8Array([0x50, 0x4b, 3, 4, 0, 0])], 'capture.pcap'));
    if (!fake.ok) expect(fake.reason).toMatch(/named like a capture.*ZIP/);
    const empty = await sniffCapture(new File([], 'empty.pcap'));
    if (!empty.ok) expect(empty.reason).toMatch(/empty/);
    expect(hasCaptureExtension('A.PCAPNG.GZ')).toBe(true);
    expect(hasCaptureExtension('a.txt')).toBe(false);
  });
});
