#!/usr/bin/env node
// Dockerfile rehearsal, for CI machines without a Docker engine.
//
// Parses ./Dockerfile, checks the properties the Helm chart and its README rely on, then replays the
// build in a temporary directory laid out like the image: the build context (the repository filtered by
// .dockerignore), one directory per stage standing for that stage's filesystem, COPY and WORKDIR applied
// as Docker would, and the build-relevant RUN steps executed (npm ci, npm run build, npm ci --omit=dev;
// system steps such as apt-get and chown are reported and skipped). The runtime stage ends up holding
// only what its COPY instructions put there. Its CMD is then started with the image's ENV (DATA_DIR in a
// temporary directory, PORT free), /api/health is probed, a small capture is uploaded with the chart
// README's command (`curl -X POST http://localhost:8000/api/upload -F 'file=@/data/test.pcap'`), the
// report is fetched, `df -h /data` and the HEALTHCHECK command are run, and the server is stopped with
// SIGTERM. Any missing COPY source, failing RUN step or failed check stops the rehearsal with exit 1.
//
// Usage: node scripts/dockerfile-rehearsal.mjs [--keep] [--context DIR] [--dockerfile FILE]
//   --keep        leave the temporary directory for inspection
//   --context     build context (default: the repository); --dockerfile defaults to DIR/Dockerfile
//   --check       static checks only: the runtime properties, and every COPY source present in the
//                 context after .dockerignore (no install, no build, no start; a second or so)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const repo = resolve(arg('--context') ?? fileURLToPath(new URL('..', import.meta.url)));
const dockerfilePath = resolve(arg('--dockerfile') ?? join(repo, 'Dockerfile'));
const keep = process.argv.includes('--keep');
const checkOnly = process.argv.includes('--check');
const t0 = Date.now();

