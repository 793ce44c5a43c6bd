import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type Divergence, HistoryCheck, HistoryDivergedError } from '../../src/checkpoint/history-check.js';
import type { PublishedTransaction } from '../../src/checkpoint/published-history.js';
import { loadConfig } from '../../src/config/load.js';
import { layoutFromConfig } from '../../src/outbox/layout.js';
import { ReplicationSession } from '../../src/pipeline/session.js';
import { type Lsn, lsn } from '../../src/replication/lsn.js';
import type { PgOutputMessage, RelationMessage } from '../../src/replication/pgoutput/messages.js';
import { TupleView } from '../../src/replication/pgoutput/tuple.js';
import type { Keepalive, StandbyStatus } from '../../src/replication/protocol.js';
import type { ReplicationHandler, ReplicationStream } from '../../src/replication/stream.js';
import type { Delivery } from '../../src/sinks/delivery.js';
import {
  checkpointKey,
  decodeCheckpoint,
  encodeCheckpoint,
} from '../../src/sinks/kafka/checkpoint-record.js';
import type { RecordSink } from '../../src/sinks/record-sink.js';

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
const COMMIT_TIME = 820_000_000_000_000;

/**
 * The server side of a session: the test hands it messages; it records status updates. As the real
 * stream does, an error thrown while handling a message ends the stream, and nothing more is handled.
 */
class ScriptedStream {
  handler: ReplicationHandler | undefined;
  readonly statuses: StandbyStatus[] = [];
  private end: (error?: unknown) => void = () => undefined;
  private failed = false;

  async start(handler: ReplicationHandler) {
    this.handler = handler;
    const ended = new Promise<void>((resolve, reject) => {
      this.end = (error) => (error === undefined ? resolve() : reject(error));
    });
    return { ended };
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
    this.handle((handler) => handler.onMessage(message, WAL));
  }
  keepalive(keepalive: Keepalive): void {
    this.handle((handler) => handler.onKeepalive(keepalive));
  }
  private handle(deliver: (handler: ReplicationHandler) => void): void {
    if (!this.handler || this.failed) return;
    try {
      deliver(this.handler);
    } catch (error) {
      this.failed = true;
      this.end(error);
    }
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
  stream.send({
    tag: 'begin',
    finalLsn: lsn(BigInt(commitLsn)),
    commitTimeMicros: COMMIT_TIME,
    xid: commitLsn,
  });
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
    commitTimeMicros: COMMIT_TIME,
  });
}

interface Started {
  readonly stream: ScriptedStream;
  readonly sink: HoldingSink;
  readonly done: Promise<void>;
  readonly diverged: Divergence[];
  skipped(): number;
  proven(): boolean;
  /** Sent events as [commit LSN, ordinal]. */
  sent(): number[][];
  /** The flush position of the last status update the session sent. */
  flushed(): Lsn | undefined;
  stop(): Promise<void>;
}

/** A session whose server's slot confirmed 50 and whose WAL ends at `serverEnd`. */
async function startSession(
  remembered: readonly PublishedTransaction[],
  serverEnd = 1_000n,
): Promise<Started> {
  const stream = new ScriptedStream();
  const sink = new HoldingSink();
  let skipped = 0;
  let proven = false;
  const diverged: Divergence[] = [];
  const origin = {
    systemId: '7312',
    timeline: 1,
    serverEnd: lsn(serverEnd),
    slotConfirmed: lsn(50n),
    publishedTables: new Set(['public.outbox', 'public.shipments']),
  };
  const history = new HistoryCheck(
    remembered,
    { resumesAt: origin.slotConfirmed, serverEnd: origin.serverEnd },
    { proven: () => (proven = true), diverged: (divergence) => diverged.push(divergence) },
  );
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
      published: () => undefined,
    },
    origin,
    history,
  );
  const stopped = new AbortController();
  const done = running.run(
    new Promise<void>((resolve) => stopped.signal.addEventListener('abort', () => resolve())),
    () => undefined,
  );
  done.catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  stream.send(OUTBOX);
  return {
    stream,
    sink,
    done,
    diverged,
    skipped: () => skipped,
    proven: () => proven,
    sent: () => sink.deliveries.map((delivery) => [Number(delivery.receipt.commitLsn), delivery.ordinal]),
    flushed: () => stream.statuses.at(-1)?.flushed,
    stop: async () => {
      stopped.abort();
      await done;
    },
  };
}

/** Transactions at 100 (3 events), 200 (4) and 300 (2), then the server idle at 400. */
function threeTransactions(stream: ScriptedStream): void {
  transaction(stream, 100, 3);
  transaction(stream, 200, 4);
  transaction(stream, 300, 2);
  stream.keepalive({ walEnd: lsn(400n), replyRequested: true });
}

/** Transaction `commitLsn` as the stream sends it (xid = commit LSN), published up to `events`. */
function published(commitLsn: number, events: number, xid = commitLsn): PublishedTransaction {
  return { commitLsn: lsn(BigInt(commitLsn)), xid, commitTimeMicros: COMMIT_TIME, events };
}

