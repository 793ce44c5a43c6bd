// Exits 0 when the broker answers a metadata request (used by scripts/stack.sh to wait for Kafka).
// Usage: node scripts/kafka/ping.mjs 127.0.0.1:19092
import { Kafka, logLevel } from 'kafkajs';

const brokers = (process.argv[2] ?? '127.0.0.1:19092').split(',');
const kafka = new Kafka({
  clientId: 'stack-ping',
  brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 2_000,
  requestTimeout: 5_000,
  retry: { retries: 0 },
});
const admin = kafka.admin();
try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (cluster.brokers.length === 0) throw new Error('no brokers in the metadata');
  console.log(`kafka cluster ${cluster.clusterId}: ${cluster.brokers.length} broker(s)`);
} catch (error) {
  console.error(
    `kafka at ${brokers.join(',')} does not answer: ${error instanceof Error ? error.message : error}`,
  );
  process.exitCode = 1;
} finally {
  await admin.disconnect();
}
