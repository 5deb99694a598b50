/**
 * The main path: open a real capture through the file input, read the report, compare it with the
 * Node engine's report for the same file, reload and get the cached copy — while recording every
 * request the page makes (none may carry capture bytes) and every CSP violation (none allowed).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_DIR, CORPUS_PRESENT, corpusAbsentMessage } from '../corpus/corpus.js';
import { richReport } from '../app/fixtures/rich-report.js';
import { cspViolations, expect, formatCount, openInApp, test, reportComplete } from './fixtures.js';
import { nodeReport } from './node-engine.js';
import { rankedFindings } from '../../src/lib/report.js';

const CAPTURE = join(CORPUS_DIR, 'zeek/http/206_example_b.pcap');

/** True when `haystack` contains a 32-byte window of `needle` taken at one of several offsets. */
function carriesBytes(haystack: Buffer, needle: Buffer): boolean {
  for (const at of [24, 200, Math.floor(needle.length / 2), needle.length - 64]) {
    const slice = needle.subarray(at, at + 32);
    if (slice.length === 32 && haystack.includes(slice)) return true;
  }
  return false;
}

test.describe('local analysis', () => {
  test.skip(!CORPUS_PRESENT, corpusAbsentMessage());

  test('a real capture: same packet count and findings as the Node engine, nothing uploaded, cached on reload', async ({ page, env, watch }) => {
    const expected = await nodeReport(CAPTURE);
    await page.goto(`${env.base}/`);
    await expect(page.getByRole('heading', { name: 'Open a capture' })).toBeVisible();
    await openInApp(page, CAPTURE);

    await expect(page.getByTestId('packet-count')).toHaveText(formatCount(expected.summary.packets));
    const more = page.getByRole('button', { name: /^Show all \d+ findings$/ });
    if (await more.count()) await more.click();
    const findings = page.getByTestId('finding');
    await expect(findings).toHaveCount(expected.findings.length);
    const titles = await findings.locator('h3').allTextContents();
    expect(titles).toEqual(rankedFindings(expected).map((f) => f.title));
    await expect(page.getByTestId('health')).toContainText(`${expected.health.score}/100`);

    // Zero upload: no request carries capture bytes, none posts anything.
    const capture = readFileSync(CAPTURE);
    for (const r of watch.requests) {
      expect(r.method(), `${r.method()} ${r.url()}`).toMatch(/^(GET|HEAD)$/);
      const body = r.postDataBuffer();
      if (body) expect(carriesBytes(body, capture), `request ${r.url()} carries capture bytes`).toBe(false);
      expect(r.url()).not.toContain('/api/upload');
    }

    // Reload: the URL names the cached report, shown without analysing again.
    await page.reload();
    await expect(page.getByTestId('cached-notice')).toBeVisible();
    await expect(page.getByTestId('packet-count')).toHaveText(formatCount(expected.summary.packets));

    // Opening the same file again is instant and offers re-analysis.
    await page.goto(`${env.base}/`);
    await expect(page.getByTestId('history-entry')).toHaveCount(1);
    await page.getByTestId('file-input').setInputFiles(CAPTURE);
    await expect(page.getByTestId('cached-notice')).toBeVisible();
    await page.getByTestId('reanalyse').click();
    await reportComplete(page);
    await expect(page.getByTestId('cached-notice')).toHaveCount(0);

    // History: delete one, then clear all.
    await page.goto(`${env.base}/`);
    await expect(page.getByTestId('history-entry')).toHaveCount(1);
    await page.getByTestId('history-clear').click();
    await page.getByTestId('history-clear-confirm').click();
    await expect(page.getByTestId('history-entry')).toHaveCount(0);

    expect(await cspViolations(page)).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  });
});

test.describe('thresholds from the settings', () => {
  test.skip(!CORPUS_PRESENT, corpusAbsentMessage());

  test('go into the analysis; a cached report made with others offers re-analysis', async ({ page, env, watch }) => {
    const expected = await nodeReport(CAPTURE, { gapSeconds: 5000 });
    const gapTitle = /silences? over/;
    expect(expected.findings.some((f) => gapTitle.test(f.title))).toBe(false);

    await page.goto(`${env.base}/`);
    await page.locator('details.settings > summary').click();
    await page.getByTestId('threshold-gapSeconds').fill('5000');
    await page.getByTestId('threshold-gapSeconds').press('Tab');
    await expect(page.getByTestId('thresholds')).toContainText('(1 changed)');
    await openInApp(page, CAPTURE);
    const titles = async () => {
      const more = page.getByRole('button', { name: /^Show all \d+ findings$/ });
      if (await more.count()) await more.click();
      return page.getByTestId('finding').locator('h3').allTextContents();
    };
    expect(await titles()).toEqual(rankedFindings(expected).map((f) => f.title));
    await expect(page.getByTestId('thresholds-used').locator('summary')).toHaveText('Thresholds used for this report (1 not the default)');
    await expect(page.getByTestId('thresholds-notice')).toHaveCount(0);

    // Back to the defaults: the cached report no longer matches the settings and says so.
    await page.goto(`${env.base}/`);
    await page.locator('details.settings > summary').click();
    await page.getByTestId('thresholds-reset').click();
    await page.getByTestId('file-input').setInputFiles(CAPTURE);
    await expect(page.getByTestId('thresholds-notice')).toBeVisible();
    await page.getByTestId('thresholds-notice').getByRole('button').click();
    await reportComplete(page);
    await expect(page.getByTestId('thresholds-notice')).toHaveCount(0);
    expect((await titles()).some((t) => gapTitle.test(t))).toBe(true);
    expect(watch.pageErrors).toEqual([]);
  });
});

