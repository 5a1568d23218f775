/**
 * Scans the values of one table before anything is written: storage classes,
 * lengths, NUL bytes and JSON validity in SQL (C speed), then one JS pass
 * over just the columns whose type depends on the values (UUIDs, datetimes,
 * booleans, numerics).
 */
import { isUtf8 } from "node:buffer";
import type { TypeFamily } from "./declared-type";
import type { ColumnStats, Sample } from "./plan-types";
import { quoteSqliteIdent } from "./quote";
import type { SqliteDb } from "./sqlite-source";
import { decimalShape, normalizeDateText, normalizeTimeText, parseDateTimeText, shortestDecimal } from "./value-formats";

/** Value checks a column's text values need (only these run: each is a regex per value). */
export interface TextChecks {
  uuid?: boolean;
  boolean?: boolean;
  datetime?: boolean;
  date?: boolean;
  time?: boolean;
}

export interface ScanColumn {
  name: string;
  family: TypeFamily;
  /** Compute the JS value profile (uuid/boolean/datetime/numeric checks). */
  profile: boolean;
  /** Which text parsers the profile runs. */
  checks: TextChecks;
  /** Check JSON validity in SQL. */
  json: boolean;
  /** Take a sample of every storage class present. */
  sampleAll: boolean;
}

type Cls = "integer" | "real" | "text" | "blob";

const EXPECTED: Record<TypeFamily["kind"], Cls[]> = {
  integer: ["integer"], real: ["real", "integer"], numeric: ["integer", "real"], varchar: ["text"], text: ["text"],
  blob: ["blob"], datetime: ["text", "integer", "real"], date: ["text"], time: ["text"], boolean: ["integer", "text"],
  uuid: ["text"], json: ["text", "integer", "real"], inferred: ["integer", "real", "text", "blob"],
};

/** Exact UUID test (32 hex or 8-4-4-4-12), same as `parseUuid`. */
const HEX_CHARS = "'0123456789abcdefABCDEF'";
const UUID_OK = (q: string) => `(typeof(${q})='text' AND CASE length(${q}) WHEN 32 THEN ltrim(${q}, ${HEX_CHARS}) = '' WHEN 36 THEN (substr(${q}, 9, 1) || substr(${q}, 14, 1) || substr(${q}, 19, 1) || substr(${q}, 24, 1)) = '----' AND ltrim(replace(${q}, '-', ''), ${HEX_CHARS}) = '' AND length(replace(${q}, '-', '')) = 32 ELSE 0 END)`;
/** Exact boolean test, same as `isBooleanText` for text. */
const BOOL_BAD = (q: string) => `(CASE typeof(${q}) WHEN 'integer' THEN ${q} NOT IN (0, 1) WHEN 'real' THEN ${q} NOT IN (0, 1) WHEN 'text' THEN lower(${q}) NOT IN ('t', 'f', 'true', 'false', '0', '1') WHEN 'blob' THEN 1 ELSE 0 END)`;
/** JSON that PostgreSQL jsonb accepts: RFC 8259 text without \u0000, or SQLite JSONB blobs (turned into text by json()). */
const JSON_BAD = (q: string) => `(CASE typeof(${q}) WHEN 'text' THEN (NOT json_valid(${q}) OR instr(${q}, '\\u0000') > 0) WHEN 'blob' THEN NOT json_valid(${q}, 8) ELSE 0 END)`;
/** Datetime text SQLite itself reads, with a real calendar date and at most 6 fractional digits. Rows failing this are re-checked in JS. */
const DT_OK = (q: string) => `length(${q}) <= 32 AND date(substr(${q}, 1, 10)) = substr(${q}, 1, 10) AND datetime(${q}) IS NOT NULL AND (instr(${q}, '.') = 0 OR NOT substr(${q}, instr(${q}, '.') + 7, 1) BETWEEN '0' AND '9')`;
const DATE_OK = (q: string) => `typeof(${q}) = 'text' AND length(${q}) = 10 AND date(${q}) = ${q}`;
const TIME_OK = (q: string) => `typeof(${q}) = 'text' AND ${q} GLOB '[0-2][0-9]:[0-5][0-9]*' AND length(${q}) <= 15 AND time(${q}) IS NOT NULL AND NOT ${q} GLOB '*[^0-9:.]*'`;
/** Fits numeric(p,s) exactly: below 10^(p-s), and (for reals) s decimals round-trip. */
const NUM_FIT = (q: string, p: number, sc: number) => `typeof(${q}) NOT IN ('integer', 'real') OR (${q} < 1e${p - sc} AND ${q} > -1e${p - sc} AND (typeof(${q}) = 'integer' OR round(${q}, ${sc}) = ${q}))`;

