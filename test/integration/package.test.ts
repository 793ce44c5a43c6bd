import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const run = promisify(execFile);

/** The application a user writes against the installed package: typed events, the pg adapter. */
const APP = `import { DEFAULT_LAYOUT, numbered } from 'outbox-relay/client';
import { pgOutbox } from 'outbox-relay/client/pg';

type Events = { OrderPlaced: { total: number } };
const outbox = pgOutbox<Events>({ layout: DEFAULT_LAYOUT });
const statement = outbox.statement({ aggregateType: 'order', aggregateId: 'o-1', eventType: 'OrderPlaced', payload: { total: 5 } });
console.log(numbered(statement));
`;

/**
 * The package as users install it: `npm pack` (prepack builds dist/), the tarball installed into
 * an empty project, its CLI run, and an ESM import of the client type-checked and run there.
 */
describe('the published package', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'outbox-relay-pack-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('installs from its tarball with a CLI, the client and their types', async () => {
    await run('npm', ['pack', '--pack-destination', scratch], { cwd: ROOT, timeout: 180_000 });
    const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const app = join(scratch, 'app');
    await run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // Without the native client's build (optional): the CLI and the client work without it.
    await run(
      'npm',
      ['install', '--omit=optional', '--no-audit', '--no-fund', join(scratch, tarball ?? '')],
      { cwd: app, timeout: 180_000 },
    );

    const help = await run(join(app, 'node_modules/.bin/outbox-relay'), ['--help'], { cwd: app });
    expect(help.stdout).toMatch(/Usage: outbox-relay <command>/);
    expect(help.stdout).toContain('OUTBOX_TABLE');

    writeFileSync(join(app, 'app.mts'), APP);
    const options = ['--strict', '--module', 'nodenext', '--target', 'es2022', '--outDir', 'out'];
    await run(process.execPath, [TSC, ...options, 'app.mts'], { cwd: app }).catch(
      (error: { stdout: string }) => {
        throw new Error(`tsc failed on the installed package's types:\n${error.stdout}`);
      },
    );
    const { stdout } = await run(process.execPath, [join(app, 'out/app.mjs')], { cwd: app });
    expect(stdout).toMatch(/^INSERT INTO "public"\."outbox" \("id", "aggregate_type"/);
  }, 300_000);
});
