/**
 * Opens the SQLite source read-only and holds one read transaction, so every
 * query of a migration (scan, load, verify) sees the same snapshot even while
 * an application writes to the file in WAL mode.
 * https://www.sqlite.org/isolation.html
 */
import Database from "better-sqlite3";
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { ReaderPool } from "./reader-pool";

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

/** Opens `path` read-only and begins the snapshot. Throws a clear Error for missing, non-SQLite, corrupt or locked files. */
export function openSource(path: string, options: OpenSourceOptions = {}): OpenSource {
  if (!existsSync(path)) throw new Error(`SQLite file not found: ${path}`);
  if (!statSync(path).isFile()) throw new Error(`not a file: ${path}`);
  const fd = openSync(path, "r");
  const head = Buffer.alloc(16);
  try { readSync(fd, head, 0, 16, 0); } finally { closeSync(fd); }
  if (!head.equals(HEADER)) throw new Error(`${path} is not a SQLite database (bad header); check the --from path`);
  let db: SqliteDb;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
  } catch (err) {
    throw new Error(`cannot open SQLite file ${path}: ${(err as Error).message}`);
  }
  const begin = () => {
    db.exec("BEGIN");
    // The snapshot starts at the first read inside the transaction.
    db.prepare("SELECT count(*) FROM sqlite_schema").pluck().get();
  };
  let readers: ReaderPool | undefined;
  try {
    db.defaultSafeIntegers(true);
    begin();
    readers = options.readers && options.readers > 0
      ? ReaderPool.start(path, db, options.readers, begin, options.log ?? (() => undefined), options.parallelMinRows, options.planners)
      : ReaderPool.inline(db);
    // quick_check reads the whole file: worth it up front for small files; on large ones a
    // corrupt page still fails the scan or the load loudly, before COMMIT.
    if (statSync(path).size <= QUICK_CHECK_MAX_BYTES) {
      const check = db.prepare("PRAGMA quick_check(1)").pluck().get();
      if (check !== "ok") throw new Error(`integrity check failed: ${String(check)}`);
    }
  } catch (err) {
    readers?.close();
    db.close();
    const msg = (err as Error).message;
    if (/locked|busy/i.test(msg)) throw new Error(`SQLite file ${path} is locked by another process (${msg}); retry when the writer has finished or copy the file first`);
    throw new Error(`SQLite file ${path} is not readable: ${msg}`);
  }
  const pool = readers!;
  return {
    db,
    readers: pool,
    close() {
      pool.close();
      try { if (db.inTransaction) db.exec("COMMIT"); } finally { db.close(); }
    },
  };
}
