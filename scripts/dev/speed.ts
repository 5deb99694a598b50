// Dev aid: packets/s of CaptureRun with a chosen set of consumers on a file.
import { CaptureRun, type PacketConsumer } from '../../worker/engine.js';
import { FlowTable } from '../../worker/analyzers/flow-table.js';
import { ConversationsAnalyzer } from '../../worker/analyzers/conversations.js';
import { fileSource } from '../../server/file-source.js';

const file = process.argv[2];
const modes: Record<string, () => PacketConsumer[]> = {
  decode: () => [],
  flows: () => {
    const f = new FlowTable();
    return [{ onPacket: (v) => f.classify(v) }];
  },
  conv: () => {
    const f = new FlowTable();
    return [{ onPacket: (v) => f.classify(v) }, new ConversationsAnalyzer(f)];
  },
};
for (const name of process.argv.slice(3)) {
  const run = new CaptureRun(modes[name]());
  const { source } = await fileSource(file);
  const t0 = performance.now();
  await run.run(source);
  const s = (performance.now() - t0) / 1000;
  console.log(`${name}: ${(run.packetCount() / s / 1e6).toFixed(2)} Mpps, ${(run.reader.info.bytesRead / s / 1e6).toFixed(0)} MB/s, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
}
