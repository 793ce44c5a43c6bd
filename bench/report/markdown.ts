import type { LatencyResult } from '../systems/latency.js';
import type { CatchUpResult } from '../systems/measure.js';
import { type BenchResults, type CatchUpGroup, failed, type LatencyGroup } from './results.js';
import {
  AVRO,
  catchUpOf,
  ceiling,
  consumerP99,
  DEBEZIUM,
  EXACTLY_ONCE,
  KAFKAJS,
  latencyOf,
  MESSAGES,
  POLLING_CATCH_UP,
  POLLING_LATENCY,
  RELAY,
  ratio,
  targets,
} from './summary.js';

const n = (value: number | null | undefined, digits = 0): string =>
  value === null || value === undefined || Number.isNaN(value)
    ? 'n/a'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits });

/** The 1-minute load average around a measurement (2 cores: above 2, something else competed). */
function loadCell(result: object): string {
  const value = (result as { loadAverage1m?: { start: number; end: number } }).loadAverage1m;
  return value ? `${value.start} -> ${value.end}` : '';
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: string[], rows: string[][]): string {
  const padded = rows.map((cells) => [
    ...cells,
    ...Array<string>(Math.max(0, header.length - cells.length)).fill(''),
  ]);
  return [row(header), row(header.map(() => '---')), ...padded.map(row)].join('\n');
}

/** A ceiling's row: its rate and our ratio to it, or why it failed (table() pads the rest). */
function ceilingRow(
  label: string,
  result: { eventsPerSecond: number; mbPerSecond: number } | { error: string },
  oursPerSecond: number | undefined,
): string[] {
  if ('error' in result) return [label, `failed: ${result.error.split('\n')[0]}`];
  const cells = [label, n(result.eventsPerSecond), n(result.mbPerSecond, 1), '', '', '', '', ''];
  return [...cells, n(ratio(oursPerSecond, result.eventsPerSecond), 2)];
}