test('a file that is not a capture gets a clear message', async ({ page, env }) => {
  const path = join(env.tmp, 'notes.txt');
  writeFileSync(path, 'these are my meeting notes, not packets');
  await page.goto(`${env.base}/`);
  await page.getByTestId('file-input').setInputFiles(path);
  await expect(page.getByTestId('notice')).toContainText('This is not a capture file');
  await expect(page.getByTestId('notice')).toContainText('.pcap');
});

test('evidence links, brushing filters tables, keyboard access, exports', async ({ page, env, watch }) => {
  const path = join(env.tmp, 'rich.report.json');
  writeFileSync(path, JSON.stringify(richReport()));
  await page.goto(`${env.base}/`);
  await page.getByTestId('file-input').setInputFiles(path);
  await reportComplete(page);

  // A finding's flow evidence opens that conversation's details.
  const first = page.getByTestId('finding').first();
  await first.getByRole('button', { name: /^tcp\.stream \d+ ·/ }).first().click();
  await expect(page.getByTestId('flow-details')).toBeVisible();
  await expect(page.getByTestId('flow-details')).toContainText('Handshake');

  // Selecting a range (keyboard alternative to brushing) filters the conversations.
  const all = await page.getByTestId('tcp-conversations').locator('tbody tr').count();
  await page.getByLabel('Select a time range by keyboard').getByLabel('From').fill('21');
  await page.getByLabel('Select a time range by keyboard').getByLabel('to').fill('22');
  await page.getByRole('button', { name: 'Select range' }).click();
  await expect(page.getByTestId('range-chip')).toBeVisible();
  const filtered = await page.getByTestId('tcp-conversations').locator('tbody tr').count();
  expect(filtered).toBeLessThan(all);

  // Brushing with the mouse selects a range too.
  await page.getByTestId('range-chip').getByRole('button', { name: 'Clear' }).click();
  await page.locator('#io').evaluate((e) => e.scrollIntoView({ block: 'center' }));
  const box = (await page.getByTestId('io-graph').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.4, box.y + 100);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + 100, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId('range-chip')).toBeVisible();

  // Expert info expands to frame numbers.
  const group = page.getByTestId('expert-group').first();
  await group.getByRole('button').first().click();
  await expect(page.getByTestId('expert-info').locator('table.inner')).toBeVisible();

  // Exports: JSON, CSV, HTML.
  for (const [id, suffix] of [
    ['export-json', '.report.json'],
    ['export-conversations', '.conversations.csv'],
    ['export-events', '.tcp-events.csv'],
    ['export-html', '.report.html'],
  ] as const) {
    await page.getByTestId('export-menu').locator('summary').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(id).click()]);
    expect(download.suggestedFilename()).toBe(`branch-office-uplink${suffix}`);
    if (suffix === '.report.html') await download.saveAs(join(env.tmp, 'exported.html'));
  }

  // The exported HTML opens offline and renders the same report, with no request at all.
  const offline = await page.context().newPage();
  const requests: string[] = [];
  offline.on('request', (r) => requests.push(r.url()));
  await offline.goto(`file://${join(env.tmp, 'exported.html')}`);
  await reportComplete(offline);
  await expect(offline.getByTestId('finding')).toHaveCount(richReport().findings.length);
  expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
  expect(await cspViolations(offline)).toEqual([]);
  await offline.close();

  // Keyboard: the first Tab reaches the skip links, which are visible when focused.
  await page.reload();
  await reportComplete(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  expect((await skip.boundingBox())!.y).toBeGreaterThanOrEqual(0);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to findings' })).toBeFocused();

  expect(await cspViolations(page)).toEqual([]);
  expect(watch.pageErrors).toEqual([]);
});

test('a saved report that no longer validates is dropped with a notice', async ({ page, env }) => {
  await page.goto(`${env.base}/`);
  await expect(page.getByRole('heading', { name: 'Open a capture' })).toBeVisible();
  // Write an entry as an older app version might have left it: schema version 0 has no migration.
  await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, ko) => {
      const r = indexedDB.open('pcap-analyzer', 1);
      r.onupgradeneeded = () => {
        const h = r.result.createObjectStore('history', { keyPath: 'fingerprint' });
        h.createIndex('openedAt', 'openedAt');
        r.result.createObjectStore('reports', { keyPath: 'fingerprint' });
      };
      r.onsuccess = () => ok(r.result);
      r.onerror = () => ko(r.error);
    });
    const tx = db.transaction(['history', 'reports'], 'readwrite');
    tx.objectStore('history').put({ fingerprint: '123-oldentry00', name: 'old.pcap', size: 1, analyzedAt: 0, openedAt: 0, score: 1, grade: 'good', packets: 1, schemaVersion: 0, origin: 'browser', shares: [] });
    tx.objectStore('reports').put({ fingerprint: '123-oldentry00', report: { schemaVersion: 0, summary: {} } });
    await new Promise((ok) => (tx.oncomplete = ok));
    db.close();
  });
  await page.goto(`${env.base}/#report=123-oldentry00`);
  await expect(page.getByTestId('notice')).toContainText('could not be used and was removed');
  await expect(page.getByTestId('notice')).toContainText('schema version 0');
  await expect(page.getByTestId('history-entry')).toHaveCount(0);
});