class RehearsalError extends Error {}
const fail = (msg) => {
  throw new RehearsalError(msg);
};
const log = (msg) => process.stdout.write(`[rehearsal +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);

// --- Dockerfile parsing ----------------------------------------------------------------------------

/** Instructions of a Dockerfile: comments dropped, continuation lines joined. */
export function parseDockerfile(text) {
  const lines = text.split(/\r?\n/);
  const out = [];
  let current = '';
  let startLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    if (!current && (trimmed === '' || trimmed.startsWith('#'))) continue;
    if (current && trimmed.startsWith('#')) continue; // comment inside a continued instruction
    if (!current) startLine = i + 1;
    if (/\\\s*$/.test(raw)) {
      current += `${raw.replace(/\\\s*$/, '')} `;
      continue;
    }
    current += raw;
    const m = current.trim().match(/^(\w+)\s*(.*)$/s);
    if (!m) fail(`Dockerfile line ${startLine}: cannot parse "${current.trim()}"`);
    out.push({ line: startLine, op: m[1].toUpperCase(), args: m[2].trim() });
    current = '';
  }
  if (current) fail('Dockerfile ends in a line continuation');
  return out;
}

/** Groups instructions by stage. */
export function stages(instructions) {
  const list = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const m = ins.args.match(/^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i);
      if (!m) fail(`Dockerfile line ${ins.line}: cannot parse FROM ${ins.args}`);
      list.push({ index: list.length, base: m[1], name: m[2] ?? String(list.length), instructions: [] });
    } else if (ins.op === 'ARG' && list.length === 0) {
      // global ARG before the first FROM
    } else {
      if (!list.length) fail(`Dockerfile line ${ins.line}: ${ins.op} before FROM`);
      list.at(-1).instructions.push(ins);
    }
  }
  return list;
}

/** Exec form (JSON array) or shell form. */
function commandOf(args) {
  if (args.startsWith('[')) {
    try {
      const a = JSON.parse(args);
      if (Array.isArray(a) && a.every((x) => typeof x === 'string')) return { exec: a };
    } catch {
      // shell form after all
    }
  }
  return { shell: args };
}

/** Splits on whitespace, honouring simple quotes. */
function words(s) {
  const out = [];
  for (const m of s.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function parseEnv(args) {
  const env = {};
  const w = words(args);
  if (w.length && !w[0].includes('=')) {
    env[w[0]] = args.slice(args.indexOf(w[0]) + w[0].length).trim();
    return env;
  }
  for (const kv of w) {
    const i = kv.indexOf('=');
    if (i <= 0) fail(`cannot parse ENV ${args}`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

function parseCopy(args) {
  const w = words(args);
  const flags = {};
  while (w.length && w[0].startsWith('--')) {
    const [k, v = 'true'] = w.shift().slice(2).split('=');
    flags[k] = v;
  }
  let parts = w;
  if (args.replace(/^(--\S+\s+)*/, '').startsWith('[')) parts = JSON.parse(args.replace(/^(--\S+\s+)*/, ''));
  if (parts.length < 2) fail(`COPY needs a source and a destination: ${args}`);
  return { flags, sources: parts.slice(0, -1), dest: parts.at(-1) };
}

// --- Static checks -----------------------------------------------------------------------------------

function lint(stageList) {
  const problems = [];
  if (stageList.length < 2) problems.push('not a multi-stage build (build with dev dependencies, run with production ones only)');
  const final = stageList.at(-1);
  const ins = (op) => final.instructions.filter((i) => i.op === op);
  const env = Object.assign({}, ...ins('ENV').map((i) => parseEnv(i.args)));
  const user = ins('USER').at(-1)?.args;
  if (!user || !/^1000(:1000)?$/.test(user)) problems.push(`the runtime stage must run as uid 1000 (USER 1000:1000), found ${user ?? 'no USER'}`);
  if (env.DATA_DIR !== '/data') problems.push(`ENV DATA_DIR must be /data, found ${env.DATA_DIR ?? 'nothing'}`);
  if (env.PORT !== undefined && env.PORT !== '8000') problems.push(`ENV PORT must be 8000, found ${env.PORT}`);
  const volumes = ins('VOLUME').flatMap((i) => (i.args.startsWith('[') ? JSON.parse(i.args) : words(i.args)));
  if (!volumes.includes('/data')) problems.push('no VOLUME /data');
  if (!ins('EXPOSE').some((i) => words(i.args).some((p) => p.split('/')[0] === '8000'))) problems.push('no EXPOSE 8000');
  const hc = ins('HEALTHCHECK').at(-1);
  if (!hc || !/\/api\/health\b/.test(hc.args)) problems.push('no HEALTHCHECK on /api/health');
  const cmd = ins('CMD').at(-1);
  const c = cmd && commandOf(cmd.args);
  if (!c?.exec || c.exec.join(' ') !== 'node dist/node/server.js') problems.push(`CMD must be ["node", "dist/node/server.js"] (what the chart runs), found ${cmd?.args ?? 'none'}`);
  // The README's troubleshooting runs curl, sh and df in the pod. sh and df (coreutils) are in every
  // Debian-based node image; curl is not in the -slim ones.
  const runs = ins('RUN').map((i) => i.args).join('\n');
  const slim = /slim|alpine/.test(final.base);
  if (slim && !/\b(apt-get|apk)\b[^\n]*\binstall\b[^\n]*\bcurl\b/.test(runs)) problems.push(`the runtime base ${final.base} has no curl and the runtime stage does not install it`);
  if (/alpine|distroless/.test(final.base)) problems.push(`the runtime base ${final.base} may lack sh/df (the README runs them)`);
  // Production dependencies only in the runtime stage.
  for (const i of ins('RUN')) if (/\bnpm (ci|install)\b/.test(i.args) && !/--omit=dev|--production/.test(i.args)) problems.push(`line ${i.line}: the runtime stage installs dev dependencies`);
  for (const i of ins('COPY')) {
    const { flags, sources } = parseCopy(i.args);
    if (!flags.from) continue;
    const from = stageList.find((s) => s.name === flags.from || String(s.index) === flags.from);
    const bringsModules = sources.some((s) => /node_modules/.test(s) || s === '/app' || s === '/app/' || s === '.');
    if (from && bringsModules) {
      const installs = from.instructions.filter((x) => x.op === 'RUN' && /\bnpm (ci|install)\b/.test(x.args));
      if (installs.some((x) => !/--omit=dev|--production/.test(x.args))) problems.push(`line ${i.line}: node_modules copied from stage "${from.name}", which installed dev dependencies`);
    }
  }
  return { problems, env, final };
}

// --- .dockerignore -----------------------------------------------------------------------------------

function ignoreMatcher(text) {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      let p = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/+$/, '');
      const re = p
        .split('/')
        .map((seg) => (seg === '**' ? '(?:.*)' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${re}(?:/.*)?$`) };
    });
  return (rel) => {
    let ignored = false;
    for (const r of rules) if (r.re.test(rel)) ignored = !r.negate;
    return ignored;
  };
}

