/**
 * The CLI's `analyze --html OUT` writes the same self-contained report file the app exports: it opens
 * from disk, makes no network request, passes its own CSP, and shows the CLI's figures.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractReportJson } from '../../worker/report/standalone.js';
import { validateReport } from '../../worker/index.js';
import { TcpConversation } from '../helpers/packet-builder.js';
import { cspViolations, expect, formatCount, reportComplete, test } from './fixtures.js';

test('analyze --html writes a standalone report that opens offline with the CLI figures', async ({ page, env }) => {
  const c = new TcpConversation({ client: '10.9.8.7:40000', server: '10.9.8.1:443' }).handshake();
  for (let i = 0; i < 30; i++) c.serverSends(1200).clientAcks();
  c.close();
  const capture = join(env.tmp, 'cli-html.pcap');
  writeFileSync(capture, c.toPcap());
  const html = join(env.tmp, 'cli-report.html');
  const json = join(env.tmp, 'cli-report.json');
  execFileSync(process.execPath, ['bin/pcap-analyzer.mjs', 'analyze', capture, '--json', json, '--html', html, '--quiet']);
  const fromJson = JSON.parse(readFileSync(json, 'utf8'));
  const embedded = JSON.parse(extractReportJson(readFileSync(html, 'utf8'))!);
  expect(embedded).toEqual(fromJson);
  expect(validateReport(embedded).ok).toBe(true);

  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${html}`);
  await reportComplete(page);
  const body = await page.locator('body').innerText();
  expect(body).toContain(formatCount(fromJson.summary.packets));
  expect(body).toContain('10.9.8.7');
  expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
});
