/**
 * One measurement in a fresh process, so peak RSS belongs to that pass alone. Prints one JSON line:
 * { mode, ms, packets, bytes, maxRssKB }.
 */
import { fileSource } from '../server/file-source.js';
import { analyzeCapture, summarizeCapture } from '../worker/index.js';
import { bareWalk } from './bare-walk.js';

const [mode, file] = process.argv.slice(2);
const { source } = await fileSource(file);
const t0 = performance.now();
let packets = 0;
let reportBytes = 0;
let untrackedFlows = 0;
if (mode === 'walk') {
  packets = (await bareWalk(source)).packets;
} else if (mode === 'info') {
  packets = (await summarizeCapture(source)).packets;
} else if (mode === 'analyze' || mode === 'analyze-no-security') {
  const report = await analyzeCapture(source, mode === 'analyze' ? {} : { security: false });
  packets = report.summary.packets;
  reportBytes = JSON.stringify(report).length;
  untrackedFlows = report.conversations.untrackedFlows;
} else {
  throw new Error(`unknown mode ${mode}`);
}
const ms = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ mode, ms, packets, reportBytes, untrackedFlows, maxRssKB: process.resourceUsage().maxRSS })}\n`);
