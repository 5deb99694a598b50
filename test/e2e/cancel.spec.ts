/** Cancel stops a large analysis at once, and the worker is usable again right after. */
import { expect, test } from './fixtures.js';

test('cancel mid-way on a ≥ 200 MB generated capture', async ({ page, env }) => {
  await page.goto(`${env.base}/`);
  await page.getByTestId('file-input').setInputFiles(env.largeCapture);
  await expect(page.getByTestId('progress')).toBeVisible();
  // Wait until packets are flowing, then cancel.
  await expect(async () => {
    const n = Number((await page.getByTestId('progress-packets').innerText()).replace(/,/g, ''));
    expect(n).toBeGreaterThan(1000);
  }).toPass({ timeout: 30_000 });
  const t0 = Date.now();
  await page.getByTestId('cancel').click();
  await expect(page.getByTestId('notice')).toContainText('cancelled');
  const ms = Date.now() - t0;
  expect(ms).toBeLessThan(1000);
  await expect(page.getByTestId('progress')).toHaveCount(0);
  // The page stays responsive and nothing keeps reporting progress.
  const busy = await page.evaluate(async () => {
    const t = performance.now();
    await new Promise((r) => setTimeout(r, 50));
    return performance.now() - t;
  });
  expect(busy).toBeLessThan(500);
});
