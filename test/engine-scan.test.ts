/**
 * The plan's value scan (migrate/column-scan.ts) gives exactly the statistics of its previous,
 * slower query forms. The oracle below is the scan as it was before the fast paths (commit
 * ab73f0c): its SQL expressions, its class-count pass and its JS rechecks, unchanged except where
 * noted. Both run over real SQLite tables filled with adversarial values.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import Database from "better-sqlite3";
import { emptyStats, mergeAggregates, scanTable, showKey, showValue, sqliteAggregateRunner, valueCheckSql, type AggregateExpr, type AggregateRunner, type ScanColumn, type TableKey } from "../migrate/column-scan";
import { classifyDeclared, type TypeFamily } from "../migrate/declared-type";
import type { ColumnStats, Sample } from "../migrate/plan-types";
import { quoteSqliteIdent } from "../migrate/quote";
import type { SqliteDb } from "../migrate/sqlite-source";
import { decimalShape, normalizeDateText, normalizeTimeText, parseDateTimeText, shortestDecimal } from "../migrate/value-formats";

// ---------------------------------------------------------------------------------------------
// The oracle: the scan before the fast paths.
type Cls = "integer" | "real" | "text" | "blob";
const EXPECTED: Record<TypeFamily["kind"], Cls[]> = {
  integer: ["integer"], real: ["real", "integer"], numeric: ["integer", "real"], varchar: ["text"], text: ["text"],
  blob: ["blob"], datetime: ["text", "integer", "real"], date: ["text"], time: ["text"], boolean: ["integer", "text"],
  uuid: ["text"], json: ["text", "integer", "real"], inferred: ["integer", "real", "text", "blob"],
};
const UUID_OK = (q: string) => `(CASE WHEN typeof(${q}) <> 'text' THEN 0 WHEN length(${q}) = 32 THEN unhex(${q}) IS NOT NULL WHEN length(${q}) <> 36 THEN 0 WHEN (substr(${q}, 9, 1) || substr(${q}, 14, 1) || substr(${q}, 19, 1) || substr(${q}, 24, 1)) <> '----' THEN 0 ELSE ifnull(length(unhex(${q}, '-')), 0) = 16 END)`;
const BOOL_BAD = (q: string) => `(CASE typeof(${q}) WHEN 'integer' THEN ${q} NOT IN (0, 1) WHEN 'real' THEN ${q} NOT IN (0, 1) WHEN 'text' THEN lower(${q}) NOT IN ('t', 'f', 'true', 'false', '0', '1') WHEN 'blob' THEN 1 ELSE 0 END)`;
const JSON_BAD = (q: string) => `(CASE typeof(${q}) WHEN 'text' THEN (NOT json_valid(${q}) OR instr(${q}, '\\u0000') > 0) WHEN 'blob' THEN NOT json_valid(${q}, 8) ELSE 0 END)`;
const NUL_BAD = (q: string) => `(CASE WHEN typeof(${q}) = 'text' THEN instr(CAST(${q} AS BLOB), x'00') > 0 ELSE 0 END)`;
const BIG_INT = (q: string) => `(CASE WHEN typeof(${q}) = 'integer' THEN ${q} > 9007199254740992 OR ${q} < -9007199254740992 ELSE 0 END)`;
const DT_BAD = (q: string) => `(CASE WHEN typeof(${q}) <> 'text' THEN 0 WHEN length(${q}) > 32 THEN 1 WHEN date(substr(${q}, 1, 10)) IS NOT substr(${q}, 1, 10) THEN 1 WHEN datetime(${q}) IS NULL THEN 1 WHEN instr(${q}, '.') = 0 THEN 0 WHEN substr(${q}, instr(${q}, '.') + 7, 1) BETWEEN '0' AND '9' THEN 1 ELSE 0 END)`;
const DATE_BAD = (q: string) => `(CASE WHEN ${q} IS NULL THEN 0 WHEN typeof(${q}) <> 'text' THEN 1 WHEN length(${q}) <> 10 THEN 1 WHEN date(${q}) IS NOT ${q} THEN 1 ELSE 0 END)`;
const TIME_BAD = (q: string) => `(CASE WHEN ${q} IS NULL THEN 0 WHEN typeof(${q}) <> 'text' THEN 1 WHEN length(${q}) > 15 THEN 1 WHEN NOT ${q} GLOB '[0-2][0-9]:[0-5][0-9]*' THEN 1 WHEN ${q} GLOB '*[^0-9:.]*' THEN 1 WHEN time(${q}) IS NULL THEN 1 ELSE 0 END)`;
const NUM_BAD = (q: string, p: number, sc: number) => `(CASE typeof(${q}) WHEN 'integer' THEN NOT (${q} < 1e${p - sc} AND ${q} > -1e${p - sc}) WHEN 'real' THEN CASE WHEN ${q} < 1e${p - sc} AND ${q} > -1e${p - sc} THEN round(${q}, ${sc}) <> ${q} ELSE 1 END ELSE 0 END)`;
const EXPECTED_CLASS: Record<TypeFamily["kind"], Cls | undefined> = {
  integer: "integer", real: "real", numeric: undefined, varchar: "text", text: "text", blob: "blob", datetime: "text",
  date: "text", time: "text", boolean: "integer", uuid: "text", json: "text", inferred: undefined,
};
/**
 * The old integer-column extremes were `max(c)` / `min(c)` over every value. In a column that also
 * holds text (or a larger real), max() returns that text and a big integer went uncounted; the scan
 * now compares integers only (see the test "integer extremes"). The oracle uses the corrected form.
 */
