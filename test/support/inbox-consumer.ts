// A consumer with effects in its own database, through outbox-relay/inbox: run as a separate
// process by test/integration/inbox.test.ts, which kills it with SIGKILL at random moments.
// Environment: DATABASE_URL, KAFKA_BROKERS, TOPIC, GROUP; CRASH_BEFORE_OFFSET_COMMIT=N makes it kill
// itself right before its Nth offset commit, after that record's transaction committed: the worst
// moment, which random kills rarely hit.
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { Inbox } from '../../src/inbox/inbox.js';
import { runInboxConsumer } from '../../src/inbox/kafkajs-consumer.js';

const { DATABASE_URL, KAFKA_BROKERS = '', TOPIC = '', GROUP = '', CRASH_BEFORE_OFFSET_COMMIT } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
const inbox = new Inbox({ pool, onDuplicate: (id) => process.stdout.write(`duplicate ${id}\n`) });
const consumer = new Kafka({
  clientId: 'inbox-test',
  brokers: KAFKA_BROKERS.split(','),
  logLevel: logLevel.NOTHING,
}).consumer({
  groupId: GROUP,
  // A killed member's partitions move on after this: the test restarts the consumer several times.
  sessionTimeout: 6_000,
  heartbeatInterval: 500,
});
await consumer.connect();
await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
let commits = 0;
const crashing: typeof consumer = Object.assign(Object.create(consumer), {
  commitOffsets: (offsets: Parameters<typeof consumer.commitOffsets>[0]) => {
    if (++commits === Number(CRASH_BEFORE_OFFSET_COMMIT)) process.kill(process.pid, 'SIGKILL');
    return consumer.commitOffsets(offsets);
  },
});
await runInboxConsumer({
  consumer: crashing,
  inbox,
  async handle({ message }, client) {
    const { amount } = JSON.parse(message.value?.toString() ?? '{}') as { amount: number };
    await client.query('INSERT INTO effects (event_id, amount) VALUES ($1, $2)', [
      message.headers?.id?.toString(),
      amount,
    ]);
    await client.query('UPDATE balance SET total = total + $1 WHERE id = 1', [amount]);
  },
});
process.stdout.write('consuming\n');
