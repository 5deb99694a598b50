// Worker-thread entry for the fuzzer (plain JS so Node can start it without a loader); the TypeScript
// side is loaded through tsx. See worker-impl.ts.
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { handle } = await tsImport('./worker-impl.ts', import.meta.url);
parentPort.on('message', async (req) => parentPort.postMessage(await handle(req)));
parentPort.postMessage({ ready: true });
