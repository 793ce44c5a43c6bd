/** Reports a run of acknowledged events that share a topic and a commit time. */
export type AcknowledgedRun = (topic: string, events: number, commitTimeMs: number) => void;

/**
 * Coalesces per-event acknowledgements into runs of one topic and one commit time (a
 * transaction's events usually arrive together), reported when the run changes and once the
 * current turn of the event loop is over. Whoever observes acknowledgements then pays per run,
 * not per event. An immediate rather than a microtask: a native client's delivery reports each
 * run the microtask queue, and they must land in one run.
 */
export class AcknowledgementTally {
  private topic = '';
  private commitTimeMs = 0;
  private events = 0;
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly report: AcknowledgedRun) {}

  add(topic: string, commitTimeMs: number): void {
    if (this.events > 0 && (topic !== this.topic || commitTimeMs !== this.commitTimeMs)) this.flush();
    this.topic = topic;
    this.commitTimeMs = commitTimeMs;
    this.events++;
    this.scheduled ??= setImmediate(this.flushLater);
  }

  /** Reports the current run now (before a shutdown, say). */
  flush(): void {
    if (this.events === 0) return;
    const events = this.events;
    this.events = 0;
    this.report(this.topic, events, this.commitTimeMs);
  }

  private readonly flushLater = (): void => {
    this.scheduled = undefined;
    this.flush();
  };
}
