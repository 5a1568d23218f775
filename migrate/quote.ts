/**
 * The only two functions that put names and literals into PostgreSQL SQL.
 * Identifiers come from user files: treat them as hostile.
 */

/** Quotes a PostgreSQL identifier exactly (no folding). Refuses NUL, which PostgreSQL cannot store. */
export function quoteIdent(name: string): string {
  if (name.includes("\u0000")) throw new Error(`identifier ${JSON.stringify(name)} contains a NUL character, which PostgreSQL does not allow`);
  if (name.length === 0) throw new Error("empty identifier");
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a PostgreSQL string literal (standard_conforming_strings = on, the default since 9.1). */
export function quoteLiteral(value: string): string {
  if (value.includes("\u0000")) throw new Error("string literal contains a NUL character, which PostgreSQL text cannot store");
  return `'${value.replace(/'/g, "''")}'`;
}

/** `"schema"."name"`. */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Quotes a SQLite identifier (for the queries the engine runs against the source). */
export function quoteSqliteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
