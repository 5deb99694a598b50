// Dev aid: line-level self time (positionTicks) of a .cpuprofile for functions whose name matches, with
// the source line (the profile must come from a bundle, so lines are real). Usage: FILE.cpuprofile BUNDLE.mjs NAME [top]
import { readFileSync } from 'node:fs';
const [pf, bundle, name, topArg] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(pf, 'utf8'));
const lines = readFileSync(bundle, 'utf8').split('\n');
const ticks = new Map<number, number>();
let total = 0;
for (const n of prof.nodes) {
  if (n.callFrame.functionName !== name || !n.positionTicks) continue;
  for (const t of n.positionTicks) {
    ticks.set(t.line, (ticks.get(t.line) ?? 0) + t.ticks);
    total += t.ticks;
  }
}
const top = [...ticks].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 30));
for (const [line, t] of top.sort((a, b) => a[0] - b[0])) console.log(`${String(t).padStart(5)} ${((t / total) * 100).toFixed(1).padStart(5)}%  ${line}: ${lines[line - 1].trim().slice(0, 130)}`);
console.log(`total ticks ${total}`);
