// Dev aid: a few report figures of a capture (sizes of what the analyzers handle).
import { readFileSync } from 'node:fs';
import { analyzeCapture } from '../../worker/index.js';
const data = readFileSync(process.argv[2] ?? 'bench/out/mix-256MB.pcap');
const r = await analyzeCapture([data]);
console.log('duration', r.summary.durationSeconds, 'binSeconds', r.timeline.binSeconds, 'ack rtt samples', r.tcp.rtt.ack.count, 'tcp flows detailed', r.tcp.flows.items.length, 'events', r.tcp.events.items.length);
