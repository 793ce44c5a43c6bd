import { ConfigError } from '../errors.js';

export const COMMANDS = ['init', 'run', 'status', 'compare'] as const;
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
}

const FLAGS = new Set([
  '--create-table',
  '--partitioned',
  '--json',
  '--pretty',
  '--register',
  '--help',
  '-h',
  '--version',
]);

export function parseArgs(argv: readonly string[]): CliArgs {
  let command: CliArgs['command'] | undefined;
  let configFile: string | undefined;
  const flags = new Set<string>();
  const topics: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--config') {
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
  };
}
