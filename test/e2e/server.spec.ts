/**
 * Paths through the project's server: sharing a redacted report and opening its link read-only, and
 * the upload fallback for captures above the browser limit. Skipped (with the reason) when the
 * server could not start.
 */
import { join } from 'node:path';
import { CORPUS_DIR, CORPUS_PRESENT, corpusAbsentMessage } from '../corpus/corpus.js';
import { reportAddresses } from '../../src/lib/report.js';
import { cspViolations, expect, formatCount, openInApp, test, reportComplete } from './fixtures.js';
import { nodeReport } from './node-engine.js';

const CAPTURE = join(CORPUS_DIR, 'zeek/http/206_example_b.pcap');

test.describe('with the project server', () => {
  test.skip(!CORPUS_PRESENT, corpusAbsentMessage());
  test.beforeEach(({ env }) => test.skip(!env.server, `no server: ${env.serverProblem}`));

  test('share with redaction, open the link read-only: no original address visible', async ({ page, env, context, watch }) => {
    const expected = await nodeReport(CAPTURE);
    const addresses = [...reportAddresses(expected)];
    await page.goto(`${env.base}/`);
    await openInApp(page, CAPTURE);
    await page.getByTestId('share').click();
    const dialog = page.getByTestId('share-dialog');
    await expect(dialog.getByTestId('redact-addresses')).toBeChecked();
    await dialog.getByTestId('redact-dns').check();
    await expect(dialog.getByTestId('share-preview')).toContainText('IP addresses replaced');
    if (addresses.length) await expect(dialog.getByTestId('share-preview')).not.toContainText(addresses[0]);
    await dialog.getByTestId('share-send').click();
    const link = dialog.getByTestId('share-link');
    await expect(link).toHaveValue(new RegExp(`^${env.base}/r/[A-Za-z0-9_-]+$`));
    const url = await link.inputValue();
    const posted = watch.requests.filter((r) => r.method() === 'POST');
    expect(posted.map((r) => new URL(r.url()).pathname)).toEqual(['/api/reports']);

    const shared = await context.newPage();
    await shared.goto(url);
    await reportComplete(shared);
    await expect(shared.getByText('Shared · read-only')).toBeVisible();
    await expect(shared.getByTestId('packet-count')).toHaveText(formatCount(expected.summary.packets));
    await expect(shared.getByTestId('share')).toHaveCount(0);
    const text = await shared.locator('body').innerText();
    for (const a of addresses) expect(text.includes(a), `address ${a} visible in the shared page`).toBe(false);
    expect(await cspViolations(shared)).toEqual([]);

    // Delete from the dialog: the link stops working.
    await dialog.getByRole('button', { name: 'Delete from server now' }).click();
    await expect(dialog).toContainText('was deleted');
    await shared.reload();
    await expect(shared.getByTestId('shared-error')).toBeVisible();
  });

  test('server fallback: above the browser limit, upload (clearly announced), progress, report cached locally', async ({ page, env, context, watch }) => {
    const expected = await nodeReport(CAPTURE, { gapSeconds: 5000 });
    await context.addInitScript(() =>
      localStorage.setItem('pcap-analyzer.settings', JSON.stringify({ browserLimitMB: 1, theme: 'system', thresholds: { gapSeconds: 5000 } })),
    );
    await page.goto(`${env.base}/`);
    await page.getByTestId('file-input').setInputFiles(CAPTURE);
    const panel = page.getByTestId('server-analysis');
    await expect(panel).toContainText('This uploads the capture');
    await expect(panel).toContainText('above this browser');
    expect(watch.requests.some((r) => r.url().includes('/api/upload'))).toBe(false);
    await panel.getByTestId('server-upload').click();
    await reportComplete(page);
    await expect(page.getByTestId('packet-count')).toHaveText(formatCount(expected.summary.packets));
    const uploads = watch.requests.filter((r) => r.url().includes('/api/upload'));
    expect(uploads).toHaveLength(1);
    // The thresholds from the settings went with the upload, and the server's report used them.
    expect(new URL(uploads[0].url()).searchParams.getAll('threshold')).toEqual(['gapSeconds=5000']);
    await expect(page.getByTestId('thresholds-used').locator('summary')).toHaveText('Thresholds used for this report (1 not the default)');
    await expect(page.getByTestId('thresholds-notice')).toHaveCount(0);
    await expect(page.getByTestId('finding')).toHaveCount(expected.findings.length);
    // Cached like any other: reload shows it from IndexedDB.
    await page.reload();
    await expect(page.getByTestId('cached-notice')).toBeVisible();
    await page.goto(`${env.base}/`);
    await expect(page.getByTestId('history-entry').first()).toContainText('server');
  });
});

test('without a server, sharing explains why it is unavailable', async ({ page, env, context }) => {
  // Simulate static hosting: the health probe finds no API.
  await context.route('**/api/**', (r) => r.fulfill({ status: 404, contentType: 'text/html', body: '<!doctype html>not here' }));
  await page.goto(`${env.base}/`);
  const { richReport } = await import('../app/fixtures/rich-report.js');
  const { writeFileSync } = await import('node:fs');
  const path = join(env.tmp, 'static.report.json');
  writeFileSync(path, JSON.stringify(richReport()));
  await page.getByTestId('file-input').setInputFiles(path);
  await page.getByTestId('share').click();
  await expect(page.getByTestId('share-unavailable')).toContainText('without its server');
});

test('when the browser worker dies mid-analysis, the server is offered (and the upload announced)', async ({ page, env, context }) => {
  test.skip(!CORPUS_PRESENT, corpusAbsentMessage());
  // Simulate an out-of-memory crash: a wrapper worker loads the real one and throws once analysis starts.
  await context.route(/\/assets\/web-worker-[^/?]+\.js(\?.*)?$/, async (route) => {
    const url = new URL(route.request().url());
    if (url.search === '?real') return route.continue();
    const body = `import ${JSON.stringify(`${url.pathname}?real`)};\nself.addEventListener('message', (e) => { if (e.data && e.data.type === 'APPLY' && e.data.path && String(e.data.path[0]).startsWith('analyze')) setTimeout(() => { throw new Error('simulated out of memory'); }); });`;
    await route.fulfill({ status: 200, contentType: 'text/javascript', body });
  });
  await page.goto(`${env.base}/`);
  await page.getByTestId('file-input').setInputFiles(CAPTURE);
  const failed = page.getByTestId('analysis-failed');
  await expect(failed).toContainText('worker crashed');
  await failed.getByTestId('offer-server').click();
  const panel = page.getByTestId('server-analysis');
  if (env.server) await expect(panel).toContainText('This uploads the capture');
  else await expect(panel.getByTestId('server-unavailable')).toBeVisible();
});
