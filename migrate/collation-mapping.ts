/**
 * SQLite collations → PostgreSQL collations. SQLite's built-ins (BINARY, NOCASE, RTRIM)
 * are kept as they were: BINARY is the default, NOCASE and RTRIM are reported (their
 * columns compare with case and trailing spaces in PostgreSQL). A collation SQLite does
 * not know here (an application's own, registered at run time: Anki's `unicase`) is read
 * through a stand-in (source-copy.ts) and, when its name says it ignores case, mapped to a
 * nondeterministic ICU collation that does the same over all of Unicode.
 * https://www.postgresql.org/docs/16/collation.html#COLLATION-NONDETERMINISTIC
 */
import { BUILTIN_COLLATIONS, caseInsensitiveCollation, standInFor } from "./source-copy";

/** ICU root locale, strength 2: case-insensitive, accent-sensitive. */
export const CASE_INSENSITIVE_LOCALE = "und-u-ks-level2";

export interface CollationMapping {
  locale: string;
  deterministic: boolean;
  /** Why, for the column's warning. */
  note: string;
}

/** The PostgreSQL collation for a SQLite one, or null when PostgreSQL keeps its default (with a warning). */
export function mapCollation(sqlite: string): CollationMapping | null {
  if (BUILTIN_COLLATIONS.includes(sqlite.toUpperCase())) return null;
  if (!caseInsensitiveCollation(sqlite)) return null;
  return {
    locale: CASE_INSENSITIVE_LOCALE,
    deterministic: false,
    note: `COLLATE ${sqlite} is the application's own (SQLite here does not have it: values were read byte for byte through the stand-in ${standInFor(sqlite)}); mapped to a nondeterministic ICU collation (${CASE_INSENSITIVE_LOCALE}: equal regardless of case over all of Unicode, accents count), so equality, ORDER BY and unique keys ignore case as in SQLite; PostgreSQL 16 refuses LIKE and regular expressions on such a column`,
  };
}

/** The warning for a collation that keeps PostgreSQL's default. */
export function unmappedCollationWarning(sqlite: string): string {
  if (BUILTIN_COLLATIONS.includes(sqlite.toUpperCase())) return `COLLATE ${sqlite} has no PostgreSQL equivalent; comparisons become case/space sensitive`;
  return `COLLATE ${sqlite} is the application's own and its rules are unknown (SQLite here does not have it: values were read byte for byte through the stand-in ${standInFor(sqlite)}); PostgreSQL compares the column with its default collation`;
}
