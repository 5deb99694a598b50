// Dev aid: A/B timing of two source trees on one file, interleaved runs in fresh processes. Each tree's
// measure-one.ts is bundled with esbuild first (as the hosts bundle the engine).
// Usage: tsx scripts/dev/ab.ts --a /tmp/base --b . --mode analyze --runs 5 [--file F]
// Prints per-tree medians of wall and CPU time, and the B/A ratios (lower is faster).
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    a: { type: 'string', default: '/tmp/base' },
    b: { type: 'string', default: '.' },
    mode: { type: 'string', default: 'analyze' },
    runs: { type: 'string', default: '5' },
    file: { type: 'string', default: 'bench/out/mix-256MB.pcap' },
  },
});
const file = resolve(values.file!);
const trees = [resolve(values.a!), resolve(values.b!)];
const modes = values.mode!.split(',');
const bundles = trees.map((tree, i) => {
  const out = `/tmp/ab-${i}.mjs`;
  const b = spawnSync(join(tree, 'node_modules/.bin/esbuild'), [join(tree, 'scripts/dev/measure-one.ts'), '--bundle', '--platform=node', '--format=esm', '--log-level=error', `--outfile=${out}`]);
  if (b.status !== 0) throw new Error(String(b.stderr));
  return out;
});
type S = { ms: number; cpuMs: number; maxRssKB: number; packets: number };
const samples = new Map<string, S[]>();
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (let r = 0; r < Number(values.runs); r++) {
  for (const mode of modes) {
    for (const tree of r % 2 === 0 ? trees : [...trees].reverse()) {
      const p = spawnSync(process.execPath, [bundles[trees.indexOf(tree)], mode, file], { cwd: tree, encoding: 'utf8' });
      if (p.status !== 0) throw new Error(p.stderr);
      const s = JSON.parse(p.stdout.trim().split('\n').pop()!) as S;
      const k = `${mode} ${tree}`;
      samples.set(k, [...(samples.get(k) ?? []), s]);
      process.stderr.write(`${k}: ${s.ms.toFixed(0)} ms wall, ${s.cpuMs.toFixed(0)} ms cpu\n`);
    }
  }
}
for (const mode of modes) {
  const [a, b] = trees.map((t) => samples.get(`${mode} ${t}`)!);
  const m = (x: S[], f: (s: S) => number) => median(x.map(f));
  const pps = (x: S[]) => (x[0].packets / m(x, (s) => s.ms)) * 1000;
  console.log(
    `${mode}: A ${m(a, (s) => s.ms).toFixed(0)} ms (cpu ${m(a, (s) => s.cpuMs).toFixed(0)}, ${(pps(a) / 1e3).toFixed(0)} kpps, rss ${(m(a, (s) => s.maxRssKB) / 1024).toFixed(0)} MB)` +
      ` | B ${m(b, (s) => s.ms).toFixed(0)} ms (cpu ${m(b, (s) => s.cpuMs).toFixed(0)}, ${(pps(b) / 1e3).toFixed(0)} kpps, rss ${(m(b, (s) => s.maxRssKB) / 1024).toFixed(0)} MB)` +
      ` | B/A wall ${(m(b, (s) => s.ms) / m(a, (s) => s.ms)).toFixed(3)}, cpu ${(m(b, (s) => s.cpuMs) / m(a, (s) => s.cpuMs)).toFixed(3)}`,
  );
}
