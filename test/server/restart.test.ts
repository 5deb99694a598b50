import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../worker/index.js';
import { inlineRunner } from '../../server/analysis.js';
import { newId } from '../../server/ids.js';
import { MAX_ATTEMPTS } from '../../server/job-queue.js';
import { captureFile, controlledRunner, fixtureReport, makeApp, tempDir, until, uploadRequest } from './helpers.js';

/** Jobs survive a restart: complete uploads are resumed, partial ones removed, nothing stays "running". */
const tmp = tempDir('pcap-restart-');
let report: Report;
let capture: Uint8Array;
beforeAll(async () => {
  report = await fixtureReport(tmp.dir);
  capture = readFileSync(captureFile(tmp.dir, 100_000));
});
afterAll(() => tmp.cleanup());

const fresh = () => {
  const d = join(tmp.dir, newId());
  mkdirSync(d);
  return d;
};

async function statusOf(app: ReturnType<typeof makeApp>, url: string) {
  return (await app.request(url)).json();
}

describe('restart', () => {
  it('after a crash, resumes the running and the queued job and drops a half-received upload', async () => {
    const dir = fresh();
    const stuck = controlledRunner(report);
    const before = makeApp(dir, {}, { analyze: stuck });
    const running = await (await uploadRequest(before, capture)).json();
    await until(() => stuck.started.length === 1);
    const queued = await (await uploadRequest(before, capture)).json();
    expect((await statusOf(before, running.status_url)).status).toBe('running');
    expect((await statusOf(before, queued.status_url)).status).toBe('queued');
    // An upload cut off by the crash: bytes in the spool, no manifest.
    const partial = join(dir, 'spool', `${newId()}.capture`);
    writeFileSync(partial, capture.subarray(0, 1000));
    const manifest = JSON.parse(readFileSync(join(dir, 'spool', `${running.task_id}.job.json`), 'utf8'));
    expect(manifest).toMatchObject({ id: running.task_id, attempts: 1, bytes: capture.length });
    expect(JSON.stringify(manifest)).not.toContain(running.delete_token);

    // "kill -9": the old app is abandoned as it is; a new process starts on the same DATA_DIR.
    const after = makeApp(dir, {}, { analyze: inlineRunner });
    await after.ready;
    expect(existsSync(partial)).toBe(false);
    for (const job of [running, queued]) {
      const s = await until(async () => {
        const st = await statusOf(after, job.status_url);
        return st.status === 'done' ? st : null;
      });
      expect(s).toMatchObject({ task_id: job.task_id, report_url: job.report_url, bytes: capture.length, error: null });
      const rep = await after.request(job.report_url);
      expect(rep.status).toBe(200);
      expect((await rep.json()).summary.packets).toBeGreaterThan(0);
    }
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);
    // The delete token given at upload time still works after the restart.
    const del = await after.request(running.report_url, { method: 'DELETE', headers: { 'X-Delete-Token': running.delete_token } });
    expect(del.status).toBe(204);
    await after.close();
  });

  it('after a clean shutdown, the interrupted job resumes without using up an attempt', async () => {
    const dir = fresh();
    const stuck = controlledRunner(report);
    const before = makeApp(dir, {}, { analyze: stuck });
    const job = await (await uploadRequest(before, capture)).json();
    await until(() => stuck.started.length === 1);
    await before.close();
    const manifest = JSON.parse(readFileSync(join(dir, 'spool', `${job.task_id}.job.json`), 'utf8'));
    expect(manifest.attempts).toBe(0);
    const after = makeApp(dir, {}, { analyze: inlineRunner });
    const s = await until(async () => {
      const st = await statusOf(after, job.status_url);
      return st.status === 'done' ? st : null;
    });
    expect(s.report_id).toBe(job.report_url.split('/').pop());
    await after.close();
  });

  it(`gives up on a job that was interrupted ${MAX_ATTEMPTS} times, instead of running forever`, async () => {
    const dir = fresh();
    let job: { status_url: string; report_url: string } | null = null;
    for (let crash = 0; crash < MAX_ATTEMPTS; crash++) {
      const stuck = controlledRunner(report);
      const app = makeApp(dir, {}, { analyze: stuck });
      if (!job) job = await (await uploadRequest(app, capture)).json();
      await until(() => stuck.started.length === 1);
      expect((await statusOf(app, job!.status_url)).status).toBe('running');
    }
    const last = makeApp(dir, {}, { analyze: inlineRunner });
    await last.ready;
    const s = await statusOf(last, job!.status_url);
    expect(s.status).toBe('failed');
    expect(s.error).toEqual({ code: 'interrupted', message: expect.stringMatching(/interrupted 2 times/) });
    const rep = await last.request(job!.report_url);
    expect(rep.status).toBe(404);
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);
    await last.close();
  });

  it('drops a manifest whose capture is missing or truncated', async () => {
    const dir = fresh();
    const stuck = controlledRunner(report);
    const before = makeApp(dir, { concurrency: 1 }, { analyze: stuck });
    await uploadRequest(before, capture);
    await until(() => stuck.started.length === 1);
    const queued = await (await uploadRequest(before, capture)).json();
    writeFileSync(join(dir, 'spool', `${queued.task_id}.capture`), capture.subarray(0, 10));
    const after = makeApp(dir, {}, { analyze: inlineRunner });
    await after.ready;
    expect((await after.request(queued.status_url)).status).toBe(404);
    expect(readdirSync(join(dir, 'spool')).filter((f) => f.startsWith(queued.task_id))).toEqual([]);
    await after.close();
  });
});