function catchUpSection(group: CatchUpGroup): string {
  const load = group.workload;
  const ours = catchUpOf(group, RELAY);
  const rows: string[][] = [];
  if (group.decode)
    rows.push(ceilingRow('pg_recvlogical (decode ceiling)', group.decode, ours?.eventsPerSecond));
  if (group.producer) {
    const label = failed(group.producer)
      ? 'ProducerPerformance (producer ceiling)'
      : `ProducerPerformance (producer ceiling, ${group.producer.recordSize} B records)`;
    rows.push(ceilingRow(label, group.producer, ours?.eventsPerSecond));
  }
  for (const result of group.results) {
    if (failed(result)) {
      rows.push([result.system ?? '?', `not measured: ${result.error.split('\n')[0]?.slice(0, 200)}`]);
      continue;
    }
    const verification = result.verification
      ? `${n(result.verification.distinctEvents)}/${n(result.events)}, ${result.verification.duplicates} dup, ${result.verification.orderViolations} out of order`
      : 'not checked';
    rows.push([
      result.system === RELAY ? `**${RELAY}**` : result.system,
      n(result.eventsPerSecond),
      n(result.mbPerSecond, 1),
      `${n(result.eventsPerSecondWithStartup)} (${n(result.secondsWithStartup, 1)} s)`,
      n(result.cpuSecondsPerMillion, 0),
      n(result.peakRssMb, 0),
      verification,
      loadCell(result),
      result.system === RELAY ? '1' : n(ratio(ours?.eventsPerSecond, result.eventsPerSecond), 2),
    ]);
  }
  const min = ceiling(group);
  const internals = ours?.internals;
  const rounds = internals
    ? `${RELAY} (librdkafka) was told of its records in ${n(internals.batches)} rounds of delivery reports of ${n(internals.meanBatchEvents)} events on average; a record timed from produce to report took ${n(internals.meanSendMs, 1)} ms on average (its /metrics).`
    : '';
  const kafkajsInternals = catchUpOf(group, KAFKAJS)?.internals;
  const batches = kafkajsInternals
    ? `${KAFKAJS} sent ${n(kafkajsInternals.batches)} batches of ${n(kafkajsInternals.meanBatchEvents)} events on average, ${n(kafkajsInternals.meanSendMs, 1)} ms per sendBatch round trip (its /metrics); with one batch in flight, its throughput <= batch / round trip.`
    : '';
  const sinks = group.defaultVsKafkajs;
  const sinksLine = sinks
    ? `${RELAY} (librdkafka, the default) / ${KAFKAJS}, the same relay on the same WAL in this run: events/s **${n(sinks.eventsPerSecond, 2)}** (${n(sinks.of.eventsPerSecond)} vs ${n(sinks.to.eventsPerSecond)}), CPU s / M events **${n(sinks.cpuSecondsPerMillion, 2)}** (${n(sinks.of.cpuSecondsPerMillion)} vs ${n(sinks.to.cpuSecondsPerMillion)}).`
    : '';
  const avro = group.avroVsJson;
  const avroLine = avro
    ? `${AVRO} (OUTBOX_VALUE_ENCODING=avro) / outbox-relay (json-text), the same relay on the same WAL in this run: events/s **${n(avro.eventsPerSecond, 2)}** (${n(avro.of.eventsPerSecond)} vs ${n(avro.to.eventsPerSecond)}), CPU s / M events **${n(avro.cpuSecondsPerMillion, 2)}** (${n(avro.of.cpuSecondsPerMillion)} vs ${n(avro.to.cpuSecondsPerMillion)}); ${n(catchUpOf(group, AVRO)?.internals?.deadLettered)} events dead-lettered. Its MB/s counts the Avro values (smaller than the JSON text).`
    : '';
  const exactlyOnce = group.exactlyOnceVsAtLeastOnce;
  const exactlyOnceLine = exactlyOnce
    ? `${EXACTLY_ONCE} / outbox-relay (at-least-once), OUTBOX_DELIVERY=exactly-once, the same relay on the same WAL in this run, each batch a Kafka transaction with its checkpoint record: events/s **${n(exactlyOnce.eventsPerSecond, 2)}** (${n(exactlyOnce.of.eventsPerSecond)} vs ${n(exactlyOnce.to.eventsPerSecond)}), CPU s / M events **${n(exactlyOnce.cpuSecondsPerMillion, 2)}** (${n(exactlyOnce.of.cpuSecondsPerMillion)} vs ${n(exactlyOnce.to.cpuSecondsPerMillion)}); ${n(catchUpOf(group, EXACTLY_ONCE)?.internals?.batches)} transactions.`
    : '';
  const messages = group.messagesVsTable;
  const messagesLine = messages
    ? `${MESSAGES} / outbox-relay (table rows), OUTBOX_SOURCE=messages, the same relay on the same workload written as WAL messages into a database of its own, right after the table row in this run: events/s **${n(messages.eventsPerSecond, 2)}** (${n(messages.of.eventsPerSecond)} vs ${n(messages.to.eventsPerSecond)}), CPU s / M events **${n(messages.cpuSecondsPerMillion, 2)}** (${n(messages.of.cpuSecondsPerMillion)} vs ${n(messages.to.cpuSecondsPerMillion)}). Its MB/s counts the values as read back (the payload re-serialized without spaces, 3 B shorter).`
    : '';
  return [
    `### ${load.name}: ${n(load.events)} events, ${load.txSize}-event transactions, ~${load.payloadBytes} B payloads, ${n(load.aggregates)} aggregates${group.headline ? ' (headline)' : group.featured ? ' (headline table)' : ''}`,
    '',
    `Written in ${n(group.writeSeconds, 1)} s; ${n((group.payloadBytes ?? 0) / 1e6, 1)} MB of payload.`,
    '',
    table(
      [
        'system',
        'events/s',
        'MB/s',
        'events/s incl. start-up',
        'CPU s / M events',
        'peak RSS MB',
        'read back (distinct, dup, order)',
        'load avg start -> end',
        'outbox-relay / this',
      ],
      rows,
    ),
    '',
    `outbox-relay / min(ceilings) = **${n(ratio(ours?.eventsPerSecond, min), 2)}**` +
      (catchUpOf(group, POLLING_CATCH_UP)
        ? `; / polling 1 s = **${n(ratio(ours?.eventsPerSecond, catchUpOf(group, POLLING_CATCH_UP)?.eventsPerSecond), 2)}**`
        : '') +
      (catchUpOf(group, DEBEZIUM)
        ? `; / Debezium = **${n(ratio(ours?.eventsPerSecond, catchUpOf(group, DEBEZIUM)?.eventsPerSecond), 2)}**, RSS / Debezium's = **${n(ratio(ours?.peakRssMb, catchUpOf(group, DEBEZIUM)?.peakRssMb), 2)}**`
        : ''),
    '',
    ...(sinksLine ? [sinksLine, ''] : []),
    ...(messagesLine ? [messagesLine, ''] : []),
    ...(exactlyOnceLine ? [exactlyOnceLine, ''] : []),
    ...(rounds ? [rounds, ''] : []),
    ...(batches ? [batches, ''] : []),
    ...(avroLine ? [avroLine, ''] : []),
  ].join('\n');
}

