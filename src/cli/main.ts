#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { scrubSecrets, secretValues } from '../config/redact.js';
import { type RelayConfig, readsTable } from '../config/relay-config.js';
import { ConfigError, errorMessage, SetupError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import { layoutFromConfig } from '../outbox/layout.js';
import { formatFindings } from '../replication/failover.js';
import { connectPostgres } from '../replication/postgres-client.js';
import { slotStatus } from '../replication/slot-status.js';
import { initialize } from '../setup/initialize.js';
import { createKafka } from '../sinks/kafka/kafkajs/client.js';
import { type CliArgs, parseArgs } from './args.js';
import { compareTopics, comparisonPassed, formatComparison } from './commands/compare.js';
import { replay } from './commands/replay.js';
import { runUntilSignalled } from './commands/run.js';
import { askRelay, formatStatus, relayStatusUrl } from './commands/status.js';
import { usage } from './help.js';
import { CliOutput } from './output.js';

const EXIT_FAILED = 1;
const EXIT_CONFIG = 2;

async function main(argv: readonly string[], output: CliOutput): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === 'help') {
    output.line(usage());
    return 0;
  }
  if (args.command === 'version') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    output.line(pkg.version);
    return 0;
  }
  const env = args.register ? { ...process.env, OUTBOX_AVRO_REGISTER: 'true' } : process.env;
  if (args.command === 'compare') {
    // compare reads Kafka only: no database is needed.
    const kafkaOnly = { DATABASE_URL: 'postgres://unused@localhost/unused', ...env };
    const config = loadConfig({ env: kafkaOnly, file: args.configFile });
    output.protect(config);
    return compare(config, args, output);
  }
  const config = loadConfig({ env, file: args.configFile });
  output.protect(config);
  switch (args.command) {
    case 'init':
      return init(config, args, output);
    case 'status':
      return status(config, args, output);
    case 'replay':
      return replay(config, args.replay, args.json, output);
    case 'run': {
      const logger = createLogger({
        level: config.logLevel,
        pretty: args.pretty || config.logPretty,
        secrets: secretValues(config),
      });
      return runUntilSignalled(config, logger);
    }
  }
}

async function init(config: RelayConfig, args: CliArgs, output: CliOutput): Promise<number> {
  const client = await connectPostgres(config.databaseUrl, 'outbox-relay init');
  try {
    const report = await initialize(client, config, layoutFromConfig(config), {
      createTable: args.createTable,
      partitioned: args.partitioned,
    });
    const done = (created: boolean, what: string) =>
      output.line(`${created ? 'created' : 'exists '}  ${what}`);
    output.line(`database ${scrubSecrets(config.databaseUrl)}`);
    if (!readsTable(config)) {
      output.line(
        `no table: events come as WAL messages with prefix '${config.messagePrefix}' (OUTBOX_SOURCE=messages)`,
      );
      done(report.createdPublication, `publication ${config.publication} (empty: pgoutput needs one)`);
    } else {
      done(report.createdTable, `table ${config.table}`);
      done(report.createdPublication, `publication ${config.publication} (inserts only)`);
    }
    if (report.addedTableToPublication)
      output.line(`added    ${config.table} to publication ${config.publication}`);
    const failover = {
      on: ', failover',
      'turned-on': ', failover: turned on now',
      off: ', not a failover slot (OUTBOX_FAILOVER_SLOT=false)',
      unavailable: '',
    }[report.slotFailover];
    done(report.createdSlot, `replication slot ${config.slot} (pgoutput${failover})`);
    output.line('failover:');
    for (const line of formatFindings(report.failover)) output.line(`  ${line}`);
    if (report.existingRows > 0 && report.createdSlot) {
      const replay = config.timestampColumn
        ? `outbox-relay replay --until ${report.countedAt.toISOString()}`
        : 'outbox-relay replay --all --order-by <a NOT NULL column in insert order>';
      output.line(
        `note: ${report.existingRows} rows already in ${config.table} are not streamed (the slot starts now); ` +
          `\`${replay}\` publishes them (docs/replay.md).`,
      );
    }
    return 0;
  } finally {
    await client.end();
  }
}

async function compare(config: RelayConfig, args: CliArgs, output: CliOutput): Promise<number> {
  const [expected = '', actual = ''] = args.topics;
  const logger = createLogger({ level: 'warn', pretty: false, secrets: secretValues(config) });
  const report = await compareTopics(createKafka(config, logger), expected, actual);
  output.line(args.json ? JSON.stringify(report, null, 2) : formatComparison(report, expected, actual));
  return comparisonPassed(report) ? 0 : EXIT_FAILED;
}

async function status(config: RelayConfig, args: CliArgs, output: CliOutput): Promise<number> {
  const client = await connectPostgres(config.databaseUrl, 'outbox-relay status');
  try {
    const url = relayStatusUrl(config, args.relayUrl);
    const report = { ...(await slotStatus(client, config)), ...(url ? { relay: await askRelay(url) } : {}) };
    output.line(args.json ? JSON.stringify(report, null, 2) : formatStatus(report));
    return 0;
  } finally {
    await client.end();
  }
}

const cliOutput = new CliOutput(process.env);
main(process.argv.slice(2), cliOutput).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const setup = error instanceof ConfigError || error instanceof SetupError;
    cliOutput.error(`outbox-relay: ${errorMessage(error)}`);
    process.exitCode = setup ? EXIT_CONFIG : EXIT_FAILED;
  },
);
