/**
 * Compares one table value by value. First the fast pass of
 * `verify-fast.ts` (whole rows as text, natural order); when it cannot
 * conclude, the keyed comparison here decides and names the differences:
 * SQLite rows in key order against PostgreSQL rows (COPY ... TO STDOUT) in
 * the same order, through the canonical forms of `value-compare.ts`.
 * Tables without a key are compared as multisets (an order-independent
 * digest).
 */
import { createHash } from "node:crypto";
import type { ClientBase } from "pg";
import { showKey } from "./column-scan";
import { sourceExpression } from "./copy-encode";
import type { ColumnPlan, TablePlan } from "./plan-types";
import { qualified, quoteIdent, quoteSqliteIdent } from "./quote";
import type { SqliteDb } from "./sqlite-source";
import type { VerifyMismatch } from "./types";
import { differenceMessage, sourceCanonical, targetCanonical, targetSelect, valuesEqual } from "./value-compare";
import { unescapeCopy } from "./verify-copy-text";
import type { ReaderPool } from "./reader-pool";
import { fastVerifyTable, forEachCopyLine, type RowOrder } from "./verify-fast";
import { binaryVerifyTable } from "./verify-binary";
import { readerVerifyTable } from "./verify-readers";

export interface TableVerifyResult {
  rows: number;
  targetRows: number;
  equal: boolean;
  mismatches: VerifyMismatch[];
  /** Differences in translated generated columns: PostgreSQL computes them itself (e.g. exact numeric instead of float arithmetic). Reported, not fatal. */
  generatedDifferences: VerifyMismatch[];
  ms: number;
}

const MAX_MISMATCHES = 20;

/** The fields of one COPY text line, unescaped. */
function copyFields(line: string): (string | null)[] {
  return line.split("\t").map(unescapeCopy);
}

/** Whether both sides can be read in the same order (else: multiset comparison). */
export function orderable(t: TablePlan): RowOrder | null {
  if (!t.primaryKey) return null;
  const cols = t.primaryKey.columns.map((name) => t.columns.find((c) => c.target === name)!);
  const source: string[] = [];
  const target: string[] = [];
  for (const c of cols) {
    const sq = c.fromRowid ? c.source : quoteSqliteIdent(c.source);
    const tq = quoteIdent(c.target);
    switch (c.conversion) {
      case "integer": case "double": case "numeric": case "date": case "bytea":
        source.push(sq); target.push(tq); break;
      case "text":
        source.push(`${sq} COLLATE BINARY`); target.push(`${tq} COLLATE "C"`); break;
      case "uuid":
        source.push(`lower(replace(${sq}, '-', ''))`); target.push(tq); break;
      default:
        return null;
    }
  }
  return { source, target };
}

function digest(parts: string[]): bigint {
  return createHash("sha256").update(parts.join("\u0001")).digest().readBigUInt64BE(0);
}

