import pino from 'pino';
import { secretValues } from '../../config/redact.js';
import type { RelayConfig } from '../../config/relay-config.js';
import { EXIT_INTERRUPTED, onStopSignals } from '../../lifecycle/stop-signals.js';
import { createLogger } from '../../observability/logger.js';
import { type ProgressSnapshot, progressBar, progressLine } from '../../replay/progress.js';
import { type ReplayOptions, type ReplayOutcome, replay as runReplay } from '../../replay/replay.js';
import { describeSelection } from '../../replay/selection.js';
import type { CliOutput } from '../output.js';

/** How progress is shown: a bar redrawn on a terminal, or JSON lines for a collector or a script. */
interface ProgressOutput {
  readonly intervalMs: number;
  show(snapshot: ProgressSnapshot): void;
  end(phase: 'done' | 'interrupted', snapshot: ProgressSnapshot): void;
  /** A line for a person (terminal), or a JSON object (otherwise). */
  note(text: string, fields: Record<string, unknown>): void;
}

/**
 * `outbox-relay replay`: the replay library (src/replay/replay.ts) with progress output, and
 * SIGINT/SIGTERM as its interruption (a second one exits at once, the position as last saved).
 */
export async function replay(
  config: RelayConfig,
  options: ReplayOptions,
  json: boolean,
  cli: CliOutput,
): Promise<number> {
  const output = progressOutput(json, cli);
  const logger = createLogger({
    level: 'warn',
    pretty: false,
    destination: pino.destination(2),
    secrets: secretValues(config),
  });
  const interrupt = new AbortController();
  const removeSignalHandlers = onStopSignals(() => interrupt.abort());
  let ticker: NodeJS.Timeout | undefined;
  try {
    const outcome = await runReplay(config, options, logger, interrupt.signal, (start) => {
      output.note(
        `replaying ${start.events} events (${describeSelection(start.selection)})${start.resuming ? `, resuming after ${start.orderBy} ${start.resumeAfter ?? '(start)'}` : ''}`,
        { replay: 'start', selection: start.selection, events: start.events, resumeAfter: start.resumeAfter },
      );
      ticker = setInterval(() => output.show(start.meter.snapshot()), output.intervalMs);
    });
    clearInterval(ticker);
    return report(outcome, output);
  } finally {
    clearInterval(ticker);
    removeSignalHandlers();
    logger.flush();
  }
}

/** Says how the replay ended; the exit code. */
function report(outcome: ReplayOutcome, output: ProgressOutput): number {
  switch (outcome.kind) {
    case 'finished-before':
      output.note(
        `this replay finished at ${outcome.completedAt.toISOString()} (${outcome.sent} events); --restart replays it again`,
        { replay: 'finished-before', completedAt: outcome.completedAt.toISOString(), sent: outcome.sent },
      );
      return 0;
    case 'dry-run': {
      const topics = [...outcome.count.topics].sort(([a], [b]) => a.localeCompare(b));
      const poison = [...outcome.count.poison];
      output.note(
        [
          `dry run: would send ${outcome.count.events} events (${describeSelection(outcome.selection)})`,
          ...topics.map(([topic, events]) => `  ${topic}: ${events}`),
          ...poison.map(
            ([reason, rows]) => `  ${rows} rows cannot be published (${reason}): OUTBOX_ON_POISON decides`,
          ),
        ].join('\n'),
        {
          replay: 'dry-run',
          events: outcome.count.events,
          topics: Object.fromEntries(topics),
          poison: Object.fromEntries(poison),
        },
      );
      return 0;
    }
    case 'done':
      output.end('done', outcome.snapshot);
      return 0;
    case 'interrupted':
      output.end('interrupted', outcome.snapshot);
      output.note('interrupted: run the same command again to resume', {
        replay: 'resume-hint',
        position: outcome.position,
      });
      return EXIT_INTERRUPTED;
  }
}

function progressOutput(json: boolean, cli: CliOutput): ProgressOutput {
  if (!json && process.stderr.isTTY) {
    const redraw = (line: string) => cli.stderr(`\r\x1b[2K${line}`);
    return {
      intervalMs: 250,
      show: (snapshot) => redraw(progressBar(snapshot)),
      end: (phase, snapshot) => {
        redraw(progressBar(snapshot));
        cli.stderr(`\n${phase === 'done' ? 'done' : 'interrupted'}: ${snapshot.sent} events sent\n`);
      },
      note: (text) => cli.error(text),
    };
  }
  return {
    intervalMs: 1_000,
    show: (snapshot) => cli.line(progressLine('progress', snapshot)),
    end: (phase, snapshot) => cli.line(progressLine(phase, snapshot)),
    note: (_text, fields) => cli.line(JSON.stringify(fields)),
  };
}
