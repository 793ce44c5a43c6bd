/**
 * The demo's downstream service: prints every record the relay publishes.
 *   KAFKA_BROKERS=... npx tsx scripts/demo/consumer.ts <expected events> <since epoch ms>
 * Prints records created since the given time; exits once it has seen the expected number
 * (or after 60 s without any).
 */
import { Kafka, logLevel } from 'kafkajs';
import { createTopics } from '../../test/support/kafka.js';

const expected = Number(process.argv[2] ?? Number.POSITIVE_INFINITY);
const since = Number(process.argv[3] ?? 0);
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
// The writer's two aggregate types.
const topics = ['outbox.event.order', 'outbox.event.payment'];
// Created first (a no-op when they exist), and waited for until each partition has a leader: on a
// new broker, subscribing at once failed with UNKNOWN_TOPIC_OR_PARTITION when the relay had just
// auto-created one of them (test/support/kafka.ts: waitForLeaders says why).
await createTopics(brokers, topics);
const consumer = kafka.consumer({ groupId: `outbox-demo-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({ topics, fromBeginning: true });

let seen = 0;
let idleTimer = setTimeout(stop, 60_000);
await consumer.run({
  eachMessage: async ({ topic, partition, message }) => {
    if (Number(message.timestamp) < since) return;
    seen++;
    const headers = Object.entries(message.headers ?? {})
      .map(([name, value]) => `${name}=${value?.toString()}`)
      .join(' ');
    console.log(
      `${topic.padEnd(22)} p${partition} key=${message.key?.toString().padEnd(22)} ${message.value?.toString()}  [${headers}]`,
    );
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stop, 60_000);
    // Not awaited here: disconnecting waits for this handler to return.
    if (seen >= expected) setImmediate(() => void stop());
  },
});

async function stop() {
  clearTimeout(idleTimer);
  console.log(`consumer: received ${seen} records`);
  await consumer.disconnect();
  process.exit(seen >= expected || expected === Number.POSITIVE_INFINITY ? 0 : 1);
}
