// Dev aid: cold-parts.ts under the in-process profiler: FILE LIST OUT.cpuprofile
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
await import('./cold-parts.js');
const { profile } = await session.post('Profiler.stop');
writeFileSync(process.argv[4] ?? '/tmp/cold-parts.cpuprofile', JSON.stringify(profile));
