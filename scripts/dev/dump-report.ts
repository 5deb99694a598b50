import { analyzeCapture } from '../../worker/index.js';
import { fileSource } from '../../server/file-source.js';
const { source, size } = await fileSource(process.argv[2]);
const r = await analyzeCapture(source, { totalBytes: size, now: () => new Date(0) });
const { performance: _p, ...rest } = r;
console.log(JSON.stringify(rest, null, 1));
