/**
 * What a contender left in its database: row counts, column types,
 * constraints and indexes. The benchmark compares ours with the limit
 * pipeline's, so the two are shown to do the same work.
 */
import { Client } from "pg";
import type { BenchTarget } from "./target";

export interface TargetFingerprint {
  rows: Record<string, number>;
  /** `table.column` -> `format_type` (e.g. `numeric(10,4)`), plus ` not null`. */
  columns: Record<string, string>;
  /** `table`: sorted kinds of constraints (`p`, `u`, `f`). */
  constraints: Record<string, string[]>;
  /** `table`: sorted index column lists, e.g. `agent_id,started_at` (unique ones marked). */
  indexes: Record<string, string[]>;
}

export async function fingerprint(target: BenchTarget, tables: string[], schema = "public"): Promise<TargetFingerprint> {
  const client = new Client({ host: target.host, port: target.port, user: target.user, password: target.password, database: target.database });
  await client.connect();
  try {
    const rows: Record<string, number> = {};
    for (const t of tables) {
      const r = await client.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(t)}`,
      );
      rows[t] = Number(r.rows[0]?.n ?? -1);
    }
    const cols = await client.query<{ t: string; c: string; ty: string; nn: boolean }>(
      `SELECT c.relname AS t, a.attname AS c, format_type(a.atttypid, a.atttypmod) AS ty, a.attnotnull AS nn
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = ANY($2) AND a.attnum > 0 AND NOT a.attisdropped`,
      [schema, tables],
    );
    const columns: Record<string, string> = {};
    for (const r of cols.rows) columns[`${r.t}.${r.c}`] = r.ty + (r.nn ? " not null" : "");
    const cons = await client.query<{ t: string; k: string }>(
      `SELECT c.relname AS t, k.contype AS k FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = ANY($2) AND k.contype IN ('p', 'u', 'f')`,
      [schema, tables],
    );
    const constraints: Record<string, string[]> = {};
    for (const r of cons.rows) (constraints[r.t] ??= []).push(r.k);
    for (const list of Object.values(constraints)) list.sort();
    const idx = await client.query<{ t: string; cols: string; u: boolean }>(
      `SELECT c.relname AS t, i.indisunique AS u,
              (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS cols
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = ANY($2)`,
      [schema, tables],
    );
    const indexes: Record<string, string[]> = {};
    for (const r of idx.rows) (indexes[r.t] ??= []).push((r.u ? "unique " : "") + r.cols);
    for (const list of Object.values(indexes)) list.sort();
    return { rows, columns, constraints, indexes };
  } finally {
    await client.end();
  }
}

/** Human-readable differences between two fingerprints (empty when they agree). */
export function compareFingerprints(a: TargetFingerprint, b: TargetFingerprint, aName: string, bName: string): string[] {
  const diffs: string[] = [];
  const cmp = (what: string, x: Record<string, unknown>, y: Record<string, unknown>): void => {
    for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
      const xv = JSON.stringify(x[key]);
      const yv = JSON.stringify(y[key]);
      if (xv !== yv) diffs.push(`${what} ${key}: ${aName} ${xv ?? "missing"}, ${bName} ${yv ?? "missing"}`);
    }
  };
  cmp("rows", a.rows, b.rows);
  cmp("column", a.columns, b.columns);
  cmp("constraints", a.constraints, b.constraints);
  cmp("indexes", a.indexes, b.indexes);
  return diffs;
}
