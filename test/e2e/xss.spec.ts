/**
 * Packet-derived text is attacker-controlled: DNS names with markup, script-like text and bidi
 * overrides must render as text (no dialog, no injected element), in the app and in the exported
 * standalone HTML.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePcap } from '../helpers/capture-writer.js';
import { dnsMessage, etherIpv4Udp } from '../helpers/packet-builder.js';
import { HOSTILE_NAMES, richReport } from '../app/fixtures/rich-report.js';
import { cspViolations, expect, openInApp, test, reportComplete } from './fixtures.js';

const NAMES = ['<img src=x onerror=alert(1)>', '</script><script>alert(2)</script>', 'evil\u202Etxt.exe', '"><svg onload=alert(3)>'];

function hostileCapture(path: string): void {
  const records = NAMES.flatMap((name, i) => [
    { tsSec: 1_700_000_000, tsFrac: i * 2000, data: etherIpv4Udp({ src: '192.0.2.1', dst: '192.0.2.53', srcPort: 40000 + i, dstPort: 53, payload: dnsMessage({ id: 100 + i, questions: [{ name, type: 1 }] }) }) },
    {
      tsSec: 1_700_000_000,
      tsFrac: i * 2000 + 900,
      data: etherIpv4Udp({ src: '192.0.2.53', dst: '192.0.2.1', srcPort: 53, dstPort: 40000 + i, payload: dnsMessage({ id: 100 + i, response: true, rcode: 3, questions: [{ name, type: 1 }] }) }),
    },
  ]);
  writeFileSync(path, writePcap({}, records));
}

async function assertInert(page: import('@playwright/test').Page, dialogs: string[]): Promise<void> {
  expect(dialogs).toEqual([]);
  expect(await page.locator('img[src="x"], svg[onload], script:not([type="module"]):not([type="application/json"]), iframe').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned ?? false)).toBe(false);
}

test('a capture whose DNS names carry markup, script and bidi overrides renders as text', async ({ page, env, watch }) => {
  const path = join(env.tmp, 'hostile-dns.pcap');
  hostileCapture(path);
  await page.goto(`${env.base}/`);
  await openInApp(page, path);
  await page.locator('#dns').scrollIntoViewIfNeeded();
  await assertInert(page, watch.dialogs);
  const body = await page.locator('body').innerText();
  // The names appear literally as text (the engine escapes spaces and non-printable bytes the way
  // Wireshark does, e.g. \032), and no bidi override reaches the page unescaped.
  expect(body).toContain('</script><script>alert(2)</script>');
  expect(body).toContain('onerror=alert(1)>');
  expect(body).not.toContain('\u202E');
  expect(await cspViolations(page)).toEqual([]);
});

test('a hostile report (names, comments, interface and file names) renders as text, also as exported HTML', async ({ page, env, watch }) => {
  const path = join(env.tmp, 'hostile.report.json');
  writeFileSync(path, JSON.stringify(richReport({ hostile: true })));
  await page.goto(`${env.base}/`);
  await page.getByTestId('file-input').setInputFiles(path);
  await reportComplete(page);
  const body = await page.locator('body').innerText();
  expect(body).toContain(HOSTILE_NAMES[0]);
  expect(body).toContain('eth0<script>alert(4)</script>');
  expect(body).not.toContain('\u202E');
  expect(body).toContain('\\u{202e}');
  await assertInert(page, watch.dialogs);
  // No link is built from packet text.
  const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  for (const h of hrefs) expect(h).toMatch(/^(#|\/)/);

  await page.getByTestId('export-menu').locator('summary').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-html').click()]);
  const out = join(env.tmp, 'hostile.html');
  await download.saveAs(out);
  const viewer = await page.context().newPage();
  const dialogs: string[] = [];
  viewer.on('dialog', (d) => (dialogs.push(d.message()), void d.dismiss()));
  await viewer.goto(`file://${out}`);
  await reportComplete(viewer);
  expect(await viewer.locator('body').innerText()).toContain(HOSTILE_NAMES[1]);
  await assertInert(viewer, dialogs);
  expect(await cspViolations(viewer)).toEqual([]);
});