function copyContext(src, dest, ignored) {
  mkdirSync(dest, { recursive: true });
  let files = 0;
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const rel = relative(src, abs).split(sep).join('/');
      if (ignored(rel)) continue;
      const st = statSync(abs);
      if (st.isDirectory()) {
        mkdirSync(join(dest, rel), { recursive: true });
        walk(abs);
      } else if (st.isFile()) {
        cpSync(abs, join(dest, rel));
        files++;
      }
    }
  };
  walk(src);
  return files;
}

// --- Replaying the build -----------------------------------------------------------------------------

function globSources(baseDir, pattern) {
  if (!/[*?]/.test(pattern)) return existsSync(join(baseDir, pattern)) ? [pattern] : [];
  const dir = posix.dirname(pattern);
  const re = new RegExp(`^${posix.basename(pattern).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const abs = join(baseDir, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .filter((n) => re.test(n))
    .map((n) => posix.join(dir, n));
}

const SYSTEM_STEP = [
  /^(apt-get|apt|apk|yum|dnf)\b/,
  /^rm -rf \/var\/lib\/apt\/lists/,
  /^(chown|useradd|groupadd|adduser|addgroup|usermod)\b/,
  /^npm cache clean\b/, // cleans the image's cache; here it would empty the machine's
];

function runStep(cmd, cwd, stageRoot, env, line) {
  if (SYSTEM_STEP.some((re) => re.test(cmd))) {
    log(`  skip (system step, not needed outside the image): ${cmd}`);
    return;
  }
  // Absolute paths of mkdir/chmod point into the stage's filesystem.
  let command = cmd;
  if (/^(mkdir|chmod)\b/.test(cmd)) command = cmd.replace(/(\s)\/(?=[\w.])/g, `$1${stageRoot}/`);
  else if (!/^(npm|npx|node|corepack)\b/.test(cmd)) fail(`line ${line}: do not know how to rehearse "${cmd}" (teach scripts/dockerfile-rehearsal.mjs)`);
  log(`  run: ${command}`);
  const r = spawnSync('sh', ['-c', command], { cwd, env, stdio: 'inherit' });
  if (r.status !== 0) fail(`line ${line}: RUN step failed (exit ${r.status ?? r.signal}): ${cmd}`);
}

function buildStages(stageList, contextDir, work, dry = false) {
  const byName = new Map();
  for (const stage of stageList) {
    const root = join(work, 'stages', `${stage.index}-${stage.name}`);
    mkdirSync(root, { recursive: true });
    const parent = byName.get(stage.base);
    if (parent) cpSync(parent.root, root, { recursive: true });
    let workdir = parent?.workdir ?? '/';
    const env = { ...(parent?.env ?? {}) };
    log(`stage "${stage.name}" (FROM ${stage.base})`);
    for (const ins of stage.instructions) {
      const hostWorkdir = join(root, workdir);
      if (ins.op === 'WORKDIR') {
        workdir = posix.resolve(workdir, ins.args);
        mkdirSync(join(root, workdir), { recursive: true });
      } else if (ins.op === 'ENV') Object.assign(env, parseEnv(ins.args));
      else if (ins.op === 'COPY' || ins.op === 'ADD') {
        const { flags, sources, dest } = parseCopy(ins.args);
        let fromDir = contextDir;
        if (dry && flags.from) continue; // produced by RUN steps, which a check does not run
        if (flags.from) {
          const from = byName.get(flags.from) ?? [...byName.values()].find((s) => String(s.index) === flags.from);
          if (!from) fail(`line ${ins.line}: COPY --from=${flags.from}: no such stage (external images cannot be rehearsed)`);
          fromDir = from.root;
        }
        const destAbs = join(root, posix.resolve(workdir, dest));
        const multiple = sources.length > 1 || sources.some((s) => /[*?]/.test(s));
        for (const src of sources) {
          const rel = flags.from ? src.replace(/^\/+/, '') : posix.normalize(src).replace(/^(\.\.\/)+/, '');
          const matches = globSources(fromDir, rel === '' ? '.' : rel);
          if (!matches.length) fail(`line ${ins.line}: ${ins.op} source "${src}" not found${flags.from ? ` in stage "${flags.from}"` : ' in the build context (missing, or excluded by .dockerignore)'}`);
          for (const m of matches) {
            const abs = join(fromDir, m);
            if (statSync(abs).isDirectory()) cpSync(abs, destAbs, { recursive: true });
            else {
              const target = multiple || dest.endsWith('/') || (existsSync(destAbs) && statSync(destAbs).isDirectory()) ? join(destAbs, posix.basename(m)) : destAbs;
              mkdirSync(dirname(target), { recursive: true });
              cpSync(abs, target);
            }
          }
        }
        log(`  copy ${flags.from ? `--from=${flags.from} ` : ''}${sources.join(' ')} → ${dest}`);
      } else if (ins.op === 'RUN') {
        const c = commandOf(ins.args);
        const steps = c.exec ? [c.exec.join(' ')] : c.shell.split(/\s*&&\s*/).map((s) => s.trim()).filter(Boolean);
        if (dry) continue;
        const runEnv = { ...process.env, ...env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' };
        for (const step of steps) runStep(step, hostWorkdir, root, runEnv, ins.line);
      } else if (['USER', 'VOLUME', 'EXPOSE', 'HEALTHCHECK', 'CMD', 'ENTRYPOINT', 'LABEL', 'ARG', 'SHELL', 'STOPSIGNAL', 'ONBUILD'].includes(ins.op)) {
        // metadata: used by the checks and the start below
      } else fail(`line ${ins.line}: unknown instruction ${ins.op}`);
    }
    byName.set(stage.name, { ...stage, root, workdir, env });
  }
  return byName.get(stageList.at(-1).name);
}

// --- Starting the image ------------------------------------------------------------------------------

function freePort() {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** A small valid pcap: Ethernet/IPv4/UDP DNS query and response. */
function tinyPcap() {
  const packets = [];
  const dns = (response) => {
    const qname = [7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0];
    const payload = Buffer.from([0x12, 0x34, response ? 0x81 : 0x01, response ? 0x80 : 0x00, 0, 1, 0, response ? 1 : 0, 0, 0, 0, 0, ...qname, 0, 1, 0, 1,
      ...(response ? [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34] : [])]);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(response ? 53 : 40000, 0);
    udp.writeUInt16BE(response ? 40000 : 53, 2);
    udp.writeUInt16BE(8 + payload.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + udp.length + payload.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    Buffer.from(response ? [8, 8, 8, 8] : [10, 0, 0, 1]).copy(ip, 12);
    Buffer.from(response ? [10, 0, 0, 1] : [8, 8, 8, 8]).copy(ip, 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    const eth = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 8, 0]);
    return Buffer.concat([eth, ip, udp, payload]);
  };
  for (let i = 0; i < 4; i++) packets.push(dns(i % 2 === 1));
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  const records = packets.map((p, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_700_000_000 + i, 0);
    h.writeUInt32LE(1000 * i, 4);
    h.writeUInt32LE(p.length, 8);
    h.writeUInt32LE(p.length, 12);
    return Buffer.concat([h, p]);
  });
  return { bytes: Buffer.concat([header, ...records]), packets: packets.length };
}

function sh(command, env) {
  const r = spawnSync('sh', ['-c', command], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) fail(`"${command}" failed (exit ${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function until(what, fn, ms = 30_000) {
  const start = Date.now();
  let last;
  while (Date.now() - start < ms) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  fail(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

async function startAndProbe(final, lintEnv, work) {
  const appDir = join(final.root, final.workdir);
  const dataDir = join(work, 'volume-data');
  const tmp = join(work, 'volume-tmp');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  const port = await freePort();
  const cmd = commandOf(final.instructions.filter((i) => i.op === 'CMD').at(-1).args);
  const argv = cmd.exec ?? ['sh', '-c', cmd.shell];
  // The image's ENV, with the volume and port of this machine.
  const env = { PATH: process.env.PATH, HOME: tmp, ...final.env, DATA_DIR: dataDir, PORT: String(port), TMPDIR: tmp };
  const before = listTree(appDir);
  log(`start: ${argv.join(' ')} (cwd ${relative(work, appDir)}, PORT=${port}, DATA_DIR=${dataDir})`);
  const child = spawn(argv[0], argv.slice(1), { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const base = `http://localhost:${port}`;
  try {
    const health = await until('/api/health to answer 200', async () => {
      if (exited) fail(`the server exited (${exited.code ?? exited.signal}) during start:\n${output}`);
      const r = await fetch(`${base}/api/health`);
      return r.status === 200 ? r.json() : null;
    });
    if (health.status !== 'ok' || health.storage?.writable !== true) fail(`unexpected health: ${JSON.stringify(health)}`);
    log(`health: ${JSON.stringify(health)}`);
    if ((await fetch(`${base}/api/health/live`)).status !== 200) fail('/api/health/live did not answer 200');
    const page = await fetch(`${base}/`);
    const html = await page.text();
    if (page.status !== 200 || !/<script[^>]+src="\/assets\//.test(html)) fail(`the app is not served at / (status ${page.status})`);
    if (!/script-src 'self'/.test(page.headers.get('content-security-policy') ?? '')) fail('the app is served without its Content-Security-Policy');

    // The chart README's in-pod upload, as written (with this run's port and data directory).
    const capture = tinyPcap();
    writeFileSync(join(dataDir, 'test.pcap'), capture.bytes);
    const shellEnv = { ...env, PORT: String(port) };
    const upload = sh(`curl -s -X POST http://localhost:${port}/api/upload -F 'file=@${dataDir}/test.pcap'`, shellEnv);
    let job;
    try {
      job = JSON.parse(upload);
    } catch {
      fail(`upload did not answer JSON: ${upload}`);
    }
    if (!job.task_id || !job.status_url) fail(`upload refused: ${upload}`);
    log(`upload: 202 task ${job.task_id}`);
    const status = await until('the analysis to finish', async () => {
      const s = await (await fetch(`${base}${job.status_url}`)).json();
      if (s.status === 'failed') fail(`the analysis failed: ${JSON.stringify(s.error)}`);
      return s.status === 'done' ? s : null;
    });
    const report = await (await fetch(`${base}${status.report_url}`)).json();
    if (report.schemaVersion !== 1 || report.summary?.packets !== capture.packets) {
      fail(`unexpected report: schemaVersion ${report.schemaVersion}, ${report.summary?.packets} packets (expected ${capture.packets})`);
    }
    log(`report: ${report.summary.packets} packets, format ${report.summary.format}`);
    log(`df: ${sh(`df -h ${dataDir}`, shellEnv).trim().split('\n').pop()}`);
    const hc = final.instructions.filter((i) => i.op === 'HEALTHCHECK').at(-1).args.replace(/^(--\S+\s+)*CMD\s+/, '');
    sh(hc, shellEnv);
    log(`HEALTHCHECK command passes: ${hc}`);
  } finally {
    if (!exited) {
      child.kill('SIGTERM');
      const stopped = await Promise.race([new Promise((r) => child.once('exit', (code) => r(code))), new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
      if (stopped === 'timeout') {
        child.kill('SIGKILL');
        fail('the server did not stop within 15 s of SIGTERM');
      }
      if (stopped !== 0) fail(`the server exited with ${stopped} on SIGTERM:\n${output.slice(-2000)}`);
      log('stopped cleanly on SIGTERM');
    }
  }
  // A read-only root filesystem: nothing may have been written next to the app.
  const after = listTree(appDir);
  const added = after.filter((f) => !before.includes(f));
  if (added.length) fail(`the server wrote into its application directory (read-only in the pod): ${added.slice(0, 10).join(', ')}`);
  void lintEnv;
}

function listTree(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        if (name !== 'node_modules') walk(p);
      } else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

// --- Main --------------------------------------------------------------------------------------------

async function main() {
  const dockerfile = readFileSync(dockerfilePath, 'utf8');
  const stageList = stages(parseDockerfile(dockerfile));
  const { problems, env } = lint(stageList);
  if (problems.length) fail(`Dockerfile checks failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  log(`Dockerfile: ${stageList.length} stages (${stageList.map((s) => s.name).join(' → ')}); runtime checks pass`);
  const work = mkdtempSync(join(tmpdir(), 'pcap-dockerfile-rehearsal-'));
  log(`work directory: ${work}`);
  try {
    const ignoreFile = join(repo, '.dockerignore');
    const ignored = existsSync(ignoreFile) ? ignoreMatcher(readFileSync(ignoreFile, 'utf8')) : () => false;
    const context = join(work, 'context');
    const files = copyContext(repo, context, ignored);
    log(`build context: ${files} files (.dockerignore applied)`);
    if (checkOnly) {
      buildStages(stageList, context, work, true);
      log('static checks passed (--check: nothing installed, built or started)');
      return;
    }
    const final = buildStages(stageList, context, work);
    const runtimeEntries = readdirSync(join(final.root, final.workdir)).sort();
    log(`runtime ${final.workdir}: ${runtimeEntries.join(', ')}`);
    if (existsSync(join(final.root, final.workdir, 'node_modules', 'vite'))) fail('the runtime stage contains dev dependencies (node_modules/vite)');
    await startAndProbe(final, env, work);
    log('rehearsal passed');
  } finally {
    if (keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`\n[rehearsal] FAILED: ${e instanceof RehearsalError ? e.message : e.stack}\n`);
    process.exit(1);
  });
}
