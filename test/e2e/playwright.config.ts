/**
 * Playwright e2e suite (`npm run test:e2e`). Global setup builds the app, the viewer, the e2e harness
 * and the Node server, then starts the project's real server (node dist/node/server.js) on a free port
 * with a temporary DATA_DIR. Uses Debian's Chromium when present, else Playwright's own browser.
 */
import { defineConfig } from '@playwright/test';
import { existsSync } from 'node:fs';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const args = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 2,
  fullyParallel: true,
  retries: 0,
  reporter: [['list']],
  outputDir: '../../test-results/e2e-output',
  use: {
    browserName: 'chromium',
    launchOptions: existsSync(SYSTEM_CHROMIUM) ? { executablePath: SYSTEM_CHROMIUM, args } : { args },
    acceptDownloads: true,
    viewport: { width: 1366, height: 900 },
    trace: 'off',
  },
});
