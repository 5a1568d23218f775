/**
 * Per-table content checksums, on both sides of a migration.
 *
 * They are change detectors, each compared only with itself over time:
 * - the SQLite side decides which tables a re-sync must reload;
 * - the PostgreSQL side is the divergence guard: a table whose checksum
 *   differs from the one recorded at the last sync has been written to since.
 *
 * Both are order-independent (a sum of per-row hashes in two 64-bit lanes,
 * plus the row count), so neither side sorts: the SQLite side streams rows,
 * the PostgreSQL side is one aggregate per table.
 */
import { createHash } from "node:crypto";
import type { ClientBase } from "pg";
import { qualified, quoteSqliteIdent } from "../migrate/quote";

export interface TableChecksum {
  rows: number;
  /** `<rows>:<32 hex>`. */
  checksum: string;
}

export interface SqliteChecksums {
  /** Hash of the SQLite schema (every `sqlite_schema` row): any DDL change changes it. */
  schemaChecksum: string;
  /** Keyed by SQLite table name. */
  tables: Record<string, TableChecksum>;
}

const MASK = (1n << 64n) - 1n;

function finish(rows: number, a: bigint, b: bigint): TableChecksum {
  const digest = createHash("sha256").update(`${rows}:${a.toString(16)}:${b.toString(16)}`).digest("hex").slice(0, 32);
  return { rows, checksum: `${rows}:${digest}` };
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** One value as text, tagged by storage class, so 1, 1.0, '1' and x'31' all differ (lengths keep fields apart). */
function canon(v: unknown): string {
  if (v === null || v === undefined) return "n;";
  if (typeof v === "bigint") return `i${v};`;
  if (typeof v === "number") { f64[0] = v; return `r${u64[0]!.toString(16)};`; }
  if (typeof v === "string") return `s${v.length}:${v}`;
  if (Buffer.isBuffer(v)) return `b${v.length}:${v.toString("base64")};`;
  throw new Error(`unexpected SQLite value of type ${typeof v}`);
}

/**
 * Checksums of every table of a SQLite file (`sqlite_*` internals excluded),
 * read in one read transaction, i.e. from one consistent snapshot.
 */
export function sqliteChecksums(sqlitePath: string, only?: readonly string[]): SqliteChecksums {
  // Required here rather than imported: the native module loads only when used.
  const Database = require("better-sqlite3") as typeof import("better-sqlite3");
  const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    db.exec("BEGIN");
    try {
      const schemaRows = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name`).raw().all() as unknown[][];
      const sh = createHash("sha256");
      for (const row of schemaRows) sh.update(row.map(canon).join(""));
      const names = (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`).pluck().all() as string[])
        .filter((n) => !only || only.includes(n));
      const tables: Record<string, TableChecksum> = {};
      for (const name of names) {
        let rows = 0;
        let a = 0n;
        let b = 0n;
        for (const row of db.prepare(`SELECT * FROM ${quoteSqliteIdent(name)}`).raw().iterate() as IterableIterator<unknown[]>) {
          // One hash per row (order-independent sum below: no ORDER BY, so no index walk or sort).
          let text = "";
          for (const v of row) text += canon(v);
          const d = createHash("sha256").update(text).digest();
          a = (a + d.readBigUInt64BE(0)) & MASK;
          b = (b + d.readBigUInt64BE(8)) & MASK;
          rows++;
        }
        tables[name] = finish(rows, a, b);
      }
      return { schemaChecksum: `sha256:${sh.digest("hex")}`, tables };
    } finally {
      db.exec("COMMIT");
    }
  } finally {
    db.close();
  }
}

/**
 * Checksums of PostgreSQL tables, computed by the server from the text form
 * of each row under fixed output settings (UTC, ISO dates, hex bytea,
 * shortest exact floats) so they do not depend on the session. All tables
 * are read in one REPEATABLE READ snapshot, in ONE statement.
 *
 * Resolves once that statement has been sent: the caller may do CPU work
 * (e.g. hash the SQLite side) while the server computes, then await `result`.
 */
export async function startPgChecksums(client: ClientBase, schema: string, tables: readonly string[]): Promise<{ result: Promise<Record<string, TableChecksum>> }> {
  if (tables.length === 0) return { result: Promise.resolve({}) };
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    for (const [k, v] of [["TimeZone", "UTC"], ["DateStyle", "ISO, YMD"], ["IntervalStyle", "postgres"], ["bytea_output", "hex"], ["extra_float_digits", "1"]]) {
      await client.query(`SELECT set_config($1, $2, true)`, [k, v]);
    }
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
  const sql = tables.map((t, i) =>
    `SELECT ${i} AS i, count(*)::text AS n,
            coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0)::text AS a,
            coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0)::text AS b
       FROM (SELECT md5(r::text) AS h FROM ${qualified(schema, t)} AS r) q`).join("\nUNION ALL\n");
  const pending = client.query<{ i: number; n: string; a: string; b: string }>(sql);
  const result = (async () => {
    try {
      const { rows } = await pending;
      await client.query("COMMIT");
      // Signed sums as exact numerics, reduced to the same 64-bit lanes.
      const lane = (v: string) => ((BigInt(v) % (1n << 64n)) + (1n << 64n)) & MASK;
      const out: Record<string, TableChecksum> = {};
      for (const r of rows) out[tables[r.i]!] = finish(Number(r.n), lane(r.a), lane(r.b));
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    }
  })();
  result.catch(() => {}); // the caller awaits it; never an unhandled rejection meanwhile
  return { result };
}

/** Checksums of PostgreSQL tables (see startPgChecksums). */
export async function pgChecksums(client: ClientBase, schema: string, tables: readonly string[]): Promise<Record<string, TableChecksum>> {
  return await (await startPgChecksums(client, schema, tables)).result;
}
