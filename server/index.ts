/**
 * `node dist/node/server.js` (what the image runs) and `npm start`: reads the configuration from the
 * environment, serves the app and API on PORT, shuts down cleanly on SIGTERM/SIGINT (running
 * analyses are resumed by the next start).
 */
import { threadEntryProblem } from './analysis.js';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { listen } from './listen.js';
import { createLogger } from './log.js';

let config;
try {
  config = loadConfig();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'ERROR', event: 'config_invalid', problems: e.problems })}\n`);
  process.stderr.write(`pcap-analyzer: ${e.message}\n`);
  process.exit(2);
}

const logger = createLogger(config.logLevel);
const missing = threadEntryProblem();
if (missing) logger.error('analysis_thread_missing', { detail: missing, effect: 'uploads will fail; shared reports and the app still work' });
const app = createApp(config, { logger });
const listening = await listen(app, { port: config.port, host: config.host, logger });
logger.info('listening', {
  url: listening.url,
  dataDir: config.dataDir,
  maxUploadSizeMB: config.maxUploadBytes / 1048576,
  reportTtlHours: config.reportTtlMs / 3600_000,
  maxQueueSize: config.maxQueueSize,
  logLevel: config.logLevel,
});

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info('shutting_down', { signal });
  listening.close(20_000).then(
    () => process.exit(0),
    (e) => {
      logger.error('shutdown_failed', { error: e });
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('unhandledRejection', (e) => logger.error('unhandled_rejection', { error: e }));
