// Dev aid: generates a bench capture of a given size: tsx scripts/dev/gen.ts OUT MB [pcapng] [seed]
import { generateCapture } from '../../bench/generate.js';
const [out, mb, fmt, seed] = process.argv.slice(2);
const g = generateCapture({ path: out, targetBytes: Number(mb) * 1e6, pcapng: fmt === 'pcapng', seed: seed ? Number(seed) : undefined });
console.log(g);
