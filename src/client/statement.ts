/**
 * A parameterized SQL statement as a tagged template sees it: `strings` around `values`, one
 * more string than values. Each adapter renders it in its library's own form ($1, ?, sql``).
 */
export interface Statement {
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
}

/** Builds a statement piece by piece: SQL text, then a parameter, and so on. */
export class StatementBuilder {
  private readonly strings: string[] = [''];
  private readonly values: unknown[] = [];

  sql(text: string): this {
    this.strings[this.strings.length - 1] += text;
    return this;
  }

  param(value: unknown): this {
    this.values.push(value);
    this.strings.push('');
    return this;
  }

  build(): Statement {
    return { strings: [...this.strings], values: [...this.values] };
  }
}

/** The statement's text with PostgreSQL's numbered placeholders ($1, $2, ...). */
export function numbered(statement: Statement): string {
  return statement.strings.reduce((text, part, index) => `${text}$${index}${part}`);
}

/** The statement's text with `?` placeholders (Knex). */
export function questionMarks(statement: Statement): string {
  return statement.strings.join('?');
}
