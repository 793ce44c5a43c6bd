/**
 * A parser for the small subset of YAML that docker/*.yaml and docker/*.yml are kept to:
 * block mappings and sequences by indentation, plain or quoted scalars, flow collections
 * written as JSON, full-line and trailing comments. Anything else throws, so a file that
 * drifts out of the subset fails its test instead of being misread.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly number: number;
  readonly indent: number;
  readonly text: string;
}

export function parseYamlSubset(source: string): YamlValue {
  const lines = toLines(source);
  if (lines.length === 0) return null;
  const [value, next] = parseBlock(lines, 0, lines[0]?.indent ?? 0);
  if (next < lines.length) fail(lines[next], 'unexpected indentation');
  return value;
}

function toLines(source: string): Line[] {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, index) => {
    if (raw.includes('\t')) throw new Error(`line ${index + 1}: tab characters are not in the subset`);
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '') return;
    lines.push({ number: index + 1, indent: text.length - text.trimStart().length, text: text.trim() });
  });
  return lines;
}

function stripComment(raw: string): string {
  let quote: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i];
    if (quote) {
      if (char === '\\' && quote === '"') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '#' && (i === 0 || raw[i - 1] === ' ')) return raw.slice(0, i);
  }
  return raw;
}

function parseBlock(lines: Line[], start: number, indent: number): [YamlValue, number] {
  const first = lines[start];
  if (!first) return [null, start];
  return first.text === '-' || first.text.startsWith('- ')
    ? parseSequence(lines, start, indent)
    : parseMapping(lines, start, indent);
}

function parseSequence(lines: Line[], start: number, indent: number): [YamlValue[], number] {
  const items: YamlValue[] = [];
  let i = start;
  while (i < lines.length && (lines[i] as Line).indent === indent) {
    const line = lines[i] as Line;
    if (!line.text.startsWith('- ')) fail(line, 'expected a "- " item');
    const rest = line.text.slice(2).trim();
    if (keyOf(rest) !== undefined) {
      // "- key: value": a mapping whose other keys are indented under the key.
      const inner = [...lines];
      inner[i] = { number: line.number, indent: indent + 2, text: rest };
      const [value, next] = parseMapping(inner, i, indent + 2);
      items.push(value);
      i = next;
    } else {
      items.push(scalar(rest, line));
      i++;
    }
  }
  return [items, i];
}

function parseMapping(lines: Line[], start: number, indent: number): [Record<string, YamlValue>, number] {
  const map: Record<string, YamlValue> = {};
  let i = start;
  while (i < lines.length && (lines[i] as Line).indent === indent) {
    const line = lines[i] as Line;
    const key = keyOf(line.text);
    if (key === undefined) fail(line, 'expected "key: value"');
    if (Object.hasOwn(map, key.name)) fail(line, `duplicate key ${key.name}`);
    i++;
    if (key.rest !== '') {
      map[key.name] = scalar(key.rest, line);
      continue;
    }
    const child = lines[i];
    if (!child || child.indent <= indent) {
      map[key.name] = null;
      continue;
    }
    const [value, next] = parseBlock(lines, i, child.indent);
    map[key.name] = value;
    i = next;
  }
  if (i < lines.length && (lines[i] as Line).indent > indent) fail(lines[i], 'unexpected indentation');
  return [map, i];
}

const KEY = /^("(?:[^"\\]|\\.)*"|[A-Za-z0-9_.\-/]+):(?: +(.*))?$/;

function keyOf(text: string): { name: string; rest: string } | undefined {
  const match = KEY.exec(text);
  if (!match?.[1]) return undefined;
  const name = match[1].startsWith('"') ? (JSON.parse(match[1]) as string) : match[1];
  return { name, rest: (match[2] ?? '').trim() };
}

function scalar(text: string, line: Line): YamlValue {
  if (text.startsWith('[') || text.startsWith('{') || text.startsWith('"')) {
    try {
      return JSON.parse(text) as YamlValue;
    } catch {
      fail(line, 'flow collections and double-quoted strings must be JSON');
    }
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) fail(line, 'unterminated single-quoted string');
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (/^[&*!|>%@`]/.test(text) || text.includes(': '))
    fail(line, `not a plain scalar in the subset: ${text}`);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  if (/^[yY]es$|^[nN]o$|^[oO](n|ff)$/.test(text)) fail(line, `ambiguous YAML 1.1 boolean: quote ${text}`);
  if (/^-?(0|[1-9][0-9_]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(text)) return Number(text.replaceAll('_', ''));
  return text;
}

function fail(line: Line | undefined, message: string): never {
  throw new Error(`line ${line?.number ?? '?'}: ${message}`);
}
