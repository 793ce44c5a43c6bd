/**
 * A JSON document as Jackson's ObjectMapper.readTree sees it: numbers keep their literal and
 * the node class Jackson would pick (int, long, big integer, double), which JSON.parse loses.
 */
export type JsonNode =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly numberKind: NumberKind; readonly literal: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' }
  | { readonly kind: 'array'; readonly items: readonly JsonNode[] }
  | { readonly kind: 'object'; readonly fields: ReadonlyMap<string, JsonNode> };

/** IntNode, LongNode, BigIntegerNode, DoubleNode. */
export type NumberKind = 'int' | 'long' | 'big' | 'double';

const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/** Parses JSON text; throws a SyntaxError where it is not JSON. */
export function parseJsonTree(text: string): JsonNode {
  const parser = new TreeParser(text);
  const node = parser.value();
  parser.end();
  return node;
}

class TreeParser {
  private at = 0;

  constructor(private readonly text: string) {}

  value(): JsonNode {
    this.skipSpace();
    const char = this.text[this.at];
    if (char === '{') return this.object();
    if (char === '[') return this.array();
    if (char === '"') return { kind: 'string', value: this.string() };
    if (this.text.startsWith('true', this.at)) return this.word('true', { kind: 'boolean', value: true });
    if (this.text.startsWith('false', this.at)) return this.word('false', { kind: 'boolean', value: false });
    if (this.text.startsWith('null', this.at)) return this.word('null', { kind: 'null' });
    return this.number();
  }

  end(): void {
    this.skipSpace();
    if (this.at !== this.text.length) this.fail('unexpected text after the document');
  }

  private object(): JsonNode {
    this.at++;
    const fields = new Map<string, JsonNode>();
    this.skipSpace();
    if (this.text[this.at] === '}') {
      this.at++;
      return { kind: 'object', fields };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] !== '"') this.fail('expected a field name');
      const name = this.string();
      this.skipSpace();
      if (this.text[this.at++] !== ':') this.fail('expected :');
      fields.set(name, this.value());
      this.skipSpace();
      const next = this.text[this.at++];
      if (next === '}') return { kind: 'object', fields };
      if (next !== ',') this.fail('expected , or }');
    }
  }

  private array(): JsonNode {
    this.at++;
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.text[this.at] === ']') {
      this.at++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.value());
      this.skipSpace();
      const next = this.text[this.at++];
      if (next === ']') return { kind: 'array', items };
      if (next !== ',') this.fail('expected , or ]');
    }
  }

  private string(): string {
    const start = this.at;
    this.at++;
    for (;;) {
      const char = this.text[this.at++];
      if (char === undefined) this.fail('unterminated string');
      if (char === '\\') this.at++;
      else if (char === '"') break;
    }
    return JSON.parse(this.text.slice(start, this.at)) as string;
  }

  private number(): JsonNode {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('expected a value');
    const literal = match[0];
    this.at += literal.length;
    if (match[1] !== undefined || match[2] !== undefined)
      return { kind: 'number', numberKind: 'double', literal };
    const integer = BigInt(literal);
    const numberKind =
      integer >= INT_MIN && integer <= INT_MAX
        ? 'int'
        : integer >= LONG_MIN && integer <= LONG_MAX
          ? 'long'
          : 'big';
    return { kind: 'number', numberKind, literal };
  }

  private word(word: string, node: JsonNode): JsonNode {
    this.at += word.length;
    return node;
  }

  private skipSpace(): void {
    while (/[ \t\n\r]/.test(this.text[this.at] ?? '')) this.at++;
  }

  private fail(problem: string): never {
    throw new SyntaxError(`${problem} at position ${this.at}`);
  }
}
