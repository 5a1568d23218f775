/**
 * Content hashes per table, to tell which tables changed since the last
 * sync: in SQLite (sha256 over raw values in key order) and in PostgreSQL
 * (computed by the server). The two kinds are not comparable with each other.
 */
import { createHash } from "node:crypto";
import { introspect } from "./introspect";
import { connect, redactError } from "./pg-connection";
import { qualified, quoteSqliteIdent } from "./quote";
import { openSource } from "./sqlite-source";
import type { ConnectionOptions, MappingOptions } from "./types";

/** sha256 per SQLite table (sqlite_* and shadow tables excluded), over typed raw values in rowid/primary-key order. */
export function sourceTableChecksums(from: string, options: MappingOptions = {}): Record<string, string> {
  void options;
  const src = openSource(from);
  try {
    const model = introspect(src.db);
    const out: Record<string, string> = {};
    for (const t of model.tables) {
      const order = t.primaryKey.length && (t.withoutRowid || t.kind === "table")
        ? t.primaryKey.map((c) => `${quoteSqliteIdent(c)} COLLATE BINARY`)
        : ["rowid"];
      const h = createHash("sha256");
      const sep = Buffer.from([0xff]);
      const stmt = src.db.prepare(`SELECT * FROM main.${quoteSqliteIdent(t.name)} ORDER BY ${order.join(", ")}`).raw();
      let rows = 0;
      for (const row of stmt.iterate() as IterableIterator<unknown[]>) {
        rows++;
        for (const v of row) {
          if (v === null) h.update("n");
          else if (typeof v === "bigint") h.update(`i${v.toString()}`);
          else if (typeof v === "number") { const b = Buffer.alloc(9); b[0] = 0x72; b.writeDoubleBE(v, 1); h.update(b); }
          else if (typeof v === "string") { h.update("t"); h.update(v, "utf8"); }
          else if (Buffer.isBuffer(v)) { h.update("b"); h.update(v); }
          h.update(sep);
        }
        h.update("\n");
      }
      out[t.name] = `${rows}:${h.digest("hex")}`;
    }
    return out;
  } finally {
    src.close();
  }
}

/** A hash per PostgreSQL table computed in the server: row count + md5 over the sorted md5s of each row's text. */
export async function targetTableChecksums(conn: ConnectionOptions, schema: string, tables: string[]): Promise<Record<string, string>> {
  const client = await connect(conn);
  try {
    const out: Record<string, string> = {};
    for (const t of tables) {
      const r = await client.query(`SELECT count(*)::text || ':' || coalesce(md5(string_agg(h, '' ORDER BY h)), '') AS c FROM (SELECT md5(x::text) AS h FROM ${qualified(schema, t)} AS x) AS s`);
      out[t] = String(r.rows[0].c);
    }
    return out;
  } catch (err) {
    throw redactError(err, conn);
  } finally {
    await client.end().catch(() => undefined);
  }
}
