import { beforeAll, describe, expect, it } from 'vitest';
import { useOutboxFixture } from '../support/relay-harness.js';
import { runRelayCommand } from '../support/relay-process.js';
import { startScratchPostgres } from '../support/scratch-postgres.js';

/** Each case: the relay exits non-zero, says what is wrong and how to fix it, confirms nothing. */
describe('bad input at start-up', () => {
  const outbox = useOutboxFixture('badinput');

  beforeAll(async () => {
    await outbox.writer.transaction(3, { aggregateType: 'bad' });
  });

  async function expectFailure(env: Record<string, string>, message: RegExp, args = ['run']) {
    const before = await outbox.fixture.confirmedFlushLsn();
    const { code, output } = await runRelayCommand(args, env);
    expect(code, output).not.toBe(0);
    expect(output).toMatch(message);
    expect(await outbox.fixture.confirmedFlushLsn()).toBe(before);
    return output;
  }

  it('wrong password: names the credentials, never prints the password', async () => {
    const url = new URL(outbox.fixture.databaseUrl);
    url.password = 'wrong-secret-value';
    const output = await expectFailure(
      { ...outbox.fixture.env, DATABASE_URL: url.toString() },
      /password authentication failed.*check the user and password in DATABASE_URL/,
    );
    expect(output).not.toContain('wrong-secret-value');
  });

  it('missing table: names the table and how to create it', async () => {
    await expectFailure(
      { ...outbox.fixture.env, OUTBOX_TABLE: 'public.no_such_outbox' },
      /no_such_outbox does not exist.*init --create-table/,
    );
  });

  it('missing slot: says to run init', async () => {
    await expectFailure(
      { ...outbox.fixture.env, OUTBOX_SLOT: 'no_such_slot' },
      /slot "no_such_slot" does not exist: run `outbox-relay init`/,
    );
  });

  it('unreachable broker: names KAFKA_BROKERS', async () => {
    await expectFailure(
      { ...outbox.fixture.env, KAFKA_BROKERS: '127.0.0.1:1' },
      /cannot reach Kafka at KAFKA_BROKERS=127\.0\.0\.1:1/,
    );
  });

  it('bad configuration: exit code 2 and the variable named', async () => {
    const { code, output } = await runRelayCommand(['run'], {
      ...outbox.fixture.env,
      OUTBOX_BATCH_MAX_EVENTS: 'lots',
    });
    expect(code).toBe(2);
    expect(output).toMatch(/OUTBOX_BATCH_MAX_EVENTS: expected a whole number/);
  });

  it('wal_level=replica: init and run both explain the setting to change', async () => {
    const scratch = await startScratchPostgres({ walLevel: 'replica', port: 54339 });
    try {
      const env = { ...outbox.fixture.env, DATABASE_URL: scratch.url };
      for (const args of [['init', '--create-table'], ['run']]) {
        const { code, output } = await runRelayCommand(args, env);
        expect(code).toBe(2);
        expect(output).toMatch(/wal_level=replica; logical replication needs wal_level=logical/);
      }
    } finally {
      await scratch.stop();
    }
  });
});
