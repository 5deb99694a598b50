/** What global setup hands to the specs (through environment variables). */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface E2eEnv {
  /** The app's origin: the real server, or a static server when the server could not start. */
  base: string;
  /** True when `base` is the project's server (sharing and server analysis work). */
  server: boolean;
  /** Why there is no server, when there is none. */
  serverProblem: string;
  /** Origin of the conformance harness page. */
  harness: string;
  /** A ≥ 200 MB generated capture (for cancel and the browser benchmark). */
  largeCapture: string;
  /** Temporary folder for files the tests write. */
  tmp: string;
}

export const ENV_KEY = 'PCAP_E2E_ENV';
export const CACHE_DIR = join(tmpdir(), 'pcap-analyzer-e2e-cache');

export function e2eEnv(): E2eEnv {
  const raw = process.env[ENV_KEY];
  if (!raw) throw new Error('e2e environment missing: run the suite through `npm run test:e2e` (global setup starts the servers)');
  return JSON.parse(raw) as E2eEnv;
}
