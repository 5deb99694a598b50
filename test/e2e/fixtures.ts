/**
 * Shared e2e fixtures: the suite environment, a page that records CSP violations, dialogs and every
 * request, and helpers to open files in the app.
 */
import { test as base, expect, type Page, type Request } from '@playwright/test';
import { e2eEnv, type E2eEnv } from './env.js';

export interface Watch {
  cspViolations: string[];
  dialogs: string[];
  requests: Request[];
  pageErrors: string[];
}

export const test = base.extend<{ env: E2eEnv; watch: Watch }>({
  env: async ({}, use) => {
    await use(e2eEnv());
  },
  watch: async ({ page, context }, use) => {
    const w: Watch = { cspViolations: [], dialogs: [], requests: [], pageErrors: [] };
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { __csp: string[] }).__csp ??= [];
        (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    page.on('dialog', (d) => {
      w.dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    page.on('pageerror', (e) => w.pageErrors.push(String(e)));
    context.on('request', (r) => w.requests.push(r));
    await use(w);
  },
});

export { expect };

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
}

/** Opens a file through the app's file input and waits for the report (or returns on an error notice). */
export async function openInApp(page: Page, path: string): Promise<void> {
  await page.getByTestId('file-input').setInputFiles(path);
  await reportComplete(page);
}

/** Waits for the report view with every section rendered (sections render progressively). */
export async function reportComplete(page: Page, timeout = 60_000): Promise<void> {
  await expect(page.locator('[data-testid="report"][data-complete="true"]')).toBeVisible({ timeout });
}

export function formatCount(n: number): string {
  return new Intl.NumberFormat('en-US').format(n);
}
