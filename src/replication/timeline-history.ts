import { type Lsn, parseLsn } from './lsn.js';

/**
 * Where a server's history came from: each line of a timeline history file names a parent timeline
 * and the WAL position at which the next timeline forked from it (a promotion, a point-in-time
 * recovery). A server on timeline 1 has none.
 */
export interface TimelineFork {
  readonly timeline: number;
  readonly forkLsn: Lsn;
}

/**
 * The content of `NNNNNNNN.history` (TIMELINE_HISTORY's answer), oldest parent first: lines of
 * `parent<TAB>X/Y<TAB>reason`; blank lines and `#` comments are skipped, as PostgreSQL does.
 */
export function parseTimelineHistory(content: string): TimelineFork[] {
  const forks: TimelineFork[] = [];
  for (const line of content.split('\n')) {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) continue;
    const [timeline = '', position = ''] = text.split(/\s+/);
    if (!/^\d+$/.test(timeline)) throw new TypeError(`not a timeline history line: "${text}"`);
    forks.push({ timeline: Number(timeline), forkLsn: parseLsn(position) });
  }
  return forks;
}
