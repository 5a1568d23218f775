/**
 * Private copies of a SQLite source, for the two files SQLite cannot read in place
 * (issue 16). Each copy lives in its own temporary directory and is removed on close.
 *
 * 1. A WAL-mode file without its `-shm`, in a directory the user may only read: SQLite
 *    must create the `-shm` to read a WAL database ("attempt to write a readonly
 *    database"); `?immutable=1` would avoid it, but better-sqlite3 is built without URI
 *    filenames. No `-shm` means no connection has the file open (the first one creates
 *    it, the last one removes it), so a plain copy of the file and its `-wal` is a
 *    consistent snapshot; the copy is checked against a writer appearing meanwhile.
 *    https://www.sqlite.org/wal.html#readonly
 * 2. A file whose schema names a collation this process does not have (Anki's `unicase`):
 *    SQLite cannot compare those columns or even walk a WITHOUT ROWID table keyed by one
 *    ("no such collation sequence"), and better-sqlite3 12 has no API to register a
 *    collation. The copy is serialized from the caller's read transaction (its snapshot),
 *    and its schema names a built-in stand-in instead (NOCASE for case-insensitive
 *    collations, BINARY otherwise): values read are the same bytes, only the order of
 *    comparisons differs, and the engine orders and compares with explicit COLLATE BINARY
 *    where it matters. The original names stay in the model (`collationFixups`).
 */
import Database from "better-sqlite3";
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { tokenize } from "./sql-text";

/** SQLite's built-in collations: https://www.sqlite.org/datatype3.html#collating_sequences */
export const BUILTIN_COLLATIONS = ["BINARY", "NOCASE", "RTRIM"];

/** Names of collations that compare without case (Anki's `unicase`, `*_ci`, `nocase…`). */
export function caseInsensitiveCollation(name: string): boolean {
  return /unicase|nocase|case_?insensitive|(^|_)ci$|icase/i.test(name);
}

/**
 * The collations a source file names that SQLite does not know here, as the original
 * schema has them, for a connection that reads a copy with stand-ins: "table\0column"
 * and "index\0key position" → the original name. Read by `introspect`.
 */
export interface CollationFixups {
  columns: Map<string, string>;
  indexKeys: Map<string, string>;
  /** Unknown name → the built-in stand-in the copy uses. */
  standIns: Map<string, string>;
}

const fixups = new WeakMap<object, CollationFixups>();

/** The original collation names for a connection reading a stand-in copy (undefined for a plain source). */
export function collationFixups(db: object): CollationFixups | undefined {
  return fixups.get(db);
}

export function setCollationFixups(db: object, f: CollationFixups): void {
  fixups.set(db, f);
}

export interface PrivateCopy {
  /** The copy's path: what every connection (main, probe, readers) opens. */
  path: string;
  remove(): void;
}

function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return "absent";
  }
}

/**
 * Copies a WAL-mode file and its `-wal` into a private directory (case 1). Throws when a
 * writer appeared during the copy (a `-shm` now exists, or either file changed), three times in a row.
 */
export function copyWalWithoutShm(path: string): PrivateCopy {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), "s2p-source-"));
  } catch (err) {
    throw new Error(`cannot make a private copy of ${path} in ${tmpdir()}: ${(err as Error).message}; set TMPDIR to a writable directory`);
  }
  const copy = join(dir, basename(path));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    for (let attempt = 1; ; attempt++) {
      const before = [stamp(path), stamp(`${path}-wal`)];
      copyFileSync(path, copy);
      if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
      else rmSync(`${copy}-wal`, { force: true });
      if (!existsSync(`${path}-shm`) && stamp(path) === before[0] && stamp(`${path}-wal`) === before[1]) return { path: copy, remove };
      if (attempt === 3) throw new Error(`a writer opened ${path} while it was being copied (three times); retry when the application is stopped`);
    }
  } catch (err) {
    remove();
    const size = statSync(path).size;
    throw new Error(`cannot read ${path}: it is in WAL mode without its -shm file, which SQLite must create beside it and this user may not; copying it (${size} bytes) to ${dir} failed: ${(err as Error).message}. Give this user write access to the file's directory, or set TMPDIR to a directory with room for the copy`);
  }
}

/** Collation names in a CREATE statement that are not SQLite built-ins, as written. */
export function unknownCollations(sql: string): string[] {
  const tokens = tokenize(sql);
  const out: string[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (tokens[i].kind !== "word" || tokens[i].text.toUpperCase() !== "COLLATE") continue;
    const name = tokens[i + 1].value ?? tokens[i + 1].text;
    if (!BUILTIN_COLLATIONS.includes(String(name).toUpperCase())) out.push(String(name));
  }
  return out;
}

/** `sql` with every unknown collation replaced by its stand-in (`standIn`). */
export function withStandIns(sql: string, standIn: (name: string) => string): string {
  const tokens = tokenize(sql);
  let out = "";
  let at = 0;
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (tokens[i].kind !== "word" || tokens[i].text.toUpperCase() !== "COLLATE") continue;
    const t = tokens[i + 1];
    const name = String(t.value ?? t.text);
    if (BUILTIN_COLLATIONS.includes(name.toUpperCase())) continue;
    out += `${sql.slice(at, t.start)}${standIn(name)}`;
    at = t.end;
  }
  return out + sql.slice(at);
}

/** The built-in collation a copy uses in place of `name`. */
export function standInFor(name: string): string {
  return caseInsensitiveCollation(name) ? "NOCASE" : "BINARY";
}

/**
 * Case 2: the database as `db` sees it (inside its read transaction), written to a private
 * file whose schema names stand-ins for the unknown collations. `db` must be in a read transaction.
 */
export function copyWithStandInCollations(db: Database.Database, path: string): PrivateCopy {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), "s2p-source-"));
  } catch (err) {
    throw new Error(`cannot make a private copy of ${path} in ${tmpdir()}: ${(err as Error).message}; set TMPDIR to a writable directory`);
  }
  const copy = join(dir, basename(path));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    writeFileSync(copy, db.serialize());
    const w = new Database(copy, { fileMustExist: true });
    try {
      w.unsafeMode(true); // SQLITE_DBCONFIG_DEFENSIVE off: writable_schema on our own copy
      w.pragma("journal_mode = DELETE");
      const rows = w.prepare("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL").all() as { type: string; name: string; sql: string }[];
      w.pragma("writable_schema = ON");
      const update = w.prepare("UPDATE sqlite_schema SET sql = ? WHERE type = ? AND name = ?");
      for (const r of rows) if (unknownCollations(r.sql).length) update.run(withStandIns(r.sql, standInFor), r.type, r.name);
      w.pragma("writable_schema = OFF");
    } finally {
      w.close();
    }
    return { path: copy, remove };
  } catch (err) {
    remove();
    throw new Error(`cannot read ${path}: its schema uses a collation SQLite does not know here, and making a private copy with a stand-in in ${dir} failed: ${(err as Error).message}; set TMPDIR to a directory with room for the file`);
  }
}
