import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { root, tempDir } from './helpers.js';

/**
 * scripts/dockerfile-rehearsal.mjs must fail loudly. The full rehearsal (npm ci, build, start) runs in
 * CI on its own; here it runs on small contexts that break it in each way it has to catch.
 */
const run = promisify(execFile);
const tmp = tempDir('pcap-rehearsal-');
afterAll(() => tmp.cleanup());

const RUNTIME = `FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends curl
WORKDIR /app
ENV NODE_ENV=production PORT=8000 DATA_DIR=/data
COPY --from=build /app/dist ./dist
USER 1000:1000
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK CMD curl -fsS http://localhost:8000/api/health || exit 1
CMD ["node", "dist/node/server.js"]
`;

async function rehearse(dockerfile: string, files: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  const dir = join(tmp.dir, `ctx-${Math.random().toString(16).slice(2)}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  try {
    const r = await run(process.execPath, [join(root, 'scripts', 'dockerfile-rehearsal.mjs'), '--context', dir], { timeout: 30_000 });
    return { code: 0, output: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, output: err.stdout + err.stderr };
  }
}

describe('Dockerfile rehearsal fails loudly', () => {
  it('on a COPY source missing from the build context', async () => {
    const r = await rehearse(`FROM node:20-bookworm-slim AS build\nWORKDIR /app\nCOPY package.json missing.lock ./\n${RUNTIME}`, { 'package.json': '{}' });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/FAILED: line 3: COPY source "missing.lock" not found in the build context/);
  });

  it('on a COPY source excluded by .dockerignore', async () => {
    const r = await rehearse(`FROM node:20-bookworm-slim AS build\nWORKDIR /app\nCOPY secret.env ./\n${RUNTIME}`, { 'secret.env': 'x', '.dockerignore': '*.env\n' });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/COPY source "secret.env" not found .*excluded by \.dockerignore/);
  });

  it('on a failing RUN step', async () => {
    const r = await rehearse(`FROM node:20-bookworm-slim AS build\nWORKDIR /app\nRUN node -e "process.exit(3)"\n${RUNTIME}`);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/FAILED: line 3: RUN step failed \(exit 3\)/);
  });

  it('on a runtime stage that breaks what the chart relies on', async () => {
    const bad = RUNTIME.replace('USER 1000:1000', 'USER root').replace('DATA_DIR=/data', 'DATA_DIR=/var/lib/app').replace(/RUN apt-get[^\n]*\n/, '');
    const r = await rehearse(`FROM node:20-bookworm-slim AS build\n${bad}`);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/uid 1000/);
    expect(r.output).toMatch(/DATA_DIR must be \/data/);
    expect(r.output).toMatch(/has no curl/);
  });

  it('passes its static checks on the real Dockerfile and build context', async () => {
    const r = await run(process.execPath, [join(root, 'scripts', 'dockerfile-rehearsal.mjs'), '--check'], { timeout: 30_000 });
    expect(r.stdout).toMatch(/runtime checks pass/);
    expect(r.stdout).toMatch(/static checks passed/);
  });
});
