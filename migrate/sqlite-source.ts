/**
 * Opens the SQLite source read-only and holds one read transaction, so every
 * query of a migration (scan, load, verify) sees the same snapshot even while
 * an application writes to the file in WAL mode.
 * https://www.sqlite.org/isolation.html
 */
import Database from "better-sqlite3";
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { introspect } from "./introspect";
import { ReaderPool } from "./reader-pool";
import { copyWalWithoutShm, copyWithStandInCollations, setCollationFixups, standInFor, unknownCollations, type CollationFixups, type PrivateCopy } from "./source-copy";

/** The subset of better-sqlite3 the engine uses. */
export type SqliteDb = Database.Database;

export interface OpenSource {
  db: SqliteDb;
  /** Reader threads on the same snapshot (`--jobs`); size 0 when reading on `db` only. */
  readers: ReaderPool;
  /** Ends the read transactions and closes the file. */
  close(): void;
}

export interface OpenSourceOptions {
  /** Threads reading in parallel besides the main connection (default 0). */
  readers?: number;
  /** Low-priority threads for `ReaderPool.planInBackground` (default 0). */
  planners?: number;
  /** Tables smaller than this are not split between readers. */
  parallelMinRows?: number;
  log?: (line: string) => void;
}

const HEADER = Buffer.from("SQLite format 3\u0000", "latin1");
const QUICK_CHECK_MAX_BYTES = 16 * 1024 * 1024;

function isReadOnlyFailure(err: unknown): boolean {
  const code = String((err as { code?: string }).code ?? "");
  return /^SQLITE_(READONLY|CANTOPEN)/.test(code) || /readonly database|unable to open database file/i.test((err as Error).message ?? "");
}

/** Opens `path` read-only and begins the snapshot. Throws a clear Error for missing, non-SQLite, corrupt or locked files. */
export function openSource(path: string, options: OpenSourceOptions = {}): OpenSource {
  if (!existsSync(path)) throw new Error(`SQLite file not found: ${path}`);
  if (!statSync(path).isFile()) throw new Error(`not a file: ${path}`);
  const fd = openSync(path, "r");
  const head = Buffer.alloc(100);
  try { readSync(fd, head, 0, 100, 0); } finally { closeSync(fd); }
  if (!head.subarray(0, 16).equals(HEADER)) throw new Error(`${path} is not a SQLite database (bad header); check the --from path`);
  // File format version 2 at offsets 18/19: WAL mode. https://www.sqlite.org/fileformat2.html#database_header
  const walMode = head[18] === 2 || head[19] === 2;
  const log = options.log ?? (() => undefined);
  const copies: PrivateCopy[] = [];
  const removeCopies = () => { for (const c of copies.splice(0)) c.remove(); };
  const begin = (db: SqliteDb) => {
    db.exec("BEGIN");
    // The snapshot starts at the first read inside the transaction.
    db.prepare("SELECT count(*) FROM sqlite_schema").pluck().get();
  };
  const open = (file: string): SqliteDb => {
    const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
    try {
      db.defaultSafeIntegers(true);
      begin(db);
    } catch (err) {
      db.close();
      (err as { stage?: string }).stage = "read";
      throw err;
    }
    return db;
  };
  let db: SqliteDb;
  let readFrom = path;
  try {
    try {
      db = open(path);
    } catch (err) {
      // WAL mode, no -shm, and this user may not create one: read a private copy (README: read access is enough).
      if (!walMode || existsSync(`${path}-shm`) || !isReadOnlyFailure(err)) throw err;
      const copy = copyWalWithoutShm(path);
      copies.push(copy);
      readFrom = copy.path;
      log(`${path} is in WAL mode without its -shm file, which this user may not create: reading a private copy (${copy.path})`);
      db = open(readFrom);
    }
  } catch (err) {
    removeCopies();
    const msg = (err as Error).message;
    if (/locked|busy/i.test(msg)) throw new Error(`SQLite file ${path} is locked by another process (${msg}); retry when the writer has finished or copy the file first`);
    if (/private copy/.test(msg)) throw err;
    if ((err as { stage?: string }).stage === "read") throw new Error(`SQLite file ${path} is not readable: ${msg}`);
    throw new Error(`cannot open SQLite file ${path}: ${msg}`);
  }
  let standIns: CollationFixups | undefined;
  let readers: ReaderPool | undefined;
  try {
    // Collations this process does not have (better-sqlite3 cannot register one): a copy with stand-ins.
    const unknown = new Set((db.prepare("SELECT sql FROM main.sqlite_schema WHERE sql IS NOT NULL").pluck().all() as string[]).flatMap(unknownCollations));
    if (unknown.size) {
      standIns = originalCollations(db, unknown);
      const copy = copyWithStandInCollations(db, path);
      copies.push(copy);
      db.close();
      readFrom = copy.path;
      log(`${path} names collation(s) ${[...unknown].join(", ")} that SQLite does not have here: reading a private copy (${copy.path}) with stand-in(s) ${[...standIns.standIns].map(([a, b]) => `${a} → ${b}`).join(", ")}, on one thread`);
      db = open(readFrom);
      setCollationFixups(db, standIns);
    }
    const main = db;
    const again = () => begin(main);
    readers = options.readers && options.readers > 0 && !standIns
      ? ReaderPool.start(readFrom, db, options.readers, again, log, options.parallelMinRows, options.planners)
      : ReaderPool.inline(db);
    // quick_check reads the whole file: worth it up front for small files; on large ones a
    // corrupt page still fails the scan or the load loudly, before COMMIT. A stand-in copy was
    // just written by SQLite from the source's pages (a corrupt one fails that), and its index
    // order follows the original collation, which quick_check cannot judge.
    if (!standIns && statSync(path).size <= QUICK_CHECK_MAX_BYTES) {
      const check = db.prepare("PRAGMA quick_check(1)").pluck().get();
      if (check !== "ok") throw new Error(`integrity check failed: ${String(check)}`);
    }
  } catch (err) {
    readers?.close();
    db.close();
    removeCopies();
    const msg = (err as Error).message;
    if (/locked|busy/i.test(msg)) throw new Error(`SQLite file ${path} is locked by another process (${msg}); retry when the writer has finished or copy the file first`);
    if (/private copy/.test(msg)) throw err;
    throw new Error(`SQLite file ${path} is not readable: ${msg}`);
  }
  const pool = readers!;
  const conn = db;
  return {
    db: conn,
    readers: pool,
    close() {
      try {
        pool.close();
        try { if (conn.inTransaction) conn.exec("COMMIT"); } finally { conn.close(); }
      } finally {
        removeCopies();
      }
    },
  };
}

/** Every column and index-key collation of the schema that is in `unknown`, read from the source's own catalog. */
function originalCollations(db: SqliteDb, unknown: Set<string>): CollationFixups {
  const out: CollationFixups = { columns: new Map(), indexKeys: new Map(), standIns: new Map([...unknown].map((n) => [n, standInFor(n)])) };
  const model = introspect(db);
  for (const t of model.tables) {
    for (const c of t.columns) if (c.collation && unknown.has(c.collation)) out.columns.set(`${t.name}\u0000${c.name}`, c.collation);
    for (const ix of t.indexes) ix.columns.forEach((k, i) => { if (unknown.has(k.collation)) out.indexKeys.set(`${ix.name}\u0000${i}`, k.collation); });
  }
  return out;
}
