import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('../types/publish.fixture.ts', import.meta.url));
const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

/** For each line of the fixture, the `right*` or `wrong*` declaration it belongs to. */
function declarationsByLine(source: string): string[] {
  let current = '';
  return source.split('\n').map((line) => {
    current = /^export (?:const|async function) ((?:right|wrong)\w+)/.exec(line)?.[1] ?? current;
    return current;
  });
}

describe('the publish API’s types', () => {
  it('make a payload that does not match its declared event type a compile error, and nothing else', async () => {
    const source = readFileSync(FIXTURE, 'utf8');
    const owners = declarationsByLine(source);
    const args = [
      TSC,
      '--noEmit',
      '--strict',
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--skipLibCheck',
      FIXTURE,
    ];
    const { stdout } = await promisify(execFile)(process.execPath, args).then(
      () => ({ stdout: '' }),
      (error: { stdout: string }) => error,
    );
    const failing = new Set(
      [...stdout.matchAll(/publish\.fixture\.ts\((\d+),\d+\): error TS\d+/g)].map(
        (match) => owners[Number(match[1]) - 1],
      ),
    );
    const wrong = [...new Set(owners.filter((name) => name.startsWith('wrong')))];
    expect(wrong).toHaveLength(6);
    expect([...failing].sort(), stdout).toEqual(wrong.sort());
  }, 60_000);
});
