/**
 * Built only for the e2e suite (`vite build --mode harness`): exposes the app's engine client on
 * window so a Playwright test can analyse files in the real browser worker and read the reports.
 */
import { EngineClient } from '../../../src/lib/engine.js';

const engine = new EngineClient();

declare global {
  interface Window {
    harness: {
      analyze(index: number): Promise<string>;
      sniff(index: number): Promise<unknown>;
      fingerprint(index: number): Promise<string>;
    };
  }
}

function file(index: number): File {
  const f = (document.getElementById('file') as HTMLInputElement).files?.[index];
  if (!f) throw new Error(`no file #${index} in the input`);
  return f;
}

window.harness = {
  async analyze(index) {
    const report = await engine.analyze(file(index), {}, () => {});
    return JSON.stringify(report);
  },
  sniff: (index) => engine.sniff(file(index)),
  fingerprint: (index) => engine.fingerprint(file(index)),
};
document.body.dataset.ready = '1';