export function emptyStats(): ColumnStats {
  return {
    rows: 0, storage: { integer: 0, real: 0, text: 0, blob: 0, null: 0 }, maxTextChars: 0, textWithNul: 0,
    uuidText: 0, booleanBad: 0, datetimeBad: 0, epochMaxAbs: 0, dateBad: 0, timeBad: 0,
    numericIntDigits: 0, numericScale: 0, nonFinite: 0, jsonInvalid: 0, intBeyondDouble: 0, firstOfClass: {},
  };
}

/** A readable rendering of a SQLite value for messages (truncated). */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "bigint" || typeof v === "number") return String(v);
  if (Buffer.isBuffer(v)) return `x'${v.subarray(0, 24).toString("hex")}${v.length > 24 ? "…" : ""}' (${v.length} bytes${isUtf8(v) ? "" : ", not valid UTF-8"})`;
  const s = String(v);
  const shown = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return `'${shown.replace(/\u0000/g, "\\0").replace(/'/g, "''")}'`;
}

/** Formats a row key: `id=42` or `a=1, b='x'`. */
export function showKey(names: string[], values: unknown[]): string {
  return names.map((n, i) => `${n}=${showValue(values[i])}`).join(", ");
}

export interface TableKey {
  /** SQLite expressions selecting the key (quoted columns or a rowid alias). */
  exprs: string[];
  /** Names shown in messages. */
  names: string[];
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

export function scanTable(db: SqliteDb, table: string, columns: ScanColumn[], key: TableKey): Map<string, ColumnStats> {
  const qt = quoteSqliteIdent(table);
  const out = new Map<string, ColumnStats>();
  const rows = num(db.prepare(`SELECT count(*) FROM main.${qt}`).pluck().get());
  for (const c of columns) out.set(c.name, { ...emptyStats(), rows });
  if (rows === 0 || columns.length === 0) return out;

  // 1. Aggregates in SQL (C speed), in chunks (SQLite caps result columns at 2000). The value
  //    checks are exact in SQL where possible (UUID, boolean); datetime/date/time/numeric use a
  //    SQL pre-check and only the rows it cannot vouch for go through the JS parsers (step 3).
  type Agg = { expr: string; set: (s: ColumnStats, v: number) => void };
  const aggs: { col: ScanColumn; list: Agg[] }[] = columns.map((c) => {
    const q = quoteSqliteIdent(c.name);
    const k = c.family.kind;
    const list: Agg[] = [
      { expr: `sum(typeof(${q})='integer')`, set: (s, v) => { s.storage.integer = v; } },
      { expr: `sum(typeof(${q})='real')`, set: (s, v) => { s.storage.real = v; } },
      { expr: `sum(typeof(${q})='text')`, set: (s, v) => { s.storage.text = v; } },
      { expr: `sum(typeof(${q})='blob')`, set: (s, v) => { s.storage.blob = v; } },
    ];
    // Only what the mapping of this family can use: each expression costs a pass over the values.
    if (k === "varchar" || k === "inferred" || c.sampleAll) list.push({ expr: `coalesce(max(CASE WHEN typeof(${q})='text' THEN length(${q}) END), 0)`, set: (s, v) => { s.maxTextChars = v; } });
    if (k !== "integer" && k !== "real" && k !== "numeric" && k !== "boolean") list.push({ expr: `sum(typeof(${q})='text' AND instr(CAST(${q} AS BLOB), x'00') > 0)`, set: (s, v) => { s.textWithNul = v; } });
    if (k === "real" || k === "inferred" || c.sampleAll) list.push({ expr: `sum(typeof(${q})='integer' AND (${q} > 9007199254740992 OR ${q} < -9007199254740992))`, set: (s, v) => { s.intBeyondDouble = v; } });
    if (c.json) list.push({ expr: `sum(${JSON_BAD(q)})`, set: (s, v) => { s.jsonInvalid = v; } });
    if (c.profile) {
      const ck = c.checks;
      if (ck.uuid) list.push({ expr: `sum(${UUID_OK(q)})`, set: (s, v) => { s.uuidText = v; } });
      if (ck.boolean) list.push({ expr: `sum(${BOOL_BAD(q)})`, set: (s, v) => { s.booleanBad = v; } });
      if (ck.datetime) list.push({ expr: `sum(typeof(${q}) = 'text' AND NOT (${DT_OK(q)}))`, set: (s, v) => { s.datetimeBad = v; } });
      if (ck.date) list.push({ expr: `sum(${q} IS NOT NULL AND NOT (${DATE_OK(q)}))`, set: (s, v) => { s.dateBad = v; } });
      if (ck.time) list.push({ expr: `sum(${q} IS NOT NULL AND NOT (${TIME_OK(q)}))`, set: (s, v) => { s.timeBad = v; } });
      if (ck.datetime || k === "numeric" || k === "inferred" || c.sampleAll) list.push({ expr: `coalesce(max(CASE WHEN typeof(${q}) IN ('integer','real') THEN (CASE WHEN ${q} < 0 THEN -1.0 * ${q} ELSE 1.0 * ${q} END) END), 0)`, set: (s, v) => { s.epochMaxAbs = v; } });
      if (ck.datetime || k === "numeric" || c.sampleAll) list.push({ expr: `sum(typeof(${q})='real' AND (${q} = 9e999 OR ${q} = -9e999))`, set: (s, v) => { s.nonFinite = v; } });
      if (c.family.kind === "numeric" && c.family.precision !== undefined) {
        const fit = NUM_FIT(q, c.family.precision, c.family.scale ?? 0);
        list.push({ expr: `sum(NOT (${fit}))`, set: (s, v) => { if (v > 0) s.numericScale = -1; } });
      }
    }
    return { col: c, list };
  });
  const flat = aggs.flatMap((a) => a.list.map((x) => ({ col: a.col, ...x })));
  for (let start = 0; start < flat.length; start += 1000) {
    const chunk = flat.slice(start, start + 1000);
    const r = db.prepare(`SELECT ${chunk.map((x) => x.expr).join(", ")} FROM main.${qt}`).raw().get() as unknown[];
    chunk.forEach((x, i) => x.set(out.get(x.col.name)!, num(r[i])));
  }
  for (const c of columns) {
    const s = out.get(c.name)!;
    s.storage.null = rows - s.storage.integer - s.storage.real - s.storage.text - s.storage.blob;
  }

  // 2. Samples (with their row key) for the messages that may need them.
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
    if (s.textWithNul) s.firstTextWithNul = sampleOf(c.name, `typeof(${q})='text' AND instr(CAST(${q} AS BLOB), x'00') > 0`);
    if (s.intBeyondDouble) s.firstIntBeyondDouble = sampleOf(c.name, `typeof(${q})='integer' AND (${q} > 9007199254740992 OR ${q} < -9007199254740992)`);
    if (s.jsonInvalid) s.firstJsonInvalid = sampleOf(c.name, JSON_BAD(q));
    if (c.checks.uuid && s.uuidText < s.storage.text) s.firstNonUuid = sampleOf(c.name, `typeof(${q})='text' AND NOT (${UUID_OK(q)})`);
    if (s.booleanBad) s.firstBooleanBad = sampleOf(c.name, BOOL_BAD(q));
    if (s.nonFinite) s.firstNonFinite = sampleOf(c.name, `typeof(${q})='real' AND (${q} = 9e999 OR ${q} = -9e999)`);
  }

