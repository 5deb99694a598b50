import { analyzeCapture } from '../../worker/index.js';
import { fileSource } from '../../server/file-source.js';
const { source } = await fileSource(process.argv[2] ?? 'bench/out/mix-256MB.pcap');
const t0 = performance.now();
const r = await analyzeCapture(source);
console.log('ms', performance.now() - t0, r.summary.packets);
