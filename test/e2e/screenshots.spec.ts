/**
 * Screenshots of the main views in light and dark theme (test-results/screenshots/), for people to
 * look at. Taken once the UI is quiet (fonts loaded, charts drawn). Not compared pixel by pixel: the
 * assertions are that each view renders without CSP violations or page errors.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { richReport } from '../app/fixtures/rich-report.js';
import { CORPUS_DIR, CORPUS_PRESENT } from '../corpus/corpus.js';
import { cspViolations, expect, openInApp, test, reportComplete } from './fixtures.js';

const OUT = resolve(import.meta.dirname, '../../test-results/screenshots');

for (const theme of ['light', 'dark'] as const) {
  test(`main views, ${theme} theme`, async ({ page, env, watch }) => {
    mkdirSync(OUT, { recursive: true });
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    const shot = async (name: string, fullPage = false) => {
      await page.evaluate(() => document.fonts.ready);
      await page.screenshot({ path: join(OUT, `${name}-${theme}.png`), fullPage });
    };
    await page.goto(`${env.base}/`);
    await expect(page.getByRole('heading', { name: 'Open a capture' })).toBeVisible();
    await shot('home');
    await page.locator('details.settings > summary').click();
    await page.getByTestId('threshold-rttWarnSeconds').fill('0.05');
    await page.getByTestId('threshold-rttWarnSeconds').press('Tab');
    await page.getByTestId('thresholds').evaluate((e) => e.scrollIntoView({ block: 'center' }));
    await shot('settings');
    await page.getByTestId('thresholds-reset').click();

    const path = join(env.tmp, `screens-${theme}.report.json`);
    writeFileSync(path, JSON.stringify(richReport()));
    await page.getByTestId('file-input').setInputFiles(path);
    await reportComplete(page);
    await shot('report-top');
    await shot('report-full', true);
    await page.locator('#io').evaluate((e) => e.scrollIntoView());
    await shot('io-graph');
    await page.getByRole('button', { name: 'Top flows' }).click();
    await shot('io-top-flows');
    await page.getByRole('button', { name: 'Bits/s' }).click();
    await page.locator('#conversations').scrollIntoViewIfNeeded();
    await page.getByTestId('tcp-conversations').locator('button.exp').first().click();
    await page.locator('#conversations').evaluate((e) => e.scrollIntoView());
    await shot('conversations');
    await page.locator('#latency').evaluate((e) => e.scrollIntoView());
    await shot('latency');
    await page.locator('#dns').evaluate((e) => e.scrollIntoView());
    await shot('dns');

    await page.getByTestId('share').click();
    await expect(page.getByTestId('share-dialog')).toBeVisible();
    await shot('share-dialog');
    await page.keyboard.press('Escape');

    // A real capture, through the engine (corpus): what the report looks like on actual data.
    if (CORPUS_PRESENT) {
      await page.goto(`${env.base}/`);
      await openInApp(page, join(CORPUS_DIR, 'zeek/http/206_example_b.pcap'));
      await shot('real-capture-report');
    }

    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('phone-report');
    await page.locator('#conversations').evaluate((e) => e.scrollIntoView());
    await shot('phone-conversations');

    expect(await cspViolations(page)).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  });
}
