/**
 * The relay as `outbox-relay run` starts it (configuration from the environment, the built
 * dist/ code), plus one listener on the typed `event:acknowledged` event that records, per
 * event, its commit time and the broker ack's delay after it. On SIGTERM it drains like the
 * CLI and writes the samples (float64 pairs) to BENCH_ACK_FILE. Used by the latency runs only.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Samples } from './lib/stats.js';

type Library = typeof import('../src/index.js');

const dist = new URL('../dist/index.js', import.meta.url);
const { createLogger, loadConfig, OutboxRelay } = (await import(
  pathToFileURL(dist.pathname).href
)) as Library;

const config = loadConfig({ env: process.env });
const logger = createLogger({ level: config.logLevel, pretty: false });
const relay = new OutboxRelay(config, logger);
const acks = new Samples();
relay.on('event:acknowledged', (_topic, commitTimeMs, ackTimeMs) => {
  acks.push(commitTimeMs);
  acks.push(ackTimeMs - commitTimeMs);
});
process.on('SIGTERM', () => void relay.stop());
process.on('SIGINT', () => void relay.stop());
await relay.start();
await relay.done;
const file = process.env.BENCH_ACK_FILE;
if (file) writeFileSync(file, Buffer.from(acks.values().buffer, 0, acks.length * 8));
logger.flush();
