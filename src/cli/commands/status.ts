import type { RelayConfig } from '../../config/relay-config.js';
import { formatFindings } from '../../replication/failover.js';
import type { StatusReport } from '../../replication/slot-status.js';

/**
 * The relay's own view, from its /status: lag in seconds needs the events in flight, which only
 * the relay holds. The error when no relay answered.
 */
export type RelayAnswer =
  | {
      readonly state: string;
      readonly oldestPendingAgeSeconds: number;
      readonly lastConfirmedCommitAt: string | null;
    }
  | { readonly url: string; readonly error: string };

/** The status command's report with the relay's answer, as the relay's /status gives it. */
export interface StatusWithRelay extends StatusReport {
  readonly relay?: RelayAnswer;
}

const RELAY_TIMEOUT_MS = 2_000;

/** Where the relay's /status is: --relay-url, or the relay's own port on this host; undefined when it serves none. */
export function relayStatusUrl(config: RelayConfig, given: string | undefined): string | undefined {
  if (given !== undefined) return given;
  return config.metricsPort > 0 ? `http://127.0.0.1:${config.metricsPort}/status` : undefined;
}

export async function askRelay(url: string): Promise<RelayAnswer> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(RELAY_TIMEOUT_MS) });
    const body = (await response.json()) as { relay?: RelayAnswer };
    if (!body.relay) return { url, error: `no relay view in its answer (HTTP ${response.status})` };
    return body.relay;
  } catch (error) {
    return {
      url,
      error:
        error instanceof Error
          ? ((error.cause as Error | undefined)?.message ?? error.message)
          : String(error),
    };
  }
}

export function formatStatus(report: StatusWithRelay): string {
  const streaming = report.active
    ? `yes (pid ${report.activePid}${report.streamingApplication ? `, ${report.streamingApplication}` : ''})`
    : 'no';
  const safe =
    report.safeWalSizeBytes === null
      ? 'unlimited (max_slot_wal_keep_size = -1)'
      : bytes(report.safeWalSizeBytes);
  return [
    `slot           ${report.slot} (${report.plugin}, database ${report.database})`,
    `streaming      ${streaming}`,
    `confirmed LSN  ${report.confirmedFlushLsn ?? 'none'}`,
    `current WAL    ${report.currentWalLsn}`,
    `lag            ${bytes(report.lagBytes)}`,
    `lag (seconds)  ${secondsBehind(report.relay)}`,
    `wal_status     ${report.walStatus ?? 'unknown'}`,
    `safe_wal_size  ${safe}`,
    'failover',
    ...formatFindings(report.failover).map((line) => `  ${line}`),
  ].join('\n');
}

function secondsBehind(relay: RelayAnswer | undefined): string {
  if (relay === undefined)
    return 'unknown: the relay serves no /status here (OUTBOX_METRICS_PORT=0); --relay-url names it';
  if ('error' in relay)
    return `unknown: no answer from ${relay.url} (${relay.error}); --relay-url names the relay's /status`;
  const confirmed = relay.lastConfirmedCommitAt ?? 'none yet';
  return `${relay.oldestPendingAgeSeconds.toFixed(1)} s (oldest unacknowledged event; relay ${relay.state}, last confirmed commit ${confirmed})`;
}

function bytes(count: number): string {
  if (count < 1024) return `${count} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]} (${count} bytes)`;
}
