/**
 * Compares one table value by value: SQLite rows in key order against
 * PostgreSQL rows (COPY ... TO STDOUT) in the same order, through the
 * canonical forms of `value-compare.ts`. Tables without a key are compared
 * as multisets (an order-independent digest).
 */
import { createHash } from "node:crypto";
import type { ClientBase } from "pg";
import { to as copyTo } from "pg-copy-streams";
import { showKey } from "./column-scan";
import { sourceExpression } from "./copy-encode";
import type { ColumnPlan, TablePlan } from "./plan-types";
import { qualified, quoteIdent, quoteSqliteIdent } from "./quote";
import type { SqliteDb } from "./sqlite-source";
import type { VerifyMismatch } from "./types";
import { jsonbText, jsonEqual, NULL_CANON, sourceCanonical, targetCanonical, targetSelect } from "./value-compare";

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

function unescapeCopy(field: string): string | null {
  if (field === "\\N") return null;
  if (!field.includes("\\")) return field;
  return field.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))/g, (_m, oct: string, hex: string, ch: string) => {
    if (oct) return String.fromCharCode(parseInt(oct, 8));
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    return ({ b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" } as Record<string, string>)[ch] ?? ch;
  });
}

/** Streams the rows of a `COPY (query) TO STDOUT` as arrays of nullable strings. */
async function* copyRows(client: ClientBase, query: string): AsyncGenerator<(string | null)[]> {
  const stream = client.query(copyTo(`COPY (${query}) TO STDOUT`));
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    let nl: number;
    while ((nl = data.indexOf(10, start)) >= 0) {
      yield data.toString("utf8", start, nl).split("\t").map(unescapeCopy);
      start = nl + 1;
    }
    rest = data.subarray(start);
    data = rest;
  }
}

/** Whether both sides can be read in the same order (else: multiset comparison). */
function orderable(t: TablePlan): { source: string[]; target: string[] } | null {
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

export async function verifyTable(db: SqliteDb, client: ClientBase, t: TablePlan, schema: string, zone: string, name = t.target): Promise<TableVerifyResult> {
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
    for await (const trow of copyRows(client, tgtSql)) {
      const next = iter.next();
      if (next.done) { mismatches.push({ table: t.source, message: "PostgreSQL returned more rows than SQLite" }); break; }
      const srow = next.value;
      if (order) {
        for (let i = 0; i < cols.length; i++) {
          const c = cols[i];
          const tv = trow[i] ?? null;
          // JSON: parse both sides and compare the values (cheaper than canonical text, same meaning).
          if (c.conversion === "json" && tv !== null && typeof srow[i] === "string") {
            // jsonb prints ", " / ": " separators (as Python's json.dumps does): identical text needs no parse.
            if (srow[i] === tv) continue;
            let same = false;
            try {
              const parsed: unknown = JSON.parse(srow[i] as string);
              // One parse: the source rendered as jsonb prints it usually equals the target text.
              same = jsonbText(parsed) === tv || jsonEqual(parsed, JSON.parse(tv));
            } catch { same = false; }
            if (same) continue;
          }
          const sci = sourceCanonical(c, srow[i], zone);
          const tci = targetCanonical(c, tv);
          const into = c.generated ? generatedDifferences : mismatches;
          if (sci !== tci && into.length < MAX_MISMATCHES) {
            const show = (s: string) => (s === NULL_CANON ? "NULL" : JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s));
            into.push({ table: t.source, column: cols[i].source, key: showKey(keyNames, srow.slice(cols.length)), message: `SQLite ${show(sci)} vs PostgreSQL ${show(tci)} (${cols[i].pgType})` });
          }
        }
      } else {
        const sc = cols.map((c, i) => sourceCanonical(c, srow[i], zone));
        const tc = cols.map((c, i) => targetCanonical(c, trow[i] ?? null));
        const stored = (xs: string[]) => xs.filter((_x, i) => !cols[i].generated);
        srcSum = (srcSum + digest(stored(sc))) & mask;
        tgtSum = (tgtSum + digest(stored(tc))) & mask;
      }
    }
  } finally {
    iter.return?.();
  }
  if (!order && srcSum !== tgtSum) mismatches.push({ table: t.source, message: "table has no primary key and its rows differ as a multiset (compared by digest of canonical values)" });
  return { rows: srcRows, targetRows: tgtRows, equal: mismatches.length === 0, mismatches, generatedDifferences, ms: Date.now() - started };
}
