import { ConfigError } from '../errors.js';

export const COMMANDS = ['init', 'run', 'status'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliArgs {
  readonly command: Command | 'help' | 'version';
  readonly configFile: string | undefined;
  readonly createTable: boolean;
  readonly json: boolean;
  readonly pretty: boolean;
  /** `run --register`: the same as OUTBOX_AVRO_REGISTER=true. */
  readonly register: boolean;
}

const FLAGS = new Set(['--create-table', '--json', '--pretty', '--register', '--help', '-h', '--version']);

export function parseArgs(argv: readonly string[]): CliArgs {
  let command: CliArgs['command'] | undefined;
  let configFile: string | undefined;
  const flags = new Set<string>();
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
    } else {
      throw new ConfigError(
        arg,
        `unknown ${arg.startsWith('-') ? 'option' : 'command'}; see \`outbox-relay --help\``,
      );
    }
  }
  if (flags.has('--help') || flags.has('-h')) command = 'help';
  else if (flags.has('--version')) command = 'version';
  return {
    command: command ?? 'help',
    configFile,
    createTable: flags.has('--create-table'),
    json: flags.has('--json'),
    pretty: flags.has('--pretty'),
    register: flags.has('--register'),
  };
}
