/**
 * The fast verification pass of one table: SQLite predicts each row's COPY
 * text (`verify-predict.ts`) and PostgreSQL prints its rows with `COPY (...)
 * TO STDOUT`, both in their natural order (the order the load wrote them).
 * A row whose predicted text equals PostgreSQL's byte for byte holds equal
 * values. Doubles and JSON are checked field by field (as numbers, and as
 * jsonb's text of the source tokens), everything else that SQL cannot
 * predict through the type-aware comparison of `value-compare.ts`.
 *
 * Rows that still differ ("suspects") are compared again, type-aware, with
 * both rows read afresh (PostgreSQL's by ctid). When every pair is equal the
 * table is equal: the pass paired each SQLite row with a distinct
 * PostgreSQL row and the counts match. Any remaining difference, too many
 * suspects (e.g. the two orders differ) or a different number of rows
 * returns "unsure", and the caller runs the keyed comparison, which names
 * table, column and key.
 */
import type { ClientBase } from "pg";
import { to as copyTo } from "pg-copy-streams";
import { showKey } from "./column-scan";
import { copyEscape, sourceExpression } from "./copy-encode";
import type { ColumnPlan, TablePlan } from "./plan-types";
import { qualified, quoteIdent, quoteSqliteIdent } from "./quote";
import type { SqliteDb } from "./sqlite-source";
import type { VerifyMismatch } from "./types";
import { differenceMessage, targetSelect, valuesEqual } from "./value-compare";
import { unescapeCopy } from "./verify-copy-text";
import { jsonbTextOfSource } from "./verify-json";
import { decimalAsDouble, predictedField, type TailKind } from "./verify-predict";

/** Rows that may differ before the pass gives up and the keyed comparison decides. */
export const MAX_SUSPECTS = 10_000;
const SUSPECT_BATCH = 1000;
/** Differences in generated columns reported per table (as the keyed comparison does). */
const MAX_GENERATED = 20;

export type FastOutcome = { equal: true; generatedDifferences: VerifyMismatch[]; /** Rows compared again type-aware (their text differed). */ rechecked: number } | { equal: "unsure"; reason: string; tooManyDiffer?: boolean };

/** The same row order on both sides: SQLite and PostgreSQL ORDER BY expressions (see verify-table.ts `orderable`). */
export interface RowOrder {
  source: string[];
  target: string[];
}

export interface Layout {
  /** Columns compared one by one (PostgreSQL prints them first, after ctid). */
  tail: { col: ColumnPlan; kind: TailKind }[];
  /** The other columns, whose text SQLite predicts, with the PostgreSQL expression each predicts. */
  predicted: { col: ColumnPlan; pg: (q: string) => string }[];
  /** SQLite expression of the predicted text of `predicted` (tab-separated), or null when there are none. */
  line: string | null;
}

/** A non-NULL text value of a uuid or datetime column (picks the cheaper prediction), if any. */
function sampleOf(db: SqliteDb, t: TablePlan, c: ColumnPlan): string | undefined {
  if (c.fromRowid || c.storage.text === 0 || !["uuid", "timestamptz", "timestamp"].includes(c.conversion)) return undefined;
  const q = quoteSqliteIdent(c.source);
  const v = db.prepare(`SELECT ${q} FROM main.${quoteSqliteIdent(t.source)} WHERE typeof(${q}) = 'text' LIMIT 1`).pluck().get();
  return typeof v === "string" ? v : undefined;
}

export function layout(db: SqliteDb, t: TablePlan, zone: string): Layout {
  const tail: Layout["tail"] = [];
  const predicted: Layout["predicted"] = [];
  const fields: string[] = [];
  for (const c of t.columns) {
    const p = predictedField(c, zone, sampleOf(db, t, c));
    if (p) { fields.push(p.sqlite); predicted.push({ col: c, pg: p.pg }); continue; }
    const kind: TailKind = c.generated ? "strict" : c.conversion === "json" ? "json" : c.conversion === "double" ? "double" : decimalAsDouble(c) ? "decimal" : "strict";
    tail.push({ col: c, kind });
  }
  return { tail, predicted, line: fields.length ? tabConcat(fields) : null };
}

/**
 * The fields joined by tabs, NULL when any field is (that row is then looked
 * at closely), as a balanced tree of `||`: a left chain over a wide table goes
 * past SQLite's expression depth of 1,000.
 */
function tabConcat(fields: string[]): string {
  if (fields.length === 1) return fields[0];
  const mid = fields.length >> 1;
  return `(${tabConcat(fields.slice(0, mid))}) || char(9) || (${tabConcat(fields.slice(mid))})`;
}

/** SQLite's select expression of a column as the fast passes compare it (bytea and JSON as the loader reads them). */
export function sourceColumn(c: ColumnPlan): string {
  return c.conversion === "bytea" || c.conversion === "json" ? sourceExpression(c, quoteSqliteIdent) : c.fromRowid ? c.source : quoteSqliteIdent(c.source);
}

