import type { Logger } from 'pino';
import { createLogger, type LoggerOptions } from '../../src/observability/logger.js';

export interface CollectedLogs {
  readonly logger: Logger;
  /** Every line written so far, as written. */
  readonly raw: string[];
  /** Every line, parsed. */
  entries(): Array<Record<string, unknown>>;
}

/** The relay's logger writing into memory, so tests can read what would reach stdout. */
export function collectLogs(options: Partial<LoggerOptions> = {}): CollectedLogs {
  const raw: string[] = [];
  const logger = createLogger({
    level: 'trace',
    pretty: false,
    ...options,
    destination: { write: (line: string) => void raw.push(line) },
  });
  return {
    logger,
    raw,
    entries: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
