import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Where `scripts/stack.sh` writes the local stack's settings. */
export const STACK_ENV = fileURLToPath(new URL('../../.stack/env', import.meta.url));

/** .stack/env (KEY=value lines), or undefined before the first `up`. */
export async function readStackEnv(): Promise<Record<string, string> | undefined> {
  const text = await readFile(STACK_ENV, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const entries = text.split('\n').flatMap((line) => {
    const at = line.indexOf('=');
    return at > 0 ? [[line.slice(0, at), line.slice(at + 1)] as const] : [];
  });
  return Object.fromEntries(entries);
}
