import type { Logger } from 'pino';
import { splitHosts } from '../config/postgres-url.js';
import { scrubSecrets } from '../config/redact.js';
import { ReplicationError, SplitBrainError } from '../errors.js';
import { probeRole, readServerTimeline } from './host-probe.js';
import { choosePrimary, describeStale } from './split-brain.js';

/**
 * The URL of the host that is the primary now. A single-host URL is returned as it is (no probe);
 * of several hosts, each is asked `pg_is_in_recovery()`. One writable host: after a failover that
 * is the promoted standby. Several (split brain, an old primary running again beside the promoted
 * one): the one whose timeline history contains the others' (split-brain.ts); the others are
 * logged as errors when a logger is given. Writable hosts that cannot be told apart: a retriable
 * SplitBrainError naming them; none: a retriable ReplicationError naming each host's state, so
 * that the relay backs off and asks again.
 */
export async function resolvePrimary(databaseUrl: string, logger?: Logger): Promise<string> {
  const hosts = splitHosts(databaseUrl);
  if (hosts.length === 1) return databaseUrl;
  const roles = await Promise.all(hosts.map(probeRole));
  const writable = roles.filter((probe) => probe.role === 'primary');
  const [only] = writable;
  if (!only) {
    const seen = roles.map((probe) =>
      probe.role === 'unreachable'
        ? `${probe.host} did not answer (${probe.reason})`
        : `${probe.host} is a standby`,
    );
    throw new ReplicationError(
      `no primary among the hosts of DATABASE_URL: ${seen.join('; ')}`,
      undefined,
      true,
    );
  }
  if (writable.length === 1) return only.url;
  const timelines = await Promise.all(
    writable.map(async (probe) => ({
      ...probe,
      timeline: await readServerTimeline(probe.url).catch((error: Error) => ({
        unreadable: scrubSecrets(error.message),
      })),
    })),
  );
  const choice = choosePrimary(timelines);
  const names = writable.map((probe) => probe.host).join(', ');
  if ('undecided' in choice) {
    throw new SplitBrainError(
      `split brain: ${names} accept writes, and which one is the primary cannot be told: ${choice.undecided}. ` +
        'The relay streams from none of them until one is left: shut down or fence the old primary ' +
        '(or remove it from DATABASE_URL), then rebuild it as a standby of the new one (pg_rewind)',
    );
  }
  const { primary, stale } = choice;
  for (const host of stale) logger?.error(describeStale(primary.host, host));
  return primary.url;
}
