/** SQL names and literals as PostgreSQL reads them: the one quoting module, shared by the relay and (re-exported) the client. */

/** An identifier as SQL must spell it: double-quoted, quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The names of `schema.table` (or `table`, in public) as PostgreSQL resolves them: an unquoted
 * part folds to lower case, a quoted one keeps its case and may hold dots.
 */
export function parseQualifiedName(text: string): { schema: string; name: string } {
  const parts: string[] = [];
  const pattern = /\s*(?:"((?:[^"]|"")*)"|([^".\s]+))\s*(\.|$)/y;
  let ended = false;
  for (let match = pattern.exec(text); match; match = ended ? null : pattern.exec(text)) {
    parts.push(match[1] !== undefined ? match[1].replaceAll('""', '"') : (match[2] ?? '').toLowerCase());
    ended = match[3] === '';
  }
  if (!ended || parts.length > 2) {
    throw new Error(`"${text}" is not a table name: expected table, schema.table or "Schema"."Table"`);
  }
  const [first = '', second] = parts;
  return second === undefined ? { schema: 'public', name: first } : { schema: first, name: second };
}

/** `schema.table`, quoted for SQL. */
export function quotedTable(text: string): string {
  const { schema, name } = parseQualifiedName(text);
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

/**
 * `schema.table` in one canonical spelling: a part that PostgreSQL would not fold stays bare
 * (public.outbox), any other is quoted ("App"."OutboxEvent"). Valid SQL, and to_regclass reads it.
 */
export function canonicalTable(text: string): string {
  const { schema, name } = parseQualifiedName(text);
  const spell = (part: string) => (/^[a-z_][a-z0-9_$]*$/.test(part) ? part : quoteIdentifier(part));
  return `${spell(schema)}.${spell(name)}`;
}

/** A string quoted as an SQL literal, for the replication protocol's simple queries (no parameters there). */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