describe('resuming a session after what the broker has', () => {
  it('sends every event with its transaction and its ordinal when nothing is remembered', async () => {
    const session = await startSession([]);
    threeTransactions(session.stream);
    expect(session.sent()).toEqual([
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
    expect(session.skipped()).toBe(0);
    await session.stop();
  });

  it('skips what the broker has, to the event inside a partly sent transaction, once the stream shows that transaction', async () => {
    const session = await startSession([published(200, 2)]);
    threeTransactions(session.stream);
    expect(session.sent()).toEqual([
      [200, 3],
      [200, 4],
      [300, 1],
      [300, 2],
    ]);
    expect(session.skipped()).toBe(5);
    expect(session.proven()).toBe(true);
    // A transaction wholly in Kafka is safe to confirm although this session sent none of it.
    expect(session.flushed()).toBe(lsn(108n));
    await session.stop();
  });

  it('skips a whole transaction the checkpoint ends with', async () => {
    const session = await startSession([published(200, 4)]);
    threeTransactions(session.stream);
    expect(session.sent()).toEqual([
      [300, 1],
      [300, 2],
    ]);
    await session.stop();
  });

  it('confirms nothing it left out before the stream shows the remembered transaction', async () => {
    const session = await startSession([published(200, 4)]);
    transaction(session.stream, 100, 3);
    session.stream.keepalive({ walEnd: lsn(150n), replyRequested: true });
    expect(session.sent()).toEqual([]);
    expect(session.flushed()).toBe(lsn(50n));
    transaction(session.stream, 200, 4);
    session.stream.keepalive({ walEnd: lsn(250n), replyRequested: true });
    expect(session.flushed()).toBe(lsn(250n));
    await session.stop();
  });

  it('ends the session, confirming nothing, when another transaction committed where the remembered one did', async () => {
    const session = await startSession([published(200, 4, 9_999)]);
    threeTransactions(session.stream);
    await expect(session.done).rejects.toBeInstanceOf(HistoryDivergedError);
    expect(session.sent()).toEqual([]);
    expect(session.stream.statuses.every((status) => status.flushed === lsn(50n))).toBe(true);
    expect(session.diverged.map((divergence) => divergence.missing.map(({ xid }) => xid))).toEqual([[9_999]]);
  });

  it('ends the session when the stream passes a remembered transaction without it', async () => {
    const session = await startSession([published(150, 1)]);
    threeTransactions(session.stream);
    await expect(session.done).rejects.toThrow(/passed that position without it/);
    expect(session.sent()).toEqual([]);
  });

  it('sends everything, and says what is missing, when the remembered transactions lie beyond the server WAL', async () => {
    const session = await startSession([published(300, 2), published(500, 7)], 400n);
    threeTransactions(session.stream);
    expect(session.sent()).toHaveLength(9);
    expect(session.skipped()).toBe(0);
    expect(session.diverged).toHaveLength(1);
    expect(session.diverged[0]?.lastCommon?.commitLsn).toBe(lsn(300n));
    expect(session.diverged[0]?.missing.map(({ commitLsn }) => Number(commitLsn))).toEqual([500]);
    await session.stop();
  });

  it('leaves out rows of another table the shared publication published from the start', async () => {
    const session = await startSession([]);
    session.stream.send({ ...OUTBOX, relationOid: 16_600, table: 'shipments' });
    session.stream.send({ tag: 'begin', finalLsn: lsn(100n), commitTimeMicros: COMMIT_TIME, xid: 100 });
    session.stream.send({ tag: 'insert', relationOid: 16_600, tuple: TupleView.of([]) });
    session.stream.send({
      tag: 'commit',
      commitLsn: lsn(100n),
      endLsn: lsn(108n),
      commitTimeMicros: COMMIT_TIME,
    });
    session.stream.keepalive({ walEnd: lsn(108n), replyRequested: true });
    expect(session.sent()).toEqual([]);
    expect(session.flushed()).toBe(lsn(108n));
    await session.stop();
  });

  it('stops, naming the relation, at a row of a relation that is not the outbox', async () => {
    const session = await startSession([]);
    session.stream.send({ ...OUTBOX, relationOid: 16_500, table: 'outbox_p2026' });
    session.stream.send({ tag: 'begin', finalLsn: lsn(100n), commitTimeMicros: COMMIT_TIME, xid: 100 });
    session.stream.send({ tag: 'insert', relationOid: 16_500, tuple: TupleView.of([]) });
    await expect(session.done).rejects.toThrow(
      /public\.outbox_p2026, which is not the outbox table.*publish_via_partition_root/,
    );
  });
});

describe('checkpoint record', () => {
  const identity = { systemId: '7312', database: 'app', slot: 'outbox_relay' };

  it('round-trips, keyed by server, database and slot', () => {
    const checkpoint = {
      commitLsn: lsn(0x16b374d848n),
      xid: 76_142,
      commitTimeMicros: COMMIT_TIME,
      events: 12,
    };
    expect(decodeCheckpoint(encodeCheckpoint(identity, checkpoint))).toEqual(checkpoint);
    expect(checkpointKey(identity)).toBe('7312/app/outbox_relay');
  });

  it('refuses a value the relay did not write', () => {
    expect(() => decodeCheckpoint(Buffer.from('{"commitLsn":"0/1"}'))).toThrow(/not a checkpoint record/);
    expect(() => decodeCheckpoint(null)).toThrow(/not a checkpoint record/);
    expect(() => decodeCheckpoint(Buffer.from('{"commitLsn":"x","events":1}'))).toThrow(/not an LSN/);
  });

  it('reads a checkpoint that does not name its transaction as unprovable', () => {
    expect(decodeCheckpoint(Buffer.from('{"commitLsn":"0/C8","events":2}'))).toEqual({
      unprovable: true,
      commitLsn: '0/C8',
    });
    expect(() =>
      decodeCheckpoint(Buffer.from('{"commitLsn":"0/C8","events":2,"xid":-1,"commitTimeMicros":1}')),
    ).toThrow(/not a checkpoint record/);
  });
});
