// Dev aid: summarises a V8 .cpuprofile (self time by function and by file; GC, idle and program separately).
// Usage: tsx scripts/dev/prof-summary.ts FILE.cpuprofile [top=40] [bundle.mjs]
// With the esbuild bundle the profile was taken from, functions are named by their source file (esbuild
// marks each module with a "// path" comment line).
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const prof = JSON.parse(readFileSync(process.argv[2], 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const top = Number(process.argv[3] ?? 40);
const bundle = process.argv[4];
const sourceOf: string[] = [];
if (bundle) {
  let current = '';
  readFileSync(bundle, 'utf8').split('\n').forEach((line, i) => {
    const m = /^\/\/ ((worker|server|bench|scripts|test)\/\S+)$/.exec(line);
    if (m) current = m[1];
    sourceOf[i + 1] = current;
  });
}
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map<string, number>();
const file = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const f = n.callFrame;
  const short = bundle && f.url.endsWith(bundle) && sourceOf[f.lineNumber + 1] ? sourceOf[f.lineNumber + 1] : f.url.replace(/^.*\/work\/main\//, '').replace(/^file:\/\//, '');
  const key = `${f.functionName || '(anon)'} ${short}:${f.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  file.set(short || f.functionName, (file.get(short || f.functionName) ?? 0) + us);
}
const show = (m: Map<string, number>, n: number) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${(us / 1000).toFixed(1).padStart(8)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}`).join('\n');
console.log(`total ${(total / 1000).toFixed(0)} ms\n\nby function:\n${show(fn, top)}\n\nby file:\n${show(file, 25)}`);