/** A name that reads a table's rowid (one not shadowed by a column), or undefined when it has none. */
export function rowidAlias(t: TablePlan): string | undefined {
  if (t.withoutRowid || t.kind !== "table") return undefined;
  return ["rowid", "_rowid_", "oid"].find((a) => !t.columns.some((c) => c.source.toLowerCase() === a));
}

/** PostgreSQL's select expression of a tail column. */
export function tailSelect(kind: TailKind, c: ColumnPlan, q: string): string {
  return kind === "decimal" ? `${q}::float8` : targetSelect(c, q);
}

/** One tail field: raw COPY field text `field` against the SQLite value. */
export function tailEqual(kind: TailKind, c: ColumnPlan, v: unknown, field: string, zone: string): boolean {
  if (field === "\\N") return v === null || v === undefined;
  // numeric(p <= 15, s) as doubles: equal doubles are the same decimal of at most 15 digits. Else the recheck decides.
  // 64-bit reads (a table with big integers elsewhere) give bigints: below 2^53 they are the same double.
  if (kind === "decimal") return typeof v === "number" ? Object.is(v, Number(field)) : typeof v === "bigint" && v <= 9007199254740992n && v >= -9007199254740992n && Number(v) === Number(field);
  if (kind === "double" && typeof v === "number") {
    // PostgreSQL prints the shortest text that reads back as the same double (extra_float_digits = 1).
    if (Object.is(v, Number(field))) return true;
  } else if (kind === "json" && typeof v === "string") {
    const canon = jsonbTextOfSource(v);
    if (canon !== null && (field.includes("\\") ? copyEscape(canon) === field : canon === field)) return true;
  }
  return valuesEqual(c, v, unescapeCopy(field), zone);
}

/**
 * Calls `onLine` for every line of a `COPY ... TO STDOUT` (text format):
 * one await per network chunk, lines handled synchronously (an async
 * iterator per line costs more than the comparison). Once `onLine` returns
 * false the rest of the COPY is only drained (the connection must stay
 * usable), not decoded.
 */
export async function forEachCopyLine(client: ClientBase, query: string, onLine: (line: string) => boolean): Promise<void> {
  const stream = client.query(copyTo(`COPY (${query}) TO STDOUT`));
  let rest: Buffer | null = null;
  let more = true;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (!more) continue;
    const data: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    const last = data.lastIndexOf(10);
    if (last < 0) { rest = data; continue; }
    // Whole lines only: a chunk may end inside a multi-byte character.
    const text = data.toString("utf8", 0, last);
    rest = last + 1 < data.length ? data.subarray(last + 1) : null;
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) { more = onLine(text.slice(start)); break; }
      more = onLine(text.slice(start, nl));
      if (!more) break;
      start = nl + 1;
    }
  }
}

/**
 * Without `order`, both sides are read in their natural order (cheapest;
 * right when the load wrote the rows in SQLite's order). With `order`, both
 * sides are sorted by the key (for a load that wrote rowid ranges in
 * parallel, or a table changed since).
 */
