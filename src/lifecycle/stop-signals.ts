/** The exit code of a process stopped by a second signal, or of an interrupted replay (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/**
 * The CLI's stop rule: the first SIGTERM/SIGINT asks for a graceful stop (`stop`); a second one
 * exits at once with EXIT_INTERRUPTED, after `beforeExit`. Nothing unacknowledged is confirmed
 * either way. Returns the function that removes the handlers.
 */
export function onStopSignals(
  stop: (signal: NodeJS.Signals) => void,
  beforeExit: (signal: NodeJS.Signals) => void = () => undefined,
): () => void {
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled++;
    if (signalled === 1) {
      stop(signal);
      return;
    }
    beforeExit(signal);
    process.exit(EXIT_INTERRUPTED);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