  // 3. The JS parsers, only over the rows the SQL pre-checks could not vouch for.
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
    if (s.datetimeBad) recheck(`typeof(${q}) = 'text' AND NOT (${DT_OK(q)})`, (v) => !parseDateTimeText(String(v)), (n, f) => { s.datetimeBad = n; s.firstDatetimeBad = f; });
    if (s.dateBad) recheck(`${q} IS NOT NULL AND NOT (${DATE_OK(q)})`, (v) => typeof v !== "string" || !normalizeDateText(v), (n, f) => { s.dateBad = n; s.firstDateBad = f; });
    if (s.timeBad) recheck(`${q} IS NOT NULL AND NOT (${TIME_OK(q)})`, (v) => typeof v !== "string" || !normalizeTimeText(v), (n, f) => { s.timeBad = n; s.firstTimeBad = f; });
    if (s.numericScale < 0 && c.family.kind === "numeric" && c.family.precision !== undefined) {
      s.numericScale = 0;
      recheck(`NOT (${NUM_FIT(q, c.family.precision, c.family.scale ?? 0)})`, (v) => {
        if (typeof v === "bigint") s.numericIntDigits = Math.max(s.numericIntDigits, (v < 0n ? -v : v).toString().length);
        else if (typeof v === "number" && Number.isFinite(v)) {
          const shape = decimalShape(shortestDecimal(v));
          s.numericIntDigits = Math.max(s.numericIntDigits, shape.intDigits);
          s.numericScale = Math.max(s.numericScale, shape.scale);
        }
        return false;
      }, () => undefined);
    }
  }
  return out;
}
