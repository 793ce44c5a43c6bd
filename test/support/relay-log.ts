import pino, { type Logger } from 'pino';
import { onTestFailed } from 'vitest';
import { LOG_LEVELS, type LogLevel } from '../../src/config/relay-config.js';
import { createLogger } from '../../src/observability/logger.js';

/** Of a relay's log kept in memory, the lines printed when its test fails. */
const LINES_KEPT = 300;

/**
 * The logger of a relay a test runs in-process. By default its lines at debug (state changes,
 * warnings, each retry's delay, the Kafka clients' connection errors) are kept in memory, the last
 * ones printed only if the test fails: a failure then shows what the relay saw. TEST_RELAY_LOG=<level>
 * writes every line at that level instead, to the file TEST_RELAY_LOG_FILE or else stderr; `silent`
 * keeps nothing. Must be called inside a test.
 *   TEST_RELAY_LOG=debug TEST_RELAY_LOG_FILE=/tmp/relay.log npx vitest run --project integration <file>
 */
export function testRelayLogger(test: string): Logger {
  const level = process.env.TEST_RELAY_LOG;
  if (level) {
    if (!isLogLevel(level))
      throw new Error(`TEST_RELAY_LOG=${level}: expected one of ${LOG_LEVELS.join(', ')}`);
    const file = process.env.TEST_RELAY_LOG_FILE;
    const destination = pino.destination(file ? { dest: file, append: true, mkdir: true, sync: true } : 2);
    return createLogger({ level, pretty: false, destination }).child({ test });
  }
  const recent = new RecentLines(LINES_KEPT);
  onTestFailed(() => {
    console.error(`--- the relay's last ${recent.size} log lines (${test}) ---\n${recent.text()}--- end ---`);
  });
  return createLogger({ level: 'debug', pretty: false, destination: recent }).child({ test });
}

/** The last `capacity` lines written. */
class RecentLines {
  private readonly lines: string[] = [];

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.lines.length;
  }

  write(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
  }

  text(): string {
    return this.lines.join('');
  }
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}
