import { formatLsn, type Lsn, lsnDistance } from './lsn.js';
import type { TimelineFork } from './timeline-history.js';

/** A server's place in WAL history, as IDENTIFY_SYSTEM and TIMELINE_HISTORY give it. */
export interface ServerTimeline {
  readonly systemId: string;
  readonly timeline: number;
  /** The server's current WAL position (flush position) on its timeline. */
  readonly position: Lsn;
  /** Its timeline's ancestors, oldest first; empty on timeline 1. */
  readonly history: readonly TimelineFork[];
}

/** A host of DATABASE_URL that is not in recovery: its timeline, or why it could not be read. */
export interface WritableHost {
  /** host:port, for messages. */
  readonly host: string;
  readonly timeline: ServerTimeline | { readonly unreadable: string };
}

/** Of several writable hosts: the real primary and what each other one is, or why no one can be trusted. */
export type PrimaryChoice<H extends WritableHost> =
  | { readonly primary: H; readonly stale: readonly StaleHost[] }
  | { readonly undecided: string };

export interface StaleHost {
  readonly host: string;
  readonly timeline: number;
  /** The primary's timeline, which forked from this host's. */
  readonly primaryTimeline: number;
  /** Where the primary's history left this host's timeline. */
  readonly forkLsn: Lsn;
  /** WAL this host wrote past the fork: what the primary does not have. */
  readonly bytesPastFork: number;
}

/**
 * Of two or more writable hosts (split brain: an old primary running beside the standby promoted in
 * its place), the one whose history contains every other's timeline: it was promoted from them, so
 * they are the past. Same timeline, different clusters, or histories that forked apart cannot be
 * told apart: undecided, and the caller streams from none.
 */
export function choosePrimary<H extends WritableHost>(hosts: readonly H[]): PrimaryChoice<H> {
  const readable: { host: string; timeline: ServerTimeline }[] = [];
  for (const { host, timeline } of hosts) {
    if ('unreadable' in timeline)
      return { undecided: `cannot read the timeline of ${host}: ${timeline.unreadable}` };
    readable.push({ host, timeline });
  }
  const systems = new Set(readable.map(({ timeline }) => timeline.systemId));
  if (systems.size > 1) {
    return {
      undecided: `they are different database clusters (${readable.map(({ host, timeline }) => `${host} is system ${timeline.systemId}`).join(', ')})`,
    };
  }
  const newest = readable.find((candidate) =>
    readable.every((other) => other === candidate || descends(candidate.timeline, other.timeline)),
  );
  if (!newest) {
    const where = readable.map(({ host, timeline }) => `${host} on timeline ${timeline.timeline}`).join(', ');
    return {
      undecided: `no one's history contains the others' (${where}): two servers promoted from one history, or a copy of the data directory started as a second server`,
    };
  }
  return {
    // Every host is readable here: the indices are the same.
    primary: hosts[readable.indexOf(newest)] as H,
    stale: readable
      .filter((other) => other !== newest)
      .map(({ host, timeline }) => {
        const forkLsn = forkOf(newest.timeline, timeline.timeline) as Lsn;
        return {
          host,
          timeline: timeline.timeline,
          primaryTimeline: newest.timeline.timeline,
          forkLsn,
          bytesPastFork: lsnDistance(timeline.position, forkLsn),
        };
      }),
  };
}

/** The operator's line for a stale host: what it is, what it has that the primary lacks, what to do. */
export function describeStale(primary: string, stale: StaleHost): string {
  const past =
    stale.bytesPastFork > 0
      ? `; ${stale.host} wrote ${stale.bytesPastFork} bytes of WAL past that point, which ${primary} does not have (events committed there after the promotion are not on the primary)`
      : '';
  return (
    `split brain: ${stale.host} is writable but is not the primary: ${primary}'s timeline ${stale.primaryTimeline} ` +
    `forked from its timeline ${stale.timeline} at ${formatLsn(stale.forkLsn)}${past}. Streaming from ${primary} only; ` +
    `shut down or fence ${stale.host}, and rebuild it as a standby of ${primary} (pg_rewind) before it comes back`
  );
}

/** `descendant` was promoted, directly or not, from `ancestor`'s timeline, along the same history. */
function descends(descendant: ServerTimeline, ancestor: ServerTimeline): boolean {
  if (descendant.timeline <= ancestor.timeline) return false;
  if (forkOf(descendant, ancestor.timeline) === undefined) return false;
  // The ancestor's own ancestry must be the same forks: else two histories merely share timeline numbers.
  return ancestor.history.every((fork) => forkOf(descendant, fork.timeline) === fork.forkLsn);
}

function forkOf(server: ServerTimeline, timeline: number): Lsn | undefined {
  return server.history.find((fork) => fork.timeline === timeline)?.forkLsn;
}