function latencyRow(result: LatencyResult | { system?: string; error: string }): string[] {
  if (failed(result))
    return [
      result.system ?? '?',
      `failed: ${result.error.split('\n')[0]?.slice(0, 200)}`,
      '',
      '',
      '',
      '',
      '',
      '',
    ];
  const ack = result.ackHistogram
    ? `${n(result.ackHistogram.p50, 1)} / ${n(result.ackHistogram.p95, 1)} / ${n(result.ackHistogram.p99, 1)} / - (/metrics, interpolated; ${n(result.ackHistogram.shareUnder50ms * 100, 2)} % <= 50 ms)`
    : result.ack
      ? `${n(result.ack.p50, 1)} / ${n(result.ack.p95, 1)} / ${n(result.ack.p99, 1)} / ${n(result.ack.max, 1)}`
      : 'n/a';
  const e2e = result.endToEnd
    ? `${n(result.endToEnd.p50)} / ${n(result.endToEnd.p95)} / ${n(result.endToEnd.p99)} / ${n(result.endToEnd.max)}`
    : 'n/a';
  return [
    result.system === RELAY ? `**${RELAY}**` : result.system,
    `${n(result.achievedRate)}${result.lateTransactions > 0 ? ` (${result.lateTransactions} tx late)` : ''}`,
    ack,
    e2e,
    `${n(result.delivered * 100, 1)} %`,
    n(result.cpuSecondsPerMillion),
    n(result.peakRssMb),
    loadCell(result),
  ];
}

function latencySection(group: LatencyGroup): string {
  const relay = latencyOf(group, RELAY);
  const polling = latencyOf(group, POLLING_LATENCY);
  return [
    `### ${n(group.rate)} events/s`,
    '',
    table(
      [
        'system',
        'achieved events/s',
        'commit -> ack ms p50 / p95 / p99 / max',
        'commit -> consumer ms p50 / p95 / p99 / max',
        'delivered',
        'CPU s / M events',
        'peak RSS MB',
        'load avg start -> end',
      ],
      group.results.map(latencyRow),
    ),
    '',
    `outbox-relay p99 / polling 100 ms p99 (commit -> consumer) = **${n(ratio(consumerP99(relay), consumerP99(polling)), 3)}**`,
    '',
  ].join('\n');
}

