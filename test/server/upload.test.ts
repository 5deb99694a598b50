import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../server/errors.js';
import { cleanFileName, receiveUpload, uploadKind } from '../../server/upload.js';
import { tempDir } from './helpers.js';

/** The streaming receiver on its own: content types, multipart shapes, idle clients, file names. */
const tmp = tempDir('pcap-upload-');
afterAll(() => tmp.cleanup());
const pcapMagic = Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, ...new Uint8Array(16)]);
const streamOf = (...chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });

describe('upload receiver', () => {
  it('classifies content types', () => {
    expect(uploadKind('multipart/form-data; boundary=abc')).toBe('multipart');
    expect(uploadKind('multipart/form-data')).toBeNull();
    expect(uploadKind('application/octet-stream')).toBe('raw');
    expect(uploadKind('application/vnd.tcpdump.pcap')).toBe('raw');
    expect(uploadKind('text/plain')).toBeNull();
    expect(uploadKind(undefined)).toBeNull();
  });

  it('reads the magic across tiny chunks', async () => {
    const spoolPath = join(tmp.dir, 'tiny-chunks');
    const chunks = [...pcapMagic].map((b) => Uint8Array.of(b));
    const r = await receiveUpload(streamOf(...chunks), { kind: 'raw', contentType: 'application/octet-stream', maxBytes: 1000, spoolPath });
    expect(r).toEqual({ bytes: pcapMagic.length, fileName: null, format: 'pcap' });
    expect(existsSync(spoolPath)).toBe(true);
  });

  it('refuses two files in one form', async () => {
    const b = 'XyZ';
    const part = (name: string) => `--${b}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.pcap"\r\nContent-Type: application/octet-stream\r\n\r\n${Buffer.from(pcapMagic).toString('latin1')}\r\n`;
    const body = Buffer.from(`${part('file')}${part('other')}--${b}--\r\n`, 'latin1');
    const spoolPath = join(tmp.dir, 'two-files');
    const e = await receiveUpload(streamOf(body), { kind: 'multipart', contentType: `multipart/form-data; boundary=${b}`, maxBytes: 1000, spoolPath }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe('too_many_files');
    expect(existsSync(spoolPath)).toBe(false);
  });

  it('gives up on a client that stops sending, and removes the spool', async () => {
    const spoolPath = join(tmp.dir, 'idle');
    const body = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(pcapMagic) });
    const t0 = Date.now();
    const e = await receiveUpload(body, { kind: 'raw', contentType: 'application/octet-stream', maxBytes: 1e6, spoolPath, idleTimeoutMs: 200 }).catch((x: unknown) => x);
    expect((e as ApiError).code).toBe('upload_timeout');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(existsSync(spoolPath)).toBe(false);
  });

  it('keeps only a displayable base name of the client file name', () => {
    expect(cleanFileName('C:\\\\Users\\\\me\\\\trace.pcapng')).toBe('trace.pcapng');
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('evil\u202etxt.pcap')).toBe('evil\\u{202e}txt.pcap');
    expect(cleanFileName('  ')).toBeNull();
    expect(cleanFileName(undefined)).toBeNull();
    expect(cleanFileName('x'.repeat(500))!.length).toBeLessThanOrEqual(201);
  });
});
