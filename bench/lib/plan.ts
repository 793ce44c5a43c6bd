import { type Workload, workload } from './workload.js';

/**
 * `relay` is the relay with its defaults (the librdkafka sink); `kafkajs` the same relay with
 * OUTBOX_KAFKA_CLIENT=kafkajs and `avro` with OUTBOX_VALUE_ENCODING=avro, each compared with the
 * `relay` row on the same WAL; `messages` the relay with OUTBOX_SOURCE=messages, compared with
 * the `relay` row on the same workload written as WAL messages; `exactly-once` the relay with
 * OUTBOX_DELIVERY=exactly-once, compared with the `relay` row on the same WAL (the cost of transactions).
 */
export type CatchUpSystem =
  | 'decode'
  | 'producer'
  | 'relay'
  | 'kafkajs'
  | 'polling'
  | 'debezium'
  | 'avro'
  | 'messages'
  | 'exactly-once';

export interface CatchUpStep {
  readonly load: Workload;
  readonly systems: readonly CatchUpSystem[];
  /** The workload the targets are judged on (100-event transactions, 300 B payloads). */
  readonly headline: boolean;
  /** In the README's headline table beside it (200-event transactions: what other tools publish). */
  readonly featured?: boolean;
}

export interface Plan {
  readonly mode: 'quick' | 'full';
  readonly catchUp: readonly CatchUpStep[];
  readonly latency: {
    readonly rates: readonly number[];
    readonly seconds: number;
    readonly warmupMs: number;
    readonly txSize: number;
    readonly payloadBytes: number;
    readonly aggregates: number;
    /** Poll intervals of the polling baseline measured at every rate. */
    readonly pollingIntervalsMs: readonly number[];
    /** Rates at which the kafkajs sink is measured too. */
    readonly kafkajsRates: readonly number[];
  };
}

// Every workload the relay reads as table rows it also reads as WAL messages.
const CEILINGS_AND_RELAY: CatchUpSystem[] = [
  'decode',
  'producer',
  'relay',
  'messages',
  'kafkajs',
  'exactly-once',
];
const ALL: CatchUpSystem[] = [...CEILINGS_AND_RELAY, 'polling', 'debezium'];
/** The headline workload also runs the Avro row. */
const HEADLINE: CatchUpSystem[] = [...ALL, 'avro'];

/** `npm run bench -- --quick`: under three minutes on the 2-core machine. */
export const QUICK: Plan = {
  mode: 'quick',
  catchUp: [
    { load: workload(100_000, 100, 300, 1_000), systems: HEADLINE, headline: true },
    { load: workload(100_000, 200, 300, 10_000), systems: ALL, headline: false, featured: true },
    { load: workload(20_000, 10, 4_096, 200), systems: CEILINGS_AND_RELAY, headline: false },
    { load: workload(20_000, 1, 300, 10_000), systems: ['decode', 'relay', 'messages'], headline: false },
  ],
  latency: {
    rates: [1_000, 5_000, 10_000],
    seconds: 10,
    warmupMs: 2_000,
    txSize: 10,
    payloadBytes: 300,
    aggregates: 1_000,
    pollingIntervalsMs: [100],
    kafkajsRates: [],
  },
};

/** `npm run bench`: the full matrix. */
export const FULL: Plan = {
  mode: 'full',
  catchUp: [
    { load: workload(1_000_000, 100, 300, 1_000), systems: HEADLINE, headline: true },
    { load: workload(500_000, 200, 300, 10_000), systems: ALL, headline: false, featured: true },
    {
      load: workload(200_000, 1, 300, 10_000),
      systems: ['decode', 'relay', 'messages', 'kafkajs', 'polling'],
      headline: false,
    },
    { load: workload(200_000, 10, 300, 200), systems: CEILINGS_AND_RELAY, headline: false },
    { load: workload(100_000, 100, 4_096, 1_000), systems: ALL, headline: false },
    { load: workload(100_000, 10, 4_096, 10_000), systems: CEILINGS_AND_RELAY, headline: false },
  ],
  latency: {
    rates: [1_000, 5_000, 10_000, 20_000],
    seconds: 30,
    warmupMs: 3_000,
    txSize: 10,
    payloadBytes: 300,
    aggregates: 1_000,
    pollingIntervalsMs: [100, 1_000],
    kafkajsRates: [1_000, 10_000],
  },
};

/** Scales every catch-up workload down (for trying the harness out): `--scale 0.05`. */
export function scaled(plan: Plan, factor: number, latencySeconds?: number): Plan {
  return {
    ...plan,
    catchUp: plan.catchUp.map((step) => ({
      ...step,
      load: workload(
        Math.max(
          step.load.txSize,
          Math.round((step.load.events * factor) / step.load.txSize) * step.load.txSize,
        ),
        step.load.txSize,
        step.load.payloadBytes,
        step.load.aggregates,
      ),
    })),
    latency: { ...plan.latency, seconds: latencySeconds ?? plan.latency.seconds },
  };
}
