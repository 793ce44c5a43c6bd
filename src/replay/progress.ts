/** Where a replay stands, as its progress output shows it. */
export interface ProgressSnapshot {
  /** Events Kafka has acknowledged, earlier runs of a resumed replay included. */
  readonly sent: number;
  /** Events the replay will have sent when done (sent + what the selection still holds). */
  readonly total: number;
  /** Events per second over the last few seconds. */
  readonly rate: number;
  /** Seconds left at that rate; undefined until there is a rate. */
  readonly etaSeconds: number | undefined;
  readonly elapsedSeconds: number;
}

/** The span the rate is measured over: short enough to follow a change of pace, long enough to be steady. */
const RATE_WINDOW_MS = 5_000;

/** Counts acknowledged events and measures their rate over a sliding window. */
export class ProgressMeter {
  private sent: number;
  private readonly startedMs: number;
  private readonly samples: { readonly atMs: number; readonly sent: number }[] = [];

  constructor(
    private readonly total: number,
    sentBefore: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sent = sentBefore;
    this.startedMs = now();
    this.samples.push({ atMs: this.startedMs, sent: sentBefore });
  }

  acknowledged(events: number): void {
    this.sent += events;
  }

  snapshot(): ProgressSnapshot {
    const atMs = this.now();
    this.samples.push({ atMs, sent: this.sent });
    while (this.samples.length > 2 && atMs - (this.samples[1]?.atMs ?? atMs) >= RATE_WINDOW_MS)
      this.samples.shift();
    const first = this.samples[0] ?? { atMs, sent: this.sent };
    const spanMs = atMs - first.atMs;
    const rate = spanMs > 0 ? ((this.sent - first.sent) * 1000) / spanMs : 0;
    const total = Math.max(this.total, this.sent);
    return {
      sent: this.sent,
      total,
      rate,
      etaSeconds: rate > 0 ? (total - this.sent) / rate : undefined,
      elapsedSeconds: (atMs - this.startedMs) / 1000,
    };
  }
}

const BAR_WIDTH = 24;
const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** One terminal line: `[██████░░░░] 41%  82,000/200,000 events  20,012/s  ETA 0:06`. */
export function progressBar(snapshot: ProgressSnapshot): string {
  const fraction = snapshot.total === 0 ? 1 : Math.min(1, snapshot.sent / snapshot.total);
  const filled = Math.round(fraction * BAR_WIDTH);
  const eta = snapshot.etaSeconds === undefined ? '--:--' : clock(snapshot.etaSeconds);
  return (
    `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${Math.floor(fraction * 100)}%  ` +
    `${count.format(snapshot.sent)}/${count.format(snapshot.total)} events  ` +
    `${count.format(snapshot.rate)}/s  ETA ${eta}`
  );
}

/** One JSON line for a log collector or a script: `{"replay":"progress","sent":82000,...}`. */
export function progressLine(phase: 'progress' | 'done' | 'interrupted', snapshot: ProgressSnapshot): string {
  return JSON.stringify({
    replay: phase,
    sent: snapshot.sent,
    total: snapshot.total,
    rate: Math.round(snapshot.rate),
    etaSeconds: snapshot.etaSeconds === undefined ? null : Math.ceil(snapshot.etaSeconds),
    elapsedSeconds: Math.round(snapshot.elapsedSeconds * 10) / 10,
  });
}

/** `m:ss`, or `h:mm:ss` past an hour. */
function clock(seconds: number): string {
  const whole = Math.ceil(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