/** `readers`: reader threads on the same SQLite snapshot, for the fastest pass (`verify-readers.ts`). */
export async function verifyTable(db: SqliteDb, client: ClientBase, t: TablePlan, schema: string, zone: string, name = t.target, readers?: ReaderPool): Promise<TableVerifyResult> {
  const started = Date.now();
  const mismatches: VerifyMismatch[] = [];
  const generatedDifferences: VerifyMismatch[] = [];
  const cols: ColumnPlan[] = t.columns;
  const table = qualified(schema, name);
  const srcRows = Number(db.prepare(`SELECT count(*) FROM main.${quoteSqliteIdent(t.source)}`).pluck().get());
  const tgtRows = Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  if (srcRows !== tgtRows) {
    mismatches.push({ table: t.source, message: `row count differs: SQLite ${srcRows}, PostgreSQL ${tgtRows}` });
    return { rows: srcRows, targetRows: tgtRows, equal: false, mismatches, generatedDifferences, ms: Date.now() - started };
  }
  if (srcRows > 0) {
    // Reads in natural order must start at the table's first page and come back in that order.
    await client.query("SET LOCAL synchronize_seqscans = off");
    await client.query("SET LOCAL max_parallel_workers_per_gather = 0");
    // Reader threads: binary COPY where every column has a binary form, else predicted COPY text.
    const binary = readers ? await binaryVerifyTable(db, client, readers, t, schema, zone, name, srcRows) : null;
    if (binary?.equal === true) return { rows: srcRows, targetRows: tgtRows, equal: true, mismatches, generatedDifferences, ms: Date.now() - started };
    const threaded = readers && !binary ? await readerVerifyTable(db, client, readers, t, schema, zone, name, srcRows) : null;
    if (threaded?.equal === true) return { rows: srcRows, targetRows: tgtRows, equal: true, mismatches, generatedDifferences, ms: Date.now() - started };
    let fast = await fastVerifyTable(db, client, t, schema, zone, name, srcRows);
    // Rows not in the same natural order (a load by parallel readers, rows changed since) or a real difference:
    // the same pass in key order; if that cannot conclude either, the keyed comparison below names the differences.
    const keyOrder = orderable(t);
    if (fast.equal !== true && keyOrder) fast = await fastVerifyTable(db, client, t, schema, zone, name, srcRows, keyOrder);
    if (fast.equal === true) return { rows: srcRows, targetRows: tgtRows, equal: true, mismatches, generatedDifferences: fast.generatedDifferences, ms: Date.now() - started };
  }
  const order = orderable(t);
  const keyNames = t.sourceKey.map((e) => e.replace(/ COLLATE BINARY$/, "").replace(/^"|"$/g, "").replace(/""/g, '"'));
  const keyExprs = t.sourceKey.map((e) => e.replace(/ COLLATE BINARY$/, ""));
  const srcSql = `SELECT ${[...cols.map((c) => (c.conversion === "bytea" ? sourceExpression(c, quoteSqliteIdent) : c.fromRowid ? c.source : quoteSqliteIdent(c.source))), ...keyExprs].join(", ")} FROM main.${quoteSqliteIdent(t.source)}${order ? ` ORDER BY ${order.source.join(", ")}` : ""}`;
  // Outputs get positional aliases so ORDER BY refers to the table's columns, not to the text casts.
  const tgtSql = `SELECT ${cols.map((c, i) => `${targetSelect(c, `t.${quoteIdent(c.target)}`)} AS c${i}`).join(", ")} FROM ${table} AS t${order ? ` ORDER BY ${order.target.map((e) => `t.${e}`).join(", ")}` : ""}`;
  const stmt = db.prepare(srcSql).raw();
  stmt.safeIntegers(!!t.bigIntegers);
  const iter = stmt.iterate() as IterableIterator<unknown[]>;
  let srcSum = 0n;
  let tgtSum = 0n;
  const mask = (1n << 64n) - 1n;
  try {
    await forEachCopyLine(client, tgtSql, (line) => {
      const trow = copyFields(line);
      const next = iter.next();
      if (next.done) { mismatches.push({ table: t.source, message: "PostgreSQL returned more rows than SQLite" }); return false; }
      const srow = next.value;
      if (order) {
        for (let i = 0; i < cols.length; i++) {
          const tv = trow[i] ?? null;
          if (valuesEqual(cols[i], srow[i], tv, zone)) continue;
          const into = cols[i].generated ? generatedDifferences : mismatches;
          if (into.length < MAX_MISMATCHES) into.push({ table: t.source, column: cols[i].source, key: showKey(keyNames, srow.slice(cols.length)), message: differenceMessage(cols[i], srow[i], tv, zone) });
        }
      } else {
        const sc = cols.map((c, i) => sourceCanonical(c, srow[i], zone));
        const tc = cols.map((c, i) => targetCanonical(c, trow[i] ?? null));
        const stored = (xs: string[]) => xs.filter((_x, i) => !cols[i].generated);
        srcSum = (srcSum + digest(stored(sc))) & mask;
        tgtSum = (tgtSum + digest(stored(tc))) & mask;
      }
      return true;
    });
  } finally {
    iter.return?.();
  }
  if (!order && srcSum !== tgtSum) {
    const why = t.primaryKey ? `its key (${t.primaryKey.columns.join(", ")}) cannot be read in the same order on both sides` : "the table has no primary key";
    mismatches.push({ table: t.source, message: `rows differ as a multiset (compared by digest of canonical values, as ${why}); no single row can be named` });
  }
  return { rows: srcRows, targetRows: tgtRows, equal: mismatches.length === 0, mismatches, generatedDifferences, ms: Date.now() - started };
}
