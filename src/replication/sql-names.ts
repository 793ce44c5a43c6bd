/** Quotes a validated `schema.table` (config allows only lower-case names) for SQL text. */
export function quoteTable(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

export function quoteName(name: string): string {
  return `"${name}"`;
}
