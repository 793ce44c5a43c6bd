import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SplitBrainError } from '../../src/errors.js';
import { resolvePrimary } from '../../src/replication/primary.js';
import { freePort } from '../support/free-port.js';
import { OUTBOX_ENV } from '../support/outbox.js';
import { runRelayCommand } from '../support/relay-process.js';
import { type ScratchPostgres, startScratchPostgres } from '../support/scratch-postgres.js';
import { serviceUrls } from '../support/services.js';
import { primaryAndStandbyUrl } from '../support/standby-urls.js';

/**
 * Two writable hosts whose histories cannot tell which is the primary: here two clusters of their
 * own (different system identifiers) in one DATABASE_URL. The relay must use neither, and say so.
 */
describe('split brain that timelines cannot decide', () => {
  let scratch: ScratchPostgres | undefined;
  let both = '';

  beforeAll(async () => {
    if (serviceUrls().kind !== 'local-stack') return;
    scratch = await startScratchPostgres({ walLevel: 'logical', port: await freePort() });
    // The database both clusters have: the stack's.
    both = primaryAndStandbyUrl(serviceUrls().databaseUrl, Number(new URL(scratch.url).port));
  });

  afterAll(async () => {
    await scratch?.stop();
  });

  it('names both hosts, why, and the fix; neither is streamed from', async (context) => {
    if (!scratch) return context.skip('needs the local stack (scratch clusters)');
    const first = new URL(serviceUrls().databaseUrl).host;
    const second = new URL(scratch.url).host;
    const error = await resolvePrimary(both).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SplitBrainError);
    expect((error as SplitBrainError).retriable).toBe(true);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^split brain: ${first}, ${second} accept writes, and which one is the primary cannot be told: they are different database clusters \\(${first} is system \\d+, ${second} is system \\d+\\)\\. ` +
          'The relay streams from none of them until one is left: shut down or fence the old primary',
      ),
    );
    const run = await runRelayCommand(
      ['run'],
      OUTBOX_ENV(both, serviceUrls().kafkaBrokers, 'split_undecided'),
    );
    expect(run.code).toBe(1);
    expect(run.output).toContain(`split brain: ${first}, ${second} accept writes`);
    expect(run.output).not.toContain('"msg":"streaming"');
    expect(run.output).not.toContain('outbox-secret');
  });
});
