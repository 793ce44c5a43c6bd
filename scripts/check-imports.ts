/**
 * `npm run check:imports`: src/ is built in floors (docs/architecture.md): a room (a folder of
 * src/, or a file directly in it) imports only rooms on lower floors and its own files, and no
 * files import each other in a loop. Reads import specifiers as text, type-only imports
 * included: a type that runs upward is as wrong as a value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** From the top floor down; rooms on one floor must not import each other. */
const FLOORS: readonly (readonly string[])[] = [
  ['cli', 'index.ts'],
  ['relay', 'replay', 'compat', 'inbox'],
  ['pipeline'],
  ['observability'],
  ['relay-events.ts'],
  ['avro'],
  ['sinks'],
  ['setup'],
  ['outbox', 'checkpoint'],
  ['replication'],
  ['config'],
  ['client'],
  ['lifecycle', 'errors.ts', 'sql-quote.ts'],
];

const SRC = resolve(import.meta.dirname, '..', 'src');
const IMPORT = /(?:from\s+|import\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function roomOf(file: string): string {
  return relative(SRC, file).split('/')[0] as string;
}

const floorOf = new Map(FLOORS.flatMap((rooms, floor) => rooms.map((room) => [room, floor] as const)));
const files = sourceFiles(SRC);
const imports = new Map<string, string[]>();
const problems: string[] = [];

for (const file of files) {
  const targets: string[] = [];
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    targets.push(resolve(dirname(file), (spec as string).replace(/\.js$/, '.ts')));
  }
  imports.set(file, targets);
  const from = roomOf(file);
  if (!floorOf.has(from)) problems.push(`${relative(SRC, file)}: room "${from}" has no floor in FLOORS`);
  for (const target of targets) {
    const to = roomOf(target);
    if (from === to || !floorOf.has(from) || !floorOf.has(to)) continue;
    if ((floorOf.get(to) as number) <= (floorOf.get(from) as number)) {
      problems.push(
        `${relative(SRC, file)} imports ${relative(SRC, target)}: "${from}" may not import "${to}" (same or higher floor)`,
      );
    }
  }
}

/** Depth-first search for a loop of imports. */
const state = new Map<string, 'open' | 'done'>();
function visit(file: string, path: string[]): void {
  if (state.get(file) === 'done') return;
  if (state.get(file) === 'open') {
    const loop = path.slice(path.indexOf(file)).concat(file);
    problems.push(`import loop: ${loop.map((f) => relative(SRC, f)).join(' -> ')}`);
    return;
  }
  state.set(file, 'open');
  for (const target of imports.get(file) ?? []) visit(target, [...path, file]);
  state.set(file, 'done');
}
for (const file of files) visit(file, []);

if (problems.length > 0) {
  console.error(
    `check:imports: ${problems.length} problem(s) in src/\n${problems.map((p) => `  ${p}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(
  `check:imports: ${files.length} files in ${floorOf.size} rooms on ${FLOORS.length} floors; no import runs upward, no loop`,
);