export async function fastVerifyTable(db: SqliteDb, client: ClientBase, t: TablePlan, schema: string, zone: string, name: string, rows: number, order?: RowOrder): Promise<FastOutcome> {
  const lay = layout(db, t, zone);
  const table = qualified(schema, name);
  const keyExprs = t.sourceKey.map((e) => e.replace(/ COLLATE BINARY$/, ""));
  const keyNames = t.sourceKey.map((e) => e.replace(/ COLLATE BINARY$/, "").replace(/^"|"$/g, "").replace(/""/g, '"'));
  const from = `FROM main.${quoteSqliteIdent(t.source)}`;
  // Suspect rows are read again by rowid (a small integer per row) when the table has one, else by key.
  const alias = rowidAlias(t);
  const fetchKey = alias ? [alias] : keyExprs;
  const tailSrc = lay.tail.map(({ col }) => sourceColumn(col));
  // Same FROM and no ORDER BY, as the load reads: the natural order, in which the load wrote PostgreSQL's rows.
  const stmt = db.prepare(`SELECT ${[lay.line ?? "NULL", ...tailSrc, ...fetchKey].join(", ")} ${from}${order ? ` ORDER BY ${order.source.join(", ")}` : ""}`).raw();
  stmt.safeIntegers(!!t.bigIntegers);
  const tgtSql = `SELECT t.ctid, ${[...lay.tail.map(({ col, kind }) => tailSelect(kind, col, `t.${quoteIdent(col.target)}`)), ...lay.predicted.map(({ col, pg }) => pg(`t.${quoteIdent(col.target)}`))].join(", ")} FROM ${table} AS t${order ? ` ORDER BY ${order.target.map((e) => `t.${e}`).join(", ")}` : ""}`;
  const ntail = lay.tail.length;
  const hasLine = lay.line !== null;
  const suspects: { key: unknown[]; ctid: string }[] = [];
  let seen = 0;
  let overflow = false;
  const iter = stmt.iterate() as IterableIterator<unknown[]>;
  try {
    await forEachCopyLine(client, tgtSql, (line) => {
      const next = iter.next();
      // More PostgreSQL rows than SQLite rows: stop comparing (the COPY is drained).
      if (next.done) { overflow = true; return false; }
      seen++;
      const srow = next.value;
      let pos = line.indexOf("\t");
      let ok = pos > 0;
      for (let k = 0; ok && k < ntail; k++) {
        const start = pos + 1;
        let end = line.indexOf("\t", start);
        if (end < 0) {
          if (k < ntail - 1 || hasLine) { ok = false; break; }
          end = line.length;
        }
        const { col, kind } = lay.tail[k];
        ok = tailEqual(kind, col, srow[1 + k], line.slice(start, end), zone);
        pos = end;
      }
      if (ok && hasLine) {
        const want = srow[0];
        const start = pos + 1;
        // The predicted text is the end of the line (endsWith is much cheaper than startsWith at an offset).
        ok = typeof want === "string" && line.length - start === want.length && line.endsWith(want);
      }
      if (!ok) {
        suspects.push({ key: srow.slice(1 + ntail), ctid: line.slice(0, line.indexOf("\t") < 0 ? line.length : line.indexOf("\t")) });
        if (suspects.length > MAX_SUSPECTS) { overflow = true; return false; }
      }
      return true;
    });
    if (!overflow && !iter.next().done) return { equal: "unsure", reason: "SQLite returned more rows than PostgreSQL" };
  } finally {
    iter.return?.();
  }
  if (overflow) return suspects.length > MAX_SUSPECTS ? { equal: "unsure", reason: "too many rows differ", tooManyDiffer: true } : { equal: "unsure", reason: "PostgreSQL returned more rows than SQLite" };
  if (seen !== rows) return { equal: "unsure", reason: `read ${seen} rows, counted ${rows}` };
  return await recheckSuspects(db, client, t, table, zone, suspects, fetchKey, keyExprs, keyNames, from);
}

/** Compares the suspect pairs again, type-aware, each side read afresh by its key (SQLite) and ctid (PostgreSQL). */
async function recheckSuspects(db: SqliteDb, client: ClientBase, t: TablePlan, table: string, zone: string, suspects: { key: unknown[]; ctid: string }[], fetchKey: string[], keyExprs: string[], keyNames: string[], from: string): Promise<FastOutcome> {
  const generatedDifferences: VerifyMismatch[] = [];
  if (!suspects.length) return { equal: true, generatedDifferences, rechecked: 0 };
  const cols = t.columns;
  const srcCols = cols.map(sourceColumn);
  if (!fetchKey.length) return { equal: "unsure", reason: "no key to read differing rows again" };
  const one = db.prepare(`SELECT ${[...srcCols, ...keyExprs].join(", ")} ${from} WHERE ${fetchKey.map((k) => `${k} IS ?`).join(" AND ")}`).raw();
  one.safeIntegers(!!t.bigIntegers);
  for (let b = 0; b < suspects.length; b += SUSPECT_BATCH) {
    const batch = suspects.slice(b, b + SUSPECT_BATCH);
    const r = await client.query({
      text: `SELECT t.ctid::text, ${cols.map((c) => targetSelect(c, `t.${quoteIdent(c.target)}`)).join(", ")} FROM ${table} AS t WHERE t.ctid = ANY($1::tid[])`,
      values: [batch.map((s) => s.ctid)],
      rowMode: "array",
    });
    const byCtid = new Map<string, (string | null)[]>();
    for (const row of r.rows as (string | null)[][]) byCtid.set(row[0] as string, row.slice(1));
    for (const s of batch) {
      const trow = byCtid.get(s.ctid);
      const srcRows = one.all(...s.key) as unknown[][];
      if (!trow || srcRows.length !== 1) return { equal: "unsure", reason: "a differing row could not be read again by its key" };
      const srow = srcRows[0];
      for (let i = 0; i < cols.length; i++) {
        if (valuesEqual(cols[i], srow[i], trow[i], zone)) continue;
        if (!cols[i].generated) return { equal: "unsure", reason: `a value differs in column ${cols[i].source}` };
        if (generatedDifferences.length < MAX_GENERATED) generatedDifferences.push({ table: t.source, column: cols[i].source, key: showKey(keyNames, srow.slice(cols.length)), message: differenceMessage(cols[i], srow[i], trow[i], zone) });
      }
    }
  }
  return { equal: true, generatedDifferences, rechecked: suspects.length };
}