const INT_MAX = (q: string) => `max(CASE WHEN typeof(${q}) = 'integer' THEN ${q} END)`;
const INT_MIN = (q: string) => `min(CASE WHEN typeof(${q}) = 'integer' THEN ${q} END)`;
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

function oracleScan(db: SqliteDb, table: string, columns: ScanColumn[], key: TableKey): Map<string, ColumnStats> {
  const qt = quoteSqliteIdent(table);
  const out = new Map<string, ColumnStats>();
  const rows = num(db.prepare(`SELECT count(*) FROM main.${qt}`).pluck().get());
  for (const c of columns) out.set(c.name, { ...emptyStats(), rows });
  if (rows === 0 || columns.length === 0) return out;
  type Agg = { expr: string; set: (s: ColumnStats, v: unknown) => void };
  const nonNull = new Map<string, number>();
  const expectedCount = new Map<string, number>();
  const aggs: { col: ScanColumn; list: Agg[] }[] = columns.map((c) => {
    const q = quoteSqliteIdent(c.name);
    const k = c.family.kind;
    const e = EXPECTED_CLASS[k];
    const list: Agg[] = [{ expr: `count(${q})`, set: (_s, v) => { nonNull.set(c.name, num(v)); } }];
    if (e && !c.sampleAll) list.push({ expr: `sum(CASE WHEN typeof(${q}) = '${e}' THEN 1 ELSE 0 END)`, set: (_s, v) => { expectedCount.set(c.name, num(v)); } });
    if (k === "integer") {
      const big = (v: unknown) => typeof v === "bigint" && (v > 9007199254740992n || v < -9007199254740992n);
      list.push({ expr: INT_MAX(q), set: (s, v) => { if (big(v)) s.intBeyondDouble++; } });
      list.push({ expr: INT_MIN(q), set: (s, v) => { if (big(v)) s.intBeyondDouble++; } });
    }
    if (k === "varchar" || k === "inferred" || c.sampleAll) list.push({ expr: `coalesce(max(CASE WHEN typeof(${q}) = 'text' THEN length(${q}) END), 0)`, set: (s, v) => { s.maxTextChars = num(v); } });
    if (["varchar", "text", "json", "datetime", "blob", "inferred"].includes(k) || c.sampleAll) list.push({ expr: `sum(${NUL_BAD(q)})`, set: (s, v) => { s.textWithNul = num(v); } });
    if (k === "real" || k === "inferred" || k === "datetime" || k === "numeric" || k === "json" || c.sampleAll) list.push({ expr: `sum(${BIG_INT(q)})`, set: (s, v) => { s.intBeyondDouble = num(v); } });
    if (c.json) list.push({ expr: `sum(${JSON_BAD(q)})`, set: (s, v) => { s.jsonInvalid = num(v); } });
    if (c.profile) {
      const ck = c.checks;
      if (ck.uuid) list.push({ expr: `sum(${UUID_OK(q)})`, set: (s, v) => { s.uuidText = num(v); } });
      if (ck.boolean) list.push({ expr: `sum(${BOOL_BAD(q)})`, set: (s, v) => { s.booleanBad = num(v); } });
      if (ck.datetime) list.push({ expr: `sum(${DT_BAD(q)})`, set: (s, v) => { s.datetimeBad = num(v); } });
      if (ck.date) list.push({ expr: `sum(${DATE_BAD(q)})`, set: (s, v) => { s.dateBad = num(v); } });
      if (ck.time) list.push({ expr: `sum(${TIME_BAD(q)})`, set: (s, v) => { s.timeBad = num(v); } });
      if (ck.datetime || k === "numeric" || k === "inferred" || c.sampleAll) list.push({ expr: `coalesce(max(CASE WHEN typeof(${q}) IN ('integer', 'real') THEN (CASE WHEN ${q} < 0 THEN -1.0 * ${q} ELSE 1.0 * ${q} END) END), 0)`, set: (s, v) => { s.epochMaxAbs = num(v); } });
      if (ck.datetime || k === "numeric" || c.sampleAll) list.push({ expr: `sum(CASE WHEN typeof(${q}) = 'real' THEN ${q} = 9e999 OR ${q} = -9e999 ELSE 0 END)`, set: (s, v) => { s.nonFinite = num(v); } });
      if (ck.datetime) list.push({ expr: `min(CASE WHEN typeof(${q}) IN ('integer', 'real') THEN ${q} END)`, set: (s, v) => { if (v !== null && v !== undefined) s.epochMin = num(v); } });
      if (c.family.kind === "numeric" && c.family.precision !== undefined) {
        list.push({ expr: `sum(${NUM_BAD(q, c.family.precision, c.family.scale ?? 0)})`, set: (s, v) => { if (num(v) > 0) s.numericScale = -1; } });
      }
    }
    return { col: c, list };
  });
  const runAggs = (flat: { col: ScanColumn; expr: string; set: (s: ColumnStats, v: unknown) => void }[]) => {
    for (let start = 0; start < flat.length; start += 1000) {
      const chunk = flat.slice(start, start + 1000);
      const r = db.prepare(`SELECT ${chunk.map((x) => x.expr).join(", ")} FROM main.${qt}`).raw().get() as unknown[];
      chunk.forEach((x, i) => x.set(out.get(x.col.name)!, r[i]));
    }
  };
  runAggs(aggs.flatMap((a) => a.list.map((x) => ({ col: a.col, ...x }))));
  const detailed: { col: ScanColumn; expr: string; set: (s: ColumnStats, v: unknown) => void }[] = [];
  for (const c of columns) {
    const s = out.get(c.name)!;
    const e = EXPECTED_CLASS[c.family.kind];
    const n = nonNull.get(c.name) ?? 0;
    if (e && !c.sampleAll && expectedCount.get(c.name) === n) { s.storage[e] = n; continue; }
    const q = quoteSqliteIdent(c.name);
    for (const cls of ["integer", "real", "text", "blob"] as const) detailed.push({ col: c, expr: `sum(CASE WHEN typeof(${q}) = '${cls}' THEN 1 ELSE 0 END)`, set: (st, v) => { st.storage[cls] = num(v); } });
  }
  if (detailed.length) runAggs(detailed);
  for (const c of columns) {
    const s = out.get(c.name)!;
    s.storage.null = rows - s.storage.integer - s.storage.real - s.storage.text - s.storage.blob;
  }
  const sampleOf = (col: string, cond: string): Sample | undefined => {
    const q = quoteSqliteIdent(col);
    const row = db.prepare(`SELECT ${key.exprs.join(", ")}, ${q} FROM main.${qt} WHERE ${cond} LIMIT 1`).raw().get() as unknown[] | undefined;
    return row ? { key: showKey(key.names, row.slice(0, key.exprs.length)), value: showValue(row[row.length - 1]) } : undefined;
  };
  for (const c of columns) {
    const s = out.get(c.name)!;
    const q = quoteSqliteIdent(c.name);
    const present = (["integer", "real", "text", "blob"] as const).filter((k) => s.storage[k] > 0);
    const expected = EXPECTED[c.family.kind];
    for (const k of present) {
      if (c.sampleAll || present.length > 1 || !expected.includes(k)) s.firstOfClass[k] = sampleOf(c.name, `typeof(${q}) = '${k}'`);
    }
    if (s.textWithNul) s.firstTextWithNul = sampleOf(c.name, NUL_BAD(q));
    if (s.intBeyondDouble) s.firstIntBeyondDouble = sampleOf(c.name, `${BIG_INT(q)}`);
    if (c.maxChars !== undefined && s.maxTextChars > c.maxChars) {
      const row = db.prepare(`SELECT ${key.exprs.join(", ")}, ${q}, length(${q}) FROM main.${qt} WHERE typeof(${q}) = 'text' AND length(${q}) > ${c.maxChars} LIMIT 1`).raw().get() as unknown[] | undefined;
      if (row) s.firstTooLong = { key: showKey(key.names, row.slice(0, key.exprs.length)), value: `${showValue(row[key.exprs.length])} (${String(row[key.exprs.length + 1])} characters)` };
    }
    if (s.jsonInvalid) s.firstJsonInvalid = sampleOf(c.name, JSON_BAD(q));
    if (c.checks.uuid && s.uuidText < s.storage.text) s.firstNonUuid = sampleOf(c.name, `typeof(${q})='text' AND NOT ${UUID_OK(q)}`);
    if (s.booleanBad) s.firstBooleanBad = sampleOf(c.name, BOOL_BAD(q));
    if (s.nonFinite) s.firstNonFinite = sampleOf(c.name, `typeof(${q})='real' AND (${q} = 9e999 OR ${q} = -9e999)`);
  }
  for (const c of columns) {
    const s = out.get(c.name)!;
    const q = quoteSqliteIdent(c.name);
    const recheck = (cond: string, bad: (v: unknown) => boolean, record: (n: number, sample?: Sample) => void) => {
      let n = 0;
      let first: Sample | undefined;
      const stmt = db.prepare(`SELECT ${key.exprs.join(", ")}, ${q} FROM main.${qt} WHERE ${cond}`).raw();
      for (const row of stmt.iterate() as IterableIterator<unknown[]>) {
        const v = row[row.length - 1];
        if (bad(v)) { n++; if (!first) first = { key: showKey(key.names, row.slice(0, -1)), value: showValue(v) }; }
      }
      record(n, first);
    };
    if (s.datetimeBad) recheck(DT_BAD(q), (v) => !parseDateTimeText(String(v)), (n, f) => { s.datetimeBad = n; s.firstDatetimeBad = f; });
    if (s.dateBad) recheck(DATE_BAD(q), (v) => typeof v !== "string" || !normalizeDateText(v), (n, f) => { s.dateBad = n; s.firstDateBad = f; });
    if (s.timeBad) recheck(TIME_BAD(q), (v) => typeof v !== "string" || !normalizeTimeText(v), (n, f) => { s.timeBad = n; s.firstTimeBad = f; });
    if (s.numericScale < 0 && c.family.kind === "numeric" && c.family.precision !== undefined) {
      s.numericScale = 0;
      const p = c.family.precision;
      const sc = c.family.scale ?? 0;
      recheck(NUM_BAD(q, p, sc), (v) => {
        let intDigits = 0;
        let scale = 0;
        if (typeof v === "bigint") intDigits = (v < 0n ? -v : v).toString().length;
        else if (typeof v === "number" && Number.isFinite(v)) ({ intDigits, scale } = decimalShape(shortestDecimal(v)));
        s.numericIntDigits = Math.max(s.numericIntDigits, intDigits);
        s.numericScale = Math.max(s.numericScale, scale);
        return intDigits > p - sc || scale > sc;
      }, (_n, f) => { if (f) s.firstNumericMisfit = f; });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Adversarial values, as SQL literals.
const DATETIMES = [
  "'2024-01-15 10:20:30.123456'", "'2024-02-29 00:00:00'", "'2023-02-29 00:00:00'", "'2024-02-30 12:00:00'", "'2023-02-28 23:59:59.999999'",
  "'2024-04-31 00:00:00'", "'2024-04-30 23:59:59'", "'2024-06-31 08:00:00'", "'2024-09-30 08:00:00'", "'2024-11-31 00:00:00'", "'2024-11-30 00:00:00'",
  "'2024-12-31 23:59:59.999999'", "'2024-12-30 01:02:03'", "'2024-12-29 01:02:03'", "'2024-12-32 01:02:03'", "'2024-01-31 00:00:00'", "'2024-03-31 00:00:00'",
  "'2024-05-31 00:00:00'", "'2024-07-31 00:00:00'", "'2024-08-31 00:00:00'", "'2024-10-31 00:00:00'", "'2024-02-31 00:00:00'", "'2024-01-09 10:00:00'",
  "'2024-01-19 10:00:00'", "'2024-01-29 10:00:00'", "'2024-02-09 10:00:00'", "'2024-02-19 10:00:00'", "'2024-01-10 10:00:00'", "'2024-01-20 10:00:00'",
  "'2024-01-01 24:00:00'", "'2024-01-01 24:30:00'", "'2024-01-01 25:00:00'", "'2024-01-01 23:60:00'", "'2024-01-01 23:59:60'", "'2024-01-01 23:59:59.9999999'",
  "'2024-01-01 12:00:00.1234567'", "'2024-01-01 12:00:00.123456'", "'2024-01-01 12:00:00.12345'", "'2024-01-01 12:00:00.1'", "'2024-01-01 12:00:00.'",
  "'0000-01-01 00:00:00'", "'0000-02-29 00:00:00'", "'0000-02-28 12:00:00'", "'1900-02-29 00:00:00'", "'2000-02-29 00:00:00'", "'2100-02-29 00:00:00'", "'9999-12-31 23:59:59.999999'",
  "'10000-01-01 00:00:00'", "'-001-01-01 00:00:00'", "'-0001-01-01 00:00:00'", "'0001-01-01 00:00:00'",
  "'2024-01-01T10:00:00'", "'2024-01-01T10:00:00.000Z'", "'2024-01-01T10:00:00.123456Z'", "'2024-01-01t10:00:00'", "'2024-01-01TT10:00:00'",
  "'2024-01-01 10:00:00+05:30'", "'2024-01-01 10:00:00-08:00'", "'2024-01-01 10:00:00.123456+05:30'", "'2024-01-01 10:00:00.1+05:30'", "'2024-01-01 10:00:00 Z'",
  "'2024-01-01 10:00:00Z'", "'2024-01-01 10:00:00z'", "'2024-01-01 10:00:00+24:00'", "'2024-01-01 10:00:00+05'", "'2024-01-01 10:00:00 +05:00'",
  "'2024-01-01 10:00:00.5Z   '", "'2024-01-01 10:00:00   '", "'2024-01-15 10:20:30.123456 '", "'2024-01-15 10:20:30.12345 '",
  "'2024-01-01'", "'2024-02-30'", "'2024-01-01 10:00'", "'2024-01-01 10:00Z'", "'10:00:00'", "'10:00'", "'24:00:00'", "'10:00:00.1234567'",
  "'2024-1-01 10:00:00'", "'2024-01-1 10:00:00'", "'24-01-01 10:00:00'", "'2024/01/01 10:00:00'", "'2024-13-01 00:00:00'", "'2024-00-10 00:00:00'",
  "'2024-01-00 00:00:00'", "'2024-01-39 00:00:00'", "'2024-19-09 00:00:00'", "' 2024-01-01 00:00:00'", "'2024-01-01  10:00:00'", "'2024-01-01' || char(9) || '10:00:00'",
  "'2024-01-01' || char(10) || '10:00:00'", "'2460000.25'", "'2460000'", "'1700000000'", "'-5'", "'1e-5'", "'    -1e-05'", "'1234-56-78'", "'now'", "'NOW'", "'subsec'",
  "'abcd-ef-12 00:00:00'", "'2024-0a-01 00:00:00'", "'2024-01-01 1a:00:00'", "'2024-01-01 10:00:00.12a'", "'2024-01-01 10:00:00.1234567890123456789'",
  "'2024-01-01 10:00:00' || char(0) || 'x'", "'2024-01-01' || char(0) || '.1234567'", "'2024-01-01 10:00:00.123' || char(0) || '4567'", "'2024-02-30' || char(0)",
  "char(0) || '2024-01-01 10:00:00'", "'２０２４-01-01 10:00:00'", "'2024-01-1é 10:00:00'", "'2024-01-01 10:00:00.12é'", "'é024-01-01 10:00:00'",
  "'aaaa'", "''", "' '", "'2024-01-01 10:00:00.000000000000000'", "'2024-01-01 10:00:00.0000001'", "'2024-01-01 10:00:00.000000'",
  "1700000000", "1700000000000", "-5", "0", "1152921504606846976", "-1152921504606846976", "9007199254740993", "2460000.5", "1.5e300", "-0.0", "9e999", "-9e999", "0.5",
  "x'00'", "x'323032342d30312d3031'", "x''", "NULL",
];
const TEXTS = [
  "'plain'", "'a' || char(0) || 'b'", "char(0)", "'é' || char(0)", "'ünïcödé 日本語'", "''", "x'00'", "x'41'", "CAST('a' || char(0) AS BLOB)", "x'c328'",
  "CAST(x'c328' AS TEXT)", "CAST(x'ff00' AS TEXT)", "CAST(x'00ff' AS TEXT)", "printf('%.*c', 300, 'x')", "printf('%.*c', 300, 'x') || char(0)", "42", "4.5", "NULL",
  "'00000000000000000000000000000000'", "'0123456789ABCDEFabcdef0123456789'", "'0123456789abcdef0123456789abcdeg'", "'01234567-89ab-cdef-0123-456789abcdef'",
  "'01234567-89ab-cdef-0123-456789abcde-'", "'0123456789ab-cdef-0123-456789abcdef'", "'01234567-89ab-cdef-0123-456789abcdéf'", "x'0123456789abcdef0123456789abcdef'",
  "'t'", "'f'", "'TRUE'", "'False'", "'yes'", "'1'", "'0'", "'2'", "1", "0", "2", "1.0", "0.5",
];
const JSONS = [
  "'{\"a\":1}'", "'{\"a\":\"\\u0000\"}'", "'\"\\u0000\"'", "'[1,2'", "''", "'null'", "'{\"a\":1}' || char(0) || 'x'", "char(0)", "jsonb('{\"a\":[1,2]}')",
  "x'00'", "x'7b7d'", "1", "1.5", "'{a:1}'", "'[1,2,]'", "'{\"a\":\"\\U0000\"}'", "'\"\\\\u0000\"'", "'  [ ]  '", "NULL", "9007199254740993", "-9223372036854775808",
];
const NUMBERS = [
  "1.2345", "1.23456", "12345.6789", "123456.789", "999999.9999", "1000000.0", "-999999.99995", "0.1", "0.30000000000000004", "1e-5", "5e-5", "2.5e-5", "0.00005",
  "0.00015", "1.00005", "123.45675", "-0.0", "0.0", "1e308", "9e999", "-9e999", "9007199254740992", "9007199254740993", "-9007199254740993", "9223372036854775807",
  "-9223372036854775808", "3", "-3", "999999", "1000000", "'3.5'", "'1e5'", "'abc'", "x'01'", "NULL", "4503599627370496.5", "4503599627370497.0", "0.1 + 0.2", "1.0 / 3",
  "123456789012.345", "99999999999.9999", "100000000000.0", "12345678901234.5", "1234567890123.45", "0.000001", "0.0000001", "1e-300", "2.675", "1.005", "1.015",
];
const BOOLEANS = ["0", "1", "2", "-1", "'t'", "'f'", "'TRUE'", "'yes'", "'0'", "'1'", "0.0", "1.0", "0.5", "x'01'", "NULL", "'T'", "' t'"];
const DATES_TIMES = [
  "'2024-01-01'", "'2024-02-29'", "'2023-02-29'", "'2024-1-1'", "'2024-01-01 00:00:00'", "'0000-01-01'", "'10:00:00'", "'10:00'", "'10:00:00.123456'", "'24:00:00'",
  "'23:59:60'", "'10:00:00Z'", "'10:00:00+05:00'", "'1a:00:00'", "'10:00:00.1234567'", "'10:00:00' || char(0) || 'x'", "20240101", "1.5", "x'00'", "NULL", "''",
];

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Datetime-like strings: valid canonical ones with every day 28-31 and leap year, then mutated. */
function fuzzDatetimes(n: number): string[] {
  const r = rng(42);
  const pad = (x: number, w: number) => String(x).padStart(w, "0");
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const out: string[] = [];
  const noise = ["0", "1", "2", "3", "9", "-", ":", " ", "T", ".", "Z", "+", "\t", "\0", "a", "é", "/"];
  for (let i = 0; i < n; i++) {
    const y = pick([0, 1, 4, 100, 400, 1900, 1970, 2000, 2023, 2024, 2100, 9999, Math.floor(r() * 10000)]);
    const m = 1 + Math.floor(r() * 12);
    const d = r() < 0.5 ? 27 + Math.floor(r() * 6) : Math.floor(r() * 33);
    const time = `${pad(Math.floor(r() * 26), 2)}:${pad(Math.floor(r() * 61), 2)}:${pad(Math.floor(r() * 61), 2)}`;
    const frac = r() < 0.6 ? `.${String(Math.floor(r() * 1e9)).padStart(9, "0").slice(0, Math.floor(r() * 9) + 1)}` : "";
    const zone = pick(["", "", "", "Z", "+05:30", "-08:00", " "]);
    let s = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}${pick([" ", " ", "T"])}${time}${frac}${zone}`;
    const edits = r() < 0.5 ? 0 : 1 + Math.floor(r() * 2);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * (s.length + 1));
      const op = r();
      if (op < 0.5) s = s.slice(0, at) + pick(noise) + s.slice(at + 1);
      else if (op < 0.75) s = s.slice(0, at) + pick(noise) + s.slice(at);
      else s = s.slice(0, at) + s.slice(at + 1);
    }
    out.push(s);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tables and scan configurations.
const DECLARED = ["VARCHAR(12)", "TEXT", "JSON", "DATETIME", "DATE", "TIME", "BOOLEAN", "UUID", "CHAR(32)", "NUMERIC(10,4)", "NUMERIC(20,4)", "NUMERIC(5,0)", "DECIMAL(15,6)", "REAL", "INTEGER", "BLOB", ""];

function tableWith(db: Database.Database, name: string, values: string[], encodingNote = ""): { columns: string[]; key: TableKey } {
  const columns = DECLARED.map((d, i) => `c${i}_${d.replace(/[^A-Za-z0-9]/g, "") || "none"}${i === 8 ? "_id" : ""}${encodingNote}`);
  db.exec(`CREATE TABLE "${name}" (k INTEGER PRIMARY KEY, ${columns.map((c, i) => `"${c}" ${DECLARED[i]}`).join(", ")})`);
  // Each value once in every column, and shifted so that columns mix values of different rows.
  for (let r = 0; r < values.length; r++) {
    const row = columns.map((_c, i) => values[(r + i * 7) % values.length]);
    db.exec(`INSERT INTO "${name}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${row.join(", ")})`);
  }
  return { columns, key: { exprs: ["k"], names: ["k"] } };
}

/** Scan configurations: what plan-table asks for each declared type, then as overrides (sampleAll) with each check. */
function configs(columns: string[]): ScanColumn[][] {
  const byType = columns.map((name, i): ScanColumn => {
    const f = classifyDeclared(DECLARED[i]);
    const keyish = name.endsWith("_id");
    const uuidCandidate = (f.kind === "varchar" || f.kind === "text" || f.kind === "inferred") && keyish;
    const profile = ["uuid", "datetime", "date", "time", "boolean", "numeric", "inferred"].includes(f.kind) || uuidCandidate;
    return { name, family: f, profile, checks: { uuid: f.kind === "uuid" || uuidCandidate, boolean: f.kind === "boolean", datetime: f.kind === "datetime", date: f.kind === "date", time: f.kind === "time" }, json: f.kind === "json" || f.kind === "text", sampleAll: false, ...(f.kind === "varchar" && f.length !== undefined ? { maxChars: f.length } : {}) };
  });
  const override = (checks: ScanColumn["checks"], family?: TypeFamily) => columns.map((name, i): ScanColumn => ({ name, family: family ?? classifyDeclared(DECLARED[i]), profile: true, checks, json: true, sampleAll: true, maxChars: 8 }));
  return [
    byType,
    override({ datetime: true }),
    override({ uuid: true, boolean: true }),
    override({ date: true, time: true }),
    override({}, { kind: "numeric", precision: 12, scale: 2 }),
    override({}, { kind: "numeric", precision: 30, scale: 10 }),
  ];
}

/** Runs the aggregates per rowid range (one of them empty) and merges, as a threaded runner would. */
function splitRunner(db: Database.Database, cuts: number[]): AggregateRunner {
  return (table, exprs) => {
    const parts = [...cuts, Number.MAX_SAFE_INTEGER].map((hi, i, all) => {
      const lo = i === 0 ? Number.MIN_SAFE_INTEGER : all[i - 1] + 1;
      return db.prepare(`SELECT ${exprs.map((x) => x.expr).join(", ")} FROM main.${quoteSqliteIdent(table)} WHERE rowid BETWEEN ${lo} AND ${hi}`).raw().get() as unknown[];
    });
    return mergeAggregates(exprs, parts);
  };
}

function memoryDb(encoding?: string): Database.Database {
  const db = new Database(":memory:");
  if (encoding) db.pragma(`encoding = '${encoding}'`);
  db.defaultSafeIntegers(true);
  return db;
}

const SETS: [string, string[]][] = [
  ["datetimes", DATETIMES], ["texts", TEXTS], ["jsons", JSONS], ["numbers", NUMBERS], ["booleans", BOOLEANS], ["dates and times", DATES_TIMES],
  ["everything", [...DATETIMES, ...TEXTS, ...JSONS, ...NUMBERS, ...BOOLEANS, ...DATES_TIMES]],
  ["clean", ["'2024-01-15 10:20:30.123456'", "'2024-03-31 23:59:59'", "'2024-12-30 00:00:00.5'", "NULL"]],
];

for (const encoding of ["UTF-8", "UTF-16le"]) {
  test(`value scan statistics equal the previous query forms, column by column (${encoding})`, () => {
    const db = memoryDb(encoding);
    let compared = 0;
    for (const [name, values] of SETS) {
      const { columns, key } = tableWith(db, name, values);
      for (const cols of configs(columns)) {
        const want = oracleScan(db, name, cols, key);
        const got = scanTable(db, name, cols, key);
        for (const c of cols) {
          assert.deepEqual(got.get(c.name), want.get(c.name), `${name}: ${c.name} (${c.sampleAll ? "override" : "declared type"})`);
          compared++;
        }
        // Split by rowid range (one range empty) and merged: the same.
        const split = scanTable(db, name, cols, key, splitRunner(db, [Math.floor(values.length / 2), 3, 3].sort((x, y) => x - y)));
        assert.deepEqual(split, got, `${name}: split runner`);
      }
    }
    assert.equal(compared, SETS.length * 6 * DECLARED.length);
    db.close();
  });
}

test("the statistics are not trivially equal: the adversarial tables trip every check", () => {
  const db = memoryDb();
  const { columns, key } = tableWith(db, "everything", SETS.find(([n]) => n === "everything")![1]);
  const all = configs(columns).flatMap((cols) => [...scanTable(db, "everything", cols, key).values()]);
  const fields: (keyof ColumnStats)[] = ["textWithNul", "uuidText", "booleanBad", "datetimeBad", "dateBad", "timeBad", "nonFinite", "jsonInvalid", "intBeyondDouble", "numericScale", "numericIntDigits", "epochMaxAbs", "maxTextChars"];
  for (const f of fields) assert.ok(all.some((s) => Number(s[f]) > 0), `some column has ${f} > 0`);
  assert.ok(all.some((s) => s.epochMin !== undefined && s.epochMin < 0));
  assert.ok(all.some((s) => Object.values(s.storage).every((n) => n > 0)), "a column holds all four classes and NULL");
  db.close();
});

test("datetime fast path: row by row the same as the full check, on 20,000 fuzzed strings", () => {
  const db = memoryDb();
  db.exec("CREATE TABLE f (k INTEGER PRIMARY KEY, v DATETIME)");
  const ins = db.prepare("INSERT INTO f (v) VALUES (?)");
  db.transaction(() => { for (const s of fuzzDatetimes(20000)) ins.run(s); })();
  for (const v of DATETIMES) db.exec(`INSERT INTO f (v) VALUES (${v})`);
  const q = '"v"';
  const diff = db.prepare(`SELECT v FROM f WHERE ${valueCheckSql.datetimeBad(q)} IS NOT ${DT_BAD(q)}`).pluck().all();
  assert.deepEqual(diff, []);
  const [good, bad] = db.prepare(`SELECT sum(${DT_BAD(q)} = 0), sum(${DT_BAD(q)} = 1) FROM f`).raw().get() as bigint[];
  assert.ok(good > 5000n && bad > 5000n, `both outcomes are well represented (${good} good, ${bad} bad)`);
  db.close();
});

test("numeric fit fast path: row by row the same as round(), for precisions on both sides of 15", () => {
  const db = memoryDb();
  db.exec("CREATE TABLE f (k INTEGER PRIMARY KEY, v REAL)");
  const ins = db.prepare("INSERT INTO f (v) VALUES (?)");
  const r = rng(7);
  db.transaction(() => {
    for (let i = 0; i < 20000; i++) {
      const scale = Math.floor(r() * 8);
      const digits = 1 + Math.floor(r() * 16);
      const k = Math.floor(r() * 10 ** digits) * (r() < 0.3 ? -1 : 1);
      const choice = r();
      let v = k / 10 ** scale; // the double nearest to a decimal with `scale` places (fits when scale <= s)
      if (choice < 0.2) v = r() * 10 ** (digits - scale); // arbitrary doubles
      else if (choice < 0.3) v = (k + 0.5) / 10 ** scale; // ties at the next place
      else if (choice < 0.4) v = k / 10 ** scale + Number.EPSILON * Math.abs(k) / 10 ** scale; // one ulp-ish off
      ins.run(v);
    }
    for (const x of [0.1 + 0.2, 1.005, 2.675, 1e-300, 5e-324, 4503599627370496.5, 999999.99995, -0, 1e15, 1e16 - 1]) ins.run(x);
  })();
  let compared = 0;
  for (const [p, s] of [[10, 4], [5, 0], [12, 2], [15, 4], [15, 0], [15, 7], [16, 4], [20, 6], [9, 9], [38, 10]]) {
    const q = '"v"';
    const diff = db.prepare(`SELECT v FROM f WHERE ${valueCheckSql.numericMisfit(q, p, s)} IS NOT ${NUM_BAD(q, p, s)}`).pluck().all();
    assert.deepEqual(diff, [], `numeric(${p},${s})`);
    compared++;
  }
  const [fit, misfit] = db.prepare(`SELECT sum(${NUM_BAD('"v"', 10, 4)} = 0), sum(${NUM_BAD('"v"', 10, 4)} = 1) FROM f`).raw().get() as bigint[];
  assert.ok(fit > 1000n && misfit > 1000n, `both outcomes are well represented (${fit} fit, ${misfit} misfit)`);
  assert.equal(compared, 10);
  db.close();
});

test("NUL screen: never misses a text value with a NUL byte (UTF-8), whatever else the row holds", () => {
  const db = memoryDb();
  db.exec("CREATE TABLE f (k INTEGER PRIMARY KEY, v)");
  for (const v of [...TEXTS, ...JSONS, ...DATETIMES, ...NUMBERS]) db.exec(`INSERT INTO f (v) VALUES (${v})`);
  const q = '"v"';
  const missed = db.prepare(`SELECT count(*) FROM f WHERE ${NUL_BAD(q)} AND NOT (CASE WHEN ${valueCheckSql.nulScreen(q, false)} THEN 1 ELSE 0 END)`).pluck().get();
  const missedGuarded = db.prepare(`SELECT count(*) FROM f WHERE ${NUL_BAD(q)} AND NOT (CASE WHEN ${valueCheckSql.nulScreen(q, true)} THEN 1 ELSE 0 END)`).pluck().get();
  const found = db.prepare(`SELECT count(*) FROM f WHERE ${NUL_BAD(q)}`).pluck().get();
  assert.equal(Number(missed), 0);
  assert.equal(Number(missedGuarded), 0);
  assert.ok(Number(found) >= 8, `the set has text values with NUL (${found})`);
  db.close();
});

test("integer extremes: a big integer next to text in an integer column is counted (max(c) over all values missed it)", () => {
  const db = memoryDb();
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, n INTEGER, m INTEGER)");
  db.exec("INSERT INTO t (n, m) VALUES (9007199254740993, 5), ('text', 1.5e300), (1, -9007199254740993)");
  const cols: ScanColumn[] = ["n", "m"].map((name) => ({ name, family: { kind: "integer" }, profile: false, checks: {}, json: false, sampleAll: false }));
  const got = scanTable(db, "t", cols, { exprs: ["k"], names: ["k"] });
  assert.equal(got.get("n")!.intBeyondDouble, 1);
  assert.equal(got.get("m")!.intBeyondDouble, 1);
  // The previous form: max() returns the text (text sorts after numbers), min() the small integer.
  const [max, min] = db.prepare("SELECT max(n), min(n) FROM t").raw().get() as unknown[];
  assert.equal(max, "text");
  assert.equal(min, 1n);
  db.close();
});

test("the default runner and the merge: one query per 1000 expressions, partial results combined as declared", () => {
  const db = memoryDb();
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, x)");
  db.exec("INSERT INTO t (x) VALUES (1), (9007199254740993), (-2.5), ('a'), (NULL)");
  const exprs: AggregateExpr[] = [
    ...Array.from({ length: 1200 }, (_v, i): AggregateExpr => ({ expr: `sum(CASE WHEN typeof(x) = 'integer' THEN ${i} ELSE 0 END)`, merge: "sum" })),
    { expr: "max(CASE WHEN typeof(x) IN ('integer', 'real') THEN x END)", merge: "max" },
    { expr: "min(CASE WHEN typeof(x) IN ('integer', 'real') THEN x END)", merge: "min" },
  ];
  const whole = sqliteAggregateRunner(db)("t", exprs);
  assert.equal(whole.length, exprs.length);
  assert.equal(whole[1199], 2398n);
  assert.equal(whole[1200], 9007199254740993n);
  assert.equal(whole[1201], -2.5);
  for (const cuts of [[1], [2, 4], [0, 0, 9]]) assert.deepEqual(splitRunner(db, cuts)("t", exprs), whole, `cuts ${cuts.join(",")}`);
  assert.deepEqual(mergeAggregates([{ expr: "sum(x)", merge: "sum" }, { expr: "max(x)", merge: "max" }], [[null, null], [2n, 3], [3, 7n]]), [5n, 7n]);
  assert.throws(() => mergeAggregates([{ expr: "max(x)", merge: "max" }], [["a"]]), /not a number/);
  db.close();
});
