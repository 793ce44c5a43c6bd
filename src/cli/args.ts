import { ConfigError } from '../errors.js';
import type { ReplayOptions } from '../replay/replay.js';

export const COMMANDS = ['init', 'run', 'status', 'compare', 'replay'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliArgs {
  readonly command: Command | 'help' | 'version';
  readonly configFile: string | undefined;
  readonly createTable: boolean;
  /** `init --create-table --partitioned`: the outbox partitioned by its timestamp column. */
  readonly partitioned: boolean;
  readonly json: boolean;
  readonly pretty: boolean;
  /** `run --register`: the same as OUTBOX_AVRO_REGISTER=true. */
  readonly register: boolean;
  /** The operands of `compare`: the expected topic, then the actual one. */
  readonly topics: readonly string[];
  readonly replay: ReplayOptions;
  /** `status --relay-url`: the relay's /status, for its lag in seconds. */
  readonly relayUrl: string | undefined;
}

/** Options that take a value, and the command each belongs to; the repeatable ones may be given more than once. */
const VALUE_OPTIONS = new Map<string, Command>([
  ['--since', 'replay'],
  ['--until', 'replay'],
  ['--from-id', 'replay'],
  ['--to-id', 'replay'],
  ['--aggregate-type', 'replay'],
  ['--aggregate-id', 'replay'],
  ['--order-by', 'replay'],
  ['--rate', 'replay'],
  ['--relay-url', 'status'],
]);
const REPEATABLE = new Set(['--aggregate-type', '--aggregate-id']);
const REPLAY_FLAGS = new Set(['--all', '--dry-run', '--restart']);

const FLAGS = new Set([
  '--create-table',
  '--partitioned',
  '--json',
  '--pretty',
  '--register',
  '--help',
  '-h',
  '--version',
  ...REPLAY_FLAGS,
]);

export function parseArgs(argv: readonly string[]): CliArgs {
  let command: CliArgs['command'] | undefined;
  let configFile: string | undefined;
  const flags = new Set<string>();
  const topics: string[] = [];
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [name = '', inline] = arg.startsWith('--') ? splitOption(arg) : [arg, undefined];
    if (VALUE_OPTIONS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') throw new ConfigError(name, 'needs a value');
      const given = values.get(name) ?? [];
      if (given.length > 0 && !REPEATABLE.has(name)) throw new ConfigError(name, 'is given twice');
      values.set(name, [...given, value]);
    } else if (arg === '--config') {
      configFile = argv[++i];
      if (!configFile) throw new ConfigError('--config', 'needs a file path');
    } else if (arg.startsWith('--config=')) {
      configFile = arg.slice('--config='.length);
    } else if (FLAGS.has(arg)) {
      flags.add(arg);
    } else if (
      !arg.startsWith('-') &&
      command === undefined &&
      (COMMANDS as readonly string[]).includes(arg)
    ) {
      command = arg as Command;
    } else if (command === 'compare' && !arg.startsWith('-') && topics.length < 2) {
      topics.push(arg);
    } else {
      throw new ConfigError(
        arg,
        `unknown ${arg.startsWith('-') ? 'option' : 'command'}; see \`outbox-relay --help\``,
      );
    }
  }
  if (command === 'compare' && topics.length < 2) {
    throw new ConfigError(
      'compare',
      'needs two topics: outbox-relay compare <expected-topic> <actual-topic>',
    );
  }
  const owned = [
    ...[...values.keys()].map((option) => [option, VALUE_OPTIONS.get(option)] as const),
    ...[...flags].filter((flag) => REPLAY_FLAGS.has(flag)).map((flag) => [flag, 'replay'] as const),
  ];
  for (const [option, owner] of owned) {
    if (owner !== command) throw new ConfigError(option, `is an option of \`outbox-relay ${owner}\``);
  }
  if (flags.has('--partitioned') && !flags.has('--create-table')) {
    throw new ConfigError('--partitioned', 'goes with --create-table: init --create-table --partitioned');
  }
  if (flags.has('--help') || flags.has('-h')) command = 'help';
  else if (flags.has('--version')) command = 'version';
  return {
    command: command ?? 'help',
    configFile,
    createTable: flags.has('--create-table'),
    partitioned: flags.has('--partitioned'),
    json: flags.has('--json'),
    pretty: flags.has('--pretty'),
    register: flags.has('--register'),
    topics,
    replay: replayArgs(values, flags),
    relayUrl: values.get('--relay-url')?.[0],
  };
}

function splitOption(arg: string): [string, string | undefined] {
  const at = arg.indexOf('=');
  return at < 0 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
}

function replayArgs(values: ReadonlyMap<string, string[]>, flags: ReadonlySet<string>): ReplayOptions {
  const one = (name: string) => values.get(name)?.[0];
  const rateText = one('--rate');
  const rate = rateText === undefined ? undefined : Number(rateText);
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
    throw new ConfigError('--rate', `expected events per second above 0, got "${rateText}"`);
  }
  return {
    selection: {
      since: one('--since'),
      until: one('--until'),
      fromId: one('--from-id'),
      toId: one('--to-id'),
      aggregateTypes: values.get('--aggregate-type') ?? [],
      aggregateIds: values.get('--aggregate-id') ?? [],
      orderBy: one('--order-by'),
      all: flags.has('--all'),
    },
    rate,
    dryRun: flags.has('--dry-run'),
    restart: flags.has('--restart'),
  };
}
