/**
 * Long fuzz runs: `npm run fuzz -- --seconds N [--seed S] [--only captures|dns --path P] [--dns-share F]`.
 *
 * Runs the same properties as fuzz.test.ts for N seconds (default 60; a share F of the time, default
 * 0.2, goes to the DNS name reader), prints runs per second, and on failure the counterexample with
 * the seed and path that replay it; a failing capture input is also written to the temp directory.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { buildInput, captureProperty, describeCase, dnsProperty, EngineHost, loadSeeds, type CaptureCase, type DnsCase } from './fuzz.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    path: { type: 'string' },
    'dns-share': { type: 'string', default: '0.2' },
    timeout: { type: 'string', default: '10000' },
    only: { type: 'string' },
  },
});

const seconds = Number(values.seconds);
const dnsShare = Number(values['dns-share']);
const only = values.only;
if (!(seconds > 0) || !(dnsShare >= 0 && dnsShare <= 1) || (only !== undefined && only !== 'captures' && only !== 'dns') || (values.path && !only)) {
  console.error('usage: npm run fuzz -- --seconds N [--seed S] [--only captures|dns [--path P]] [--dns-share 0..1] [--timeout MS]');
  process.exit(2);
}
const seed = values.seed !== undefined ? Number(values.seed) : (Date.now() ^ (Math.random() * 0x100000000)) | 0;

const host = new EngineHost(Number(values.timeout));
const seeds = loadSeeds();
console.log(`fuzzing for ${seconds} s with seed ${seed}: ${seeds.length} seed captures (${seeds.filter((s) => s.name.startsWith('corpus/')).length} from the corpus)`);

async function phase<T>(name: 'captures' | 'dns', property: fc.IAsyncPropertyWithHooks<[T]>, ms: number, show: (c: T) => string): Promise<boolean> {
  if (ms <= 0) return true;
  const started = Date.now();
  const details = await fc.check(property, {
    seed,
    ...(values.path ? { path: values.path } : {}),
    numRuns: 1_000_000_000,
    plugins: [fc.interruptAfterTimeLimit(ms)],
  });
  const elapsed = (Date.now() - started) / 1000;
  const rate = details.numRuns / elapsed;
  console.log(`${name}: ${details.numRuns} runs in ${elapsed.toFixed(1)} s (${rate.toFixed(0)} runs/s)${details.failed ? ', FAILED' : ''}`);
  if (!details.failed) return true;
  if (details.counterexample === null) {
    console.log('  interrupted before a counterexample was found');
    return false;
  }
  const c = (details.counterexample as unknown as [T])[0];
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  console.log(`  counterexample (after ${details.numShrinks} shrinks): ${show(c)}`);
  console.log(`  error: ${error.split('\n').slice(0, 12).join('\n         ')}`);
  console.log(`  replay: npm run fuzz -- --seconds ${seconds} --seed ${details.seed} --only ${name} --path ${details.counterexamplePath}`);
  const env = name === 'dns' ? 'FUZZ_DNS' : 'FUZZ';
  console.log(`     or:  ${env}_SEED=${details.seed} ${env}_PATH=${details.counterexamplePath} npx vitest run test/fuzz`);
  return false;
}

const captureMs = only === 'dns' ? 0 : only === 'captures' ? seconds * 1000 : seconds * 1000 * (1 - dnsShare);
const dnsMs = only === 'captures' ? 0 : only === 'dns' ? seconds * 1000 : seconds * 1000 * dnsShare;
let ok = await phase<CaptureCase>('captures', captureProperty(host, seeds), captureMs, (c) => {
  const file = join(tmpdir(), `pcap-fuzz-${seed}.bin`);
  writeFileSync(file, buildInput(seeds, c));
  return `${describeCase(seeds, c)}\n  input written to ${file}`;
});
ok = (await phase<DnsCase>('dns', dnsProperty(host), dnsMs, (c) => JSON.stringify({ ...c, prefix: Array.from(c.prefix), message: Array.from(c.message) }))) && ok;
console.log(`engine workers started: ${host.starts}`);
await host.close();
process.exit(ok ? 0 : 1);
