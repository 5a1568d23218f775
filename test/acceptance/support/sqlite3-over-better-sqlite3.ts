/**
 * The part of node-sqlite3's API that Sequelize 6's sqlite dialect calls, over better-sqlite3,
 * handed to Sequelize as `dialectModule`.
 *
 * Why not the `sqlite3` package itself: it has no prebuilt binary reachable from these machines
 * (its install runs prebuild-install, then node-gyp compiles SQLite from source: more than 10
 * minutes on CI's 2 cores, on every clean install). The values an application reads are the
 * same from both drivers: integers as JS numbers, reals as numbers, text as strings, blobs as
 * Buffers, NULL as null; Sequelize's own parsers (from `PRAGMA table_info`) do the rest.
 * What is bound follows node-sqlite3: booleans as 1/0, Dates as milliseconds, undefined as NULL,
 * `$1`-style parameters by number.
 * Sequelize's calls: lib/dialects/sqlite/connection-manager.js and query.js (6.37.8).
 */
import BetterSqlite3 from "better-sqlite3";

type Callback = (this: Statement, err: Error | null, rows?: unknown[]) => void;
type Params = unknown[] | Record<string, unknown> | undefined;

/** What `run`'s callback sees as `this` (Sequelize reads `lastID`, `changes` and the class name). */
class Statement {
  constructor(readonly lastID: number, readonly changes: number) {}
}

function bindValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof Date) return v.getTime();
  return v;
}

function bindings(sql: string, params: Params): unknown[] {
  if (params === undefined) return [];
  if (Array.isArray(params)) {
    if (params.length && /\$\d+/.test(sql)) return [Object.fromEntries(params.map((p, i) => [String(i + 1), bindValue(p)]))];
    return params.map(bindValue);
  }
  // node-sqlite3 takes `{ $name: v }`; better-sqlite3 the bare name.
  return [Object.fromEntries(Object.entries(params).map(([k, v]) => [k.replace(/^[$:@]/, ""), bindValue(v)]))];
}

export class Database {
  readonly filename: string;
  private readonly db: BetterSqlite3.Database;

  constructor(filename: string, _mode?: number, callback?: (err: Error | null) => void) {
    this.filename = filename;
    let error: Error | null = null;
    try {
      this.db = new BetterSqlite3(filename);
    } catch (err) {
      error = err as Error;
      this.db = undefined as unknown as BetterSqlite3.Database;
    }
    if (callback) setImmediate(() => callback(error));
  }

  serialize(fn?: () => void): void {
    // better-sqlite3 is synchronous: every call is already serialized.
    fn?.();
  }

  run(sql: string, params?: Params | Callback, callback?: Callback): this {
    const [p, cb] = typeof params === "function" ? [undefined, params] : [params, callback];
    let result = new Statement(0, 0);
    let error: Error | null = null;
    try {
      const stmt = this.db.prepare(sql);
      if (stmt.reader) stmt.all(...bindings(sql, p));
      else {
        const r = stmt.run(...bindings(sql, p));
        result = new Statement(Number(r.lastInsertRowid), r.changes);
      }
    } catch (err) {
      error = err as Error;
    }
    if (cb) setImmediate(() => cb.call(result, error));
    return this;
  }

  all(sql: string, params?: Params | Callback, callback?: Callback): this {
    const [p, cb] = typeof params === "function" ? [undefined, params] : [params, callback];
    let rows: unknown[] = [];
    let result = new Statement(0, 0);
    let error: Error | null = null;
    try {
      const stmt = this.db.prepare(sql);
      if (stmt.reader) rows = stmt.all(...bindings(sql, p));
      else {
        const r = stmt.run(...bindings(sql, p));
        result = new Statement(Number(r.lastInsertRowid), r.changes);
      }
    } catch (err) {
      error = err as Error;
    }
    if (cb) setImmediate(() => cb.call(result, error, rows));
    return this;
  }

  exec(sql: string, callback?: (err: Error | null) => void): this {
    let error: Error | null = null;
    try {
      this.db.exec(sql);
    } catch (err) {
      error = err as Error;
    }
    if (callback) setImmediate(() => callback(error));
    return this;
  }

  close(callback?: (err: Error | null) => void): void {
    let error: Error | null = null;
    try {
      if (this.db?.open) this.db.close();
    } catch (err) {
      error = err as Error;
    }
    if (callback) setImmediate(() => callback(error));
  }
}

/** node-sqlite3's open flags (Sequelize ORs them into the mode it passes). */
export const OPEN_READONLY = 0x00000001;
export const OPEN_READWRITE = 0x00000002;
export const OPEN_CREATE = 0x00000004;