export function renderMarkdown(results: BenchResults, charts: string[]): string {
  const m = results.machine;
  const lines = [
    `# outbox-relay benchmark, ${results.date} (${results.mode})`,
    '',
    `Run \`${results.runId}\` (\`npm run bench${results.args.length ? ` -- ${results.args.join(' ')}` : ''}\`), ${results.durationSeconds} s. Every number below was measured in this run, on this machine's PostgreSQL and Kafka. How to read them: [bench/README.md](../README.md).`,
    '',
    table(
      ['machine', ''],
      [
        ['CPU', `${m.nproc} x ${m.cpuModel}`],
        ['memory', `${m.memoryGiB} GiB`],
        ['load average at start', m.loadAverageAtStart.join(' ')],
        ['PostgreSQL', m.postgres.split(' on ')[0] ?? m.postgres],
        ['Kafka', m.kafka],
        ['Node.js', m.node],
        ['Java (ProducerPerformance)', m.java],
        [
          'Debezium Server',
          results.debezium.available
            ? `${results.debezium.version ?? '?'} (${results.debezium.heap})`
            : `not run: ${results.debezium.reason}`,
        ],
        ...(results.avro
          ? [
              [
                'Schema registry (Avro row)',
                results.avro.registryUrl ?? `not available: ${results.avro.reason}`,
              ],
            ]
          : []),
        ['git commit', `${m.gitCommit}${m.gitDirty ? ' (tree had uncommitted changes)' : ''}`],
      ],
    ),
    '',
  ];
  if (results.notes.length > 0) {
    lines.push('## Notes', '', ...results.notes.map((note) => `- ${note}`), '');
  }
  const goals = targets(results);
  if (goals.length > 0) {
    lines.push(
      '## Targets',
      '',
      table(
        ['target', 'measured', ''],
        goals.map((goal) => [
          goal.target,
          goal.measured,
          goal.met === null ? 'n/a' : goal.met ? 'met' : '**not met**',
        ]),
      ),
      '',
    );
  }
  // A run with --only skips whole workloads: they measured nothing and get no section.
  const measured = results.catchUp.filter(
    (group) => group.results.length > 0 || group.decode || group.producer,
  );
  if (measured.length > 0) {
    lines.push(
      '## Catch-up throughput',
      '',
      'Events committed before the reader starts; the rate is from the first to the last broker-acknowledged record (topic end offsets polled every 50 ms); "incl. start-up" counts from process start. CPU is user + system time of the process between those two moments.',
      '',
      ...measured.map(catchUpSection),
    );
  }
  if (results.latency.length > 0) {
    const plan = results.plan.latency;
    lines.push(
      '## Steady-state latency',
      '',
      `A writer commits ${plan.txSize}-event transactions (~${plan.payloadBytes} B payloads, ${n(plan.aggregates)} aggregates) at a fixed rate for ${plan.seconds} s; the first ${plan.warmupMs / 1000} s are warm-up and not counted. ` +
        "commit -> ack: for outbox-relay from its own `outbox_end_to_end_latency_seconds` histogram on /metrics (quantiles interpolated inside the buckets 10, 25, 50, 100 ms ...); for the polling worker from its own per-event clock (ack time - created_at). commit -> consumer: an independent kafkajs consumer's receive time minus the record timestamp (the commit time for outbox-relay with OUTBOX_COLUMN_TIMESTAMP='', created_at for the polling worker).",
      '',
      ...results.latency.map(latencySection),
    );
  }
  if (charts.length > 0) {
    lines.push('## Charts', '', ...charts.map((chart) => `![${chart}](${chart})`), '');
  }
  if (results.profile) {
    lines.push(
      '## CPU profile of a catch-up',
      '',
      table(
        ['self %', 'self ms', 'function', 'where'],
        results.profile.top.map((entry) => [
          n(entry.selfPercent, 1),
          n(entry.selfMs),
          `\`${entry.functionName}\``,
          entry.location,
        ]),
      ),
      '',
      table(
        ['area (where the code is)', 'self %'],
        results.profile.byArea.slice(0, 15).map((entry) => [entry.area, n(entry.selfPercent, 1)]),
      ),
      '',
      table(
        ['area (node internals charged to their caller)', 'self %'],
        results.profile.byCaller.slice(0, 15).map((entry) => [entry.area, n(entry.selfPercent, 1)]),
      ),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

export type { CatchUpResult };
