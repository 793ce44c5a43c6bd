import { environmentSettings, secretScrubber, secretValues } from '../config/redact.js';
import type { RelayConfig } from '../config/relay-config.js';

/**
 * The CLI's stdout and stderr: everything a command prints goes through here, scrubbed of the
 * secrets of the environment, then of the loaded configuration (a config file's included).
 */
export class CliOutput {
  private scrub: (text: string) => string;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.scrub = secretScrubber(secretValues(environmentSettings(env), env));
  }

  /** The loaded configuration's secrets, from now on. */
  protect(config: RelayConfig): void {
    this.scrub = secretScrubber(secretValues(config, this.env));
  }

  /** A line on stdout. */
  line(text: string): void {
    process.stdout.write(`${this.scrub(text)}\n`);
  }

  /** A line on stderr. */
  error(text: string): void {
    this.stderr(`${text}\n`);
  }

  /** Text on stderr as it is (a progress bar redrawn in place). */
  stderr(text: string): void {
    process.stderr.write(this.scrub(text));
  }
}
