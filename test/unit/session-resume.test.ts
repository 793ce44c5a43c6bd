import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  checkpointKey,
  decodeCheckpoint,
  encodeCheckpoint,
  isPublished,
  type KafkaCheckpoint,
} from '../../src/checkpoint/kafka-checkpoint.js';
import { loadConfig } from '../../src/config/load.js';
import type { Delivery } from '../../src/kafka/delivery.js';
import type { RecordSink } from '../../src/kafka/record-sink.js';
import { layoutFromConfig } from '../../src/outbox/layout.js';
import { type Lsn, lsn } from '../../src/replication/lsn.js';
import type { PgOutputMessage, RelationMessage } from '../../src/replication/pgoutput/messages.js';
import { TupleView } from '../../src/replication/pgoutput/tuple.js';
import type { Keepalive, StandbyStatus } from '../../src/replication/protocol.js';
import type { ReplicationHandler, ReplicationStream } from '../../src/replication/stream.js';
import { ReplicationSession } from '../../src/session.js';

const config = loadConfig({
  env: { DATABASE_URL: 'postgres://u:p@localhost:5432/db', KAFKA_BROKERS: 'localhost:9092' },
});
const COLUMNS = ['id', 'aggregate_type', 'aggregate_id', 'event_type', 'payload', 'headers', 'created_at'];
const OUTBOX: RelationMessage = {
  tag: 'relation',
  relationOid: 16384,
  schema: 'public',
  table: 'outbox',
  columns: COLUMNS.map((name) => ({ name, typeOid: 25, isKey: name === 'id' })),
};
const WAL = Buffer.alloc(32);

/** The server side of a session: the test hands it messages; it records status updates. */
class ScriptedStream {
  handler: ReplicationHandler | undefined;
  readonly statuses: StandbyStatus[] = [];
  private end: () => void = () => undefined;

  async start(handler: ReplicationHandler) {
    this.handler = handler;
    return { ended: new Promise<void>((resolve) => (this.end = resolve)) };
  }
  sendStatus(status: StandbyStatus): void {
    this.statuses.push(status);
  }
  pause(): void {}
  resume(): void {}
  async stop(): Promise<void> {
    this.end();
  }
  send(message: PgOutputMessage): void {
    this.handler?.onMessage(message, WAL);
  }
  keepalive(keepalive: Keepalive): void {
    this.handler?.onKeepalive(keepalive);
  }
}

/** Keeps what it is given; acknowledges nothing. */
class HoldingSink implements RecordSink {
  readonly deliveries: Delivery[] = [];
  readonly failed = new Promise<never>(() => undefined);
  readonly mayDeadLetter = false;
  enqueue(delivery: Delivery): void {
    this.deliveries.push(delivery);
  }
  async whenIdle(): Promise<void> {}
  discardQueued(): void {}
  async close(): Promise<void> {}
}

/** A transaction of `events` outbox rows, committed at `commitLsn`, ending 8 bytes after it. */
function transaction(stream: ScriptedStream, commitLsn: number, events: number): void {
  stream.send({ tag: 'begin', finalLsn: lsn(BigInt(commitLsn)), commitTimeMicros: 0, xid: commitLsn });
  for (let n = 1; n <= events; n++) {
    const values = [`${commitLsn}-${n}`, 'order', `o-${n}`, 'Placed', '{}', null, null];
    stream.send({
      tag: 'insert',
      relationOid: OUTBOX.relationOid,
      tuple: TupleView.of(values.map((value) => (value === null ? null : Buffer.from(value)))),
    });
  }
  stream.send({
    tag: 'commit',
    commitLsn: lsn(BigInt(commitLsn)),
    endLsn: lsn(BigInt(commitLsn + 8)),
    commitTimeMicros: 0,
  });
}

async function session(resumeAfter: KafkaCheckpoint | undefined) {
  const stream = new ScriptedStream();
  const sink = new HoldingSink();
  let skipped = 0;
  const running = new ReplicationSession(
    stream as unknown as ReplicationStream,
    sink,
    layoutFromConfig(config),
    config,
    pino({ level: 'silent' }),
    {
      confirmed: () => undefined,
      acknowledged: () => undefined,
      deadLettered: () => undefined,
      skipped: () => skipped++,
    },
    lsn(50n),
    resumeAfter,
  );
  const stopped = new AbortController();
  const done = running.run(
    new Promise<void>((resolve) => stopped.signal.addEventListener('abort', () => resolve())),
    () => undefined,
  );
  await new Promise((resolve) => setImmediate(resolve));
  stream.send(OUTBOX);
  transaction(stream, 100, 3);
  transaction(stream, 200, 4);
  transaction(stream, 300, 2);
  stream.keepalive({ walEnd: lsn(400n), replyRequested: true });
  const sent = sink.deliveries.map((delivery) => [Number(delivery.receipt.commitLsn), delivery.ordinal]);
  const flushed = stream.statuses.at(-1)?.flushed as Lsn;
  stopped.abort();
  await done;
  return { sent, skipped: () => skipped, flushed };
}

describe('exactly-once resume', () => {
  it('sends every event with its transaction and its ordinal when there is no checkpoint', async () => {
    const { sent, skipped } = await session(undefined);
    expect(sent).toEqual([
      [100, 1],
      [100, 2],
      [100, 3],
      [200, 1],
      [200, 2],
      [200, 3],
      [200, 4],
      [300, 1],
      [300, 2],
    ]);
    expect(skipped()).toBe(0);
  });

  it('skips what the checkpoint says Kafka has, to the event inside a partly sent transaction', async () => {
    const { sent, skipped, flushed } = await session({ commitLsn: lsn(200n), events: 2 });
    expect(sent).toEqual([
      [200, 3],
      [200, 4],
      [300, 1],
      [300, 2],
    ]);
    expect(skipped()).toBe(5);
    // A transaction wholly in Kafka is safe to confirm although this session sent none of it.
    expect(flushed).toBe(lsn(108n));
  });

  it('skips a whole transaction the checkpoint ends with', async () => {
    const { sent } = await session({ commitLsn: lsn(200n), events: 4 });
    expect(sent).toEqual([
      [300, 1],
      [300, 2],
    ]);
  });
});

describe('checkpoint record', () => {
  const identity = { systemId: '7312', database: 'app', slot: 'outbox_relay' };

  it('round-trips, keyed by server, database and slot', () => {
    const checkpoint = { commitLsn: lsn(0x16b374d848n), events: 12 };
    expect(decodeCheckpoint(encodeCheckpoint(identity, checkpoint))).toEqual(checkpoint);
    expect(checkpointKey(identity)).toBe('7312/app/outbox_relay');
  });

  it('refuses a value the relay did not write', () => {
    expect(() => decodeCheckpoint(Buffer.from('{"commitLsn":"0/1"}'))).toThrow(/not a checkpoint record/);
    expect(() => decodeCheckpoint(null)).toThrow(/not a checkpoint record/);
    expect(() => decodeCheckpoint(Buffer.from('{"commitLsn":"x","events":1}'))).toThrow(/not an LSN/);
  });

  it('places an event before, at or after the checkpoint', () => {
    const checkpoint = { commitLsn: lsn(200n), events: 2 };
    expect(isPublished(checkpoint, lsn(199n), 1_000)).toBe(true);
    expect(isPublished(checkpoint, lsn(200n), 2)).toBe(true);
    expect(isPublished(checkpoint, lsn(200n), 3)).toBe(false);
    expect(isPublished(checkpoint, lsn(201n), 1)).toBe(false);
  });
});
