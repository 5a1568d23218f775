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
import { canonicalNetAddress, type NetKind } from "./network-address";
import { decimalShape, normalizeDateText, normalizeTimeText, parseDateTimeText, shortestDecimal } from "./value-formats";

/** Value checks a column's text values need (only these run: each is a regex per value). */
export interface TextChecks {
  uuid?: boolean;
  boolean?: boolean;
  datetime?: boolean;
  date?: boolean;
  time?: boolean;
  /** Durations (interval): reals must be whole microseconds; text is checked as datetimes (`datetime`). */
  interval?: boolean;
  /** Address text for inet or cidr. */
  net?: NetKind;
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
  /** Length limit (varchar(n)/char(n)): the first longer text value is sampled. */
  maxChars?: number;
}

type Cls = "integer" | "real" | "text" | "blob";

const EXPECTED: Record<TypeFamily["kind"], Cls[]> = {
  integer: ["integer"], real: ["real", "integer"], numeric: ["integer", "real"], varchar: ["text"], text: ["text"],
  blob: ["blob"], datetime: ["text", "integer", "real"], date: ["text"], time: ["text"], boolean: ["integer", "text"],
  uuid: ["text"], json: ["text", "integer", "real"], inferred: ["integer", "real", "text", "blob"],
};

/**
 * Exact UUID test (32 hex or 8-4-4-4-12), same as `parseUuid`. unhex() (SQLite 3.41+, bundled by
 * better-sqlite3) is NULL unless every character is a hex digit (or an ignored '-' between pairs):
 * ~6x cheaper per value than ltrim() with a hex alphabet (bench/profile-findings.md). Never NULL itself.
 */
const UUID_OK = (q: string) => `(CASE WHEN typeof(${q}) <> 'text' THEN 0 WHEN length(${q}) = 32 THEN unhex(${q}) IS NOT NULL WHEN length(${q}) <> 36 THEN 0 WHEN (substr(${q}, 9, 1) || substr(${q}, 14, 1) || substr(${q}, 19, 1) || substr(${q}, 24, 1)) <> '----' THEN 0 ELSE ifnull(length(unhex(${q}, '-')), 0) = 16 END)`;
/** Exact boolean test, same as `isBooleanText` for text. */
const BOOL_BAD = (q: string) => `(CASE typeof(${q}) WHEN 'integer' THEN ${q} NOT IN (0, 1) WHEN 'real' THEN ${q} NOT IN (0, 1) WHEN 'text' THEN lower(${q}) NOT IN ('t', 'f', 'true', 'false', '0', '1') WHEN 'blob' THEN 1 ELSE 0 END)`;
/** JSON that PostgreSQL jsonb accepts: RFC 8259 text without \u0000, or SQLite JSONB blobs (turned into text by json()). */
const JSON_BAD = (q: string) => `(CASE typeof(${q}) WHEN 'text' THEN (NOT json_valid(${q}) OR instr(${q}, '\\u0000') > 0) WHEN 'blob' THEN NOT json_valid(${q}, 8) ELSE 0 END)`;
/** Text with a NUL byte (PostgreSQL text cannot hold it). */
const NUL_BAD = (q: string) => `(CASE WHEN typeof(${q}) = 'text' THEN instr(CAST(${q} AS BLOB), x'00') > 0 ELSE 0 END)`;
/**
 * A cheap screen for NUL characters in a value: never 0 or NULL where `NUL_BAD` is 1 (instr() searches
 * the whole UTF-8 text, past the NUL where length() and substr() stop; a blob or number only gives false
 * positives, which the exact per-column `NUL_BAD` then settles). About half the cost of `NUL_BAD`.
 */
const NUL_SCREEN = (q: string, guard: boolean) => (guard ? `(typeof(${q}) = 'text' AND instr(${q}, char(0)))` : `instr(${q}, char(0))`);
/** Integers a double cannot hold exactly. */
const BIG_INT = (q: string) => `(CASE WHEN typeof(${q}) = 'integer' THEN ${q} > 9007199254740992 OR ${q} < -9007199254740992 ELSE 0 END)`;
/**
 * Shapes of `YYYY-MM-DD` + a space or T whose day exists in its month whatever the year (the parse
 * rejects month 00 and 13-19, day 00 and 32-39), tried in order, the common one first. February 29
 * is not among them.
 */
const DT_DAY_SHAPES = ["????-??-[0-2][0-8][ T]*", "????-??-[01]9[ T]*", "????-[01][013-9]-[23][09][ T]*", "????-12-[23][09][ T]*", "????-0[13578]-31[ T]*", "????-1[02]-31[ T]*"];
/**
 * 1 for datetime text SQLite itself cannot vouch for: not a real calendar date, not readable by
 * datetime(), or more than 6 fractional digits. Those rows are re-checked in JS.
 *
 * Fast path, exactly 0 where the full test below is 0 (about a third of its cost): a text that
 * unixepoch() reads (the same parse as datetime(): NULL from one exactly when NULL from the other)
 * and that matches a `DT_DAY_SHAPES` pattern was read as `YYYY-MM-DD` + time: a number cannot have '-'
 * at both positions 5 and 8, a time-only text has a digit at 5. So its first 10 characters are a
 * real date, which date() gives back unchanged; and in at most 26 bytes the first '.' (at 20 or
 * later: the space or T, then HH:MM:SS come first) leaves no room for a 7th fractional digit. NUL bytes do not
 * change this: GLOB, unixepoch(), length() and substr() all stop at the first one.
 */
const DT_BAD = (q: string) => `(CASE WHEN typeof(${q}) <> 'text' THEN 0 WHEN (${DT_DAY_SHAPES.map((p) => `${q} GLOB '${p}'`).join(" OR ")}) AND octet_length(${q}) <= 26 AND unixepoch(${q}) IS NOT NULL THEN 0 WHEN length(${q}) > 32 THEN 1 WHEN date(substr(${q}, 1, 10)) IS NOT substr(${q}, 1, 10) THEN 1 WHEN datetime(${q}) IS NULL THEN 1 WHEN instr(${q}, '.') = 0 THEN 0 WHEN substr(${q}, instr(${q}, '.') + 7, 1) BETWEEN '0' AND '9' THEN 1 ELSE 0 END)`;
const DATE_BAD = (q: string) => `(CASE WHEN ${q} IS NULL THEN 0 WHEN typeof(${q}) <> 'text' THEN 1 WHEN length(${q}) <> 10 THEN 1 WHEN date(${q}) IS NOT ${q} THEN 1 ELSE 0 END)`;
const TIME_BAD = (q: string) => `(CASE WHEN ${q} IS NULL THEN 0 WHEN typeof(${q}) <> 'text' THEN 1 WHEN length(${q}) > 15 THEN 1 WHEN NOT ${q} GLOB '[0-2][0-9]:[0-5][0-9]*' THEN 1 WHEN ${q} GLOB '*[^0-9:.]*' THEN 1 WHEN time(${q}) IS NULL THEN 1 ELSE 0 END)`;
/**
 * Does not fit numeric(p,s) exactly: not below 10^(p-s), or (reals) s decimals do not round-trip.
 *
 * Fast path for reals, exactly 0 where `round(x, s) <> x` is 0 (round() prints and re-reads the
 * value): when x * 10^s is an integer k and k / 10^s gives x back, x is the double nearest to the
 * decimal t = k / 10^s. For p <= 15, t has at most 15 significant digits and x is within 10^-16 * 10^p
 * (< 0.11 units of the s-th decimal) of it, so round() prints t and reads back x.
 */
const NUM_BAD = (q: string, p: number, sc: number) => {
  const fits = p <= 15 ? `WHEN ${q} * 1e${sc} = CAST(${q} * 1e${sc} AS INTEGER) AND CAST(${q} * 1e${sc} AS INTEGER) / 1e${sc} = ${q} THEN 0 ` : "";
  return `(CASE typeof(${q}) WHEN 'integer' THEN NOT (${q} < 1e${p - sc} AND ${q} > -1e${p - sc}) WHEN 'real' THEN CASE WHEN NOT (${q} < 1e${p - sc} AND ${q} > -1e${p - sc}) THEN 1 ${fits}ELSE round(${q}, ${sc}) <> ${q} END ELSE 0 END)`;
};

/** Numbers that are not whole microseconds of a 64-bit interval (a real with a fraction, or beyond ±2^63). */
const INTERVAL_BAD = (q: string) => `(CASE WHEN typeof(${q}) = 'real' THEN ${q} <> CAST(${q} AS INTEGER) OR ${q} >= 9223372036854775807.0 OR ${q} < -9223372036854775808.0 ELSE 0 END)`;

/** The SQL value checks whose fast paths must agree exactly with their full forms (for tests). */
export const valueCheckSql = { datetimeBad: DT_BAD, numericMisfit: NUM_BAD, nulScreen: NUL_SCREEN, nulBad: NUL_BAD };

/** The storage class a column of this family normally holds (counted first; the rest only on a difference). */
const EXPECTED_CLASS: Record<TypeFamily["kind"], Cls | undefined> = {
  integer: "integer", real: "real", numeric: undefined, varchar: "text", text: "text", blob: "blob", datetime: "text",
  date: "text", time: "text", boolean: "integer", uuid: "text", json: "text", inferred: undefined,
};

export function emptyStats(): ColumnStats {
  return {
    rows: 0, storage: { integer: 0, real: 0, text: 0, blob: 0, null: 0 }, maxTextChars: 0, textWithNul: 0,
    uuidText: 0, booleanBad: 0, datetimeBad: 0, epochMaxAbs: 0, dateBad: 0, timeBad: 0,
    numericIntDigits: 0, numericScale: 0, nonFinite: 0, jsonInvalid: 0, intBeyondDouble: 0, intervalBad: 0, netBad: 0, firstOfClass: {},
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

/** How partial results of one aggregate combine (e.g. one partial per rowid range): NULL partials are ignored. */
export type Merge = "sum" | "max" | "min";
/** One aggregate over a table; max/min ones only ever see numbers (every one is guarded by typeof), so partials are numbers, bigints or NULL. */
export interface AggregateExpr {
  expr: string;
  merge: Merge;
}
/**
 * Runs aggregate expressions over every row of `table` (a SQLite table name, unquoted) and returns
 * one value per expression, integers as bigint or number. The default is one query; a caller may
 * split the rows (e.g. by rowid range over worker threads) and combine with `mergeAggregates`.
 */
export type AggregateRunner = (table: string, exprs: AggregateExpr[]) => unknown[];

/** The default runner: `SELECT exprs FROM main."table"`, in chunks (SQLite caps result columns at 2000). */
export function sqliteAggregateRunner(db: SqliteDb): AggregateRunner {
  return (table, exprs) => {
    const out: unknown[] = [];
    for (let start = 0; start < exprs.length; start += 1000) {
      const chunk = exprs.slice(start, start + 1000);
      out.push(...(db.prepare(`SELECT ${chunk.map((x) => x.expr).join(", ")} FROM main.${quoteSqliteIdent(table)}`).raw().get() as unknown[]));
    }
    return out;
  };
}

/** Rowid ranges splitting `table` into `parts`, or null when it has fewer than `minRows` rows, too few rowids, or no rowid. */
export function rowidRanges(db: SqliteDb, table: string, parts: number, minRows: number): [bigint, bigint][] | null {
  if (parts < 2) return null;
  let lo: bigint | null;
  let hi: bigint | null;
  try {
    const r = db.prepare(`SELECT min(rowid), max(rowid), count(*) >= ${minRows} FROM main.${quoteSqliteIdent(table)}`).raw().get() as [bigint | null, bigint | null, bigint];
    if (!r[2]) return null;
    [lo, hi] = r;
  } catch {
    return null; // WITHOUT ROWID (or a view): one range
  }
  if (lo === null || hi === null) return null;
  const span = hi - lo + 1n;
  if (span < BigInt(parts)) return null;
  const step = span / BigInt(parts);
  return Array.from({ length: parts }, (_, i) => [lo! + step * BigInt(i), i === parts - 1 ? hi! : lo! + step * BigInt(i + 1) - 1n] as [bigint, bigint]);
}

/** Combines the partial results of `exprs` (one array per part, e.g. per rowid range) as each declares. */
export function mergeAggregates(exprs: AggregateExpr[], partials: unknown[][]): unknown[] {
  return exprs.map((x, i) => {
    let acc: number | bigint | null = null;
    for (const p of partials) {
      const v = p[i];
      if (v === null || v === undefined) continue;
      if (typeof v !== "number" && typeof v !== "bigint") throw new Error(`aggregate ${x.expr}: partial result is not a number (${typeof v})`);
      if (acc === null) acc = v;
      else if (x.merge === "sum") acc = typeof acc === "bigint" || typeof v === "bigint" ? BigInt(acc) + BigInt(v) : acc + v;
      else if (x.merge === "max" ? v > acc : v < acc) acc = v;
    }
    return acc;
  });
}

const CLASSES = ["integer", "real", "text", "blob"] as const;
const classCount = (q: string, cls: Cls) => `sum(CASE WHEN typeof(${q}) = '${cls}' THEN 1 ELSE 0 END)`;

export function scanTable(db: SqliteDb, table: string, columns: ScanColumn[], key: TableKey, runAggregate: AggregateRunner = sqliteAggregateRunner(db)): Map<string, ColumnStats> {
  const qt = quoteSqliteIdent(table);
  const out = new Map<string, ColumnStats>();
  const rows = num(db.prepare(`SELECT count(*) FROM main.${qt}`).pluck().get());
  for (const c of columns) out.set(c.name, { ...emptyStats(), rows });
  if (rows === 0 || columns.length === 0) return out;

  // 1. Aggregates in SQL (C speed), through `runAggregate`. Each expression costs a pass over the
  //    values, so a column gets only what its family needs, in CASE form (SQLite does not
  //    short-circuit AND in a value context). Storage classes: the non-NULL count and the count
  //    of the family's expected class (all four for families without one); what concerns only the
  //    other classes (integers beyond 2^53 in a text column, say) is 0 when every value is of the
  //    expected class, so it is asked only for columns where the counts differ (step 1b). NUL bytes:
  //    one cheap screen over all the table's text columns, the exact per-column count only when it
  //    finds one (step 1b). Value checks are exact in SQL where possible (UUID, boolean);
  //    datetime/date/time/numeric use a SQL pre-check and only the rows it cannot vouch for go
  //    through the JS parsers (step 3).
  type Agg = AggregateExpr & { col: ScanColumn; set: (s: ColumnStats, v: unknown) => void };
  const step1: Agg[] = [];
  const deferred = new Map<string, Agg[]>();
  const nulCols: { col: ScanColumn; guard: boolean }[] = [];
  const nonNull = new Map<string, number>();
  const expectedCount = new Map<string, number>();
  const utf8 = db.pragma("encoding", { simple: true }) === "UTF-8";
  for (const c of columns) {
    const q = quoteSqliteIdent(c.name);
    const k = c.family.kind;
    const e = c.sampleAll ? undefined : EXPECTED_CLASS[k];
    const add = (expr: string, merge: Merge, set: Agg["set"]) => { step1.push({ col: c, expr, merge, set }); };
    // Asked only where some value is not of the expected class (always where there is none).
    const other = (expr: string, merge: Merge, set: Agg["set"]) => {
      if (e) deferred.set(c.name, [...(deferred.get(c.name) ?? []), { col: c, expr, merge, set }]);
      else add(expr, merge, set);
    };
    add(`count(${q})`, "sum", (_s, v) => { nonNull.set(c.name, num(v)); });
    if (e) add(classCount(q, e), "sum", (_s, v) => { expectedCount.set(c.name, num(v)); });
    else for (const cls of ["integer", "real", "text"] as const) add(classCount(q, cls), "sum", (s, v) => { s.storage[cls] = num(v); });
    if (k === "integer") {
      // A bigint column holds any SQLite integer; the extremes only tell whether JS numbers would round
      // them: is the largest integer above 2^53, the smallest below -2^53 (1 each). Both in one sum:
      // integers above count 1, below rows + 1, so the sum stays exact in a double (up to ~9.4e7 rows).
      const below = rows + 1;
      if (below * below < 2 ** 53) {
        add(`sum(CASE WHEN typeof(${q}) <> 'integer' THEN 0 WHEN ${q} > 9007199254740992 THEN 1 WHEN ${q} < -9007199254740992 THEN ${below} ELSE 0 END)`, "sum", (s, v) => {
          const n = num(v);
          s.intBeyondDouble += (n % below > 0 ? 1 : 0) + (n >= below ? 1 : 0);
        });
      } else {
        add(`max(CASE WHEN typeof(${q}) = 'integer' THEN ${q} END) > 9007199254740992`, "max", (s, v) => { if (num(v) > 0) s.intBeyondDouble++; });
        add(`min(CASE WHEN typeof(${q}) = 'integer' THEN ${q} END) < -9007199254740992`, "max", (s, v) => { if (num(v) > 0) s.intBeyondDouble++; });
      }
    }
    if (k === "varchar" || k === "inferred" || c.sampleAll) add(`max(CASE WHEN typeof(${q}) = 'text' THEN length(${q}) END)`, "max", (s, v) => { s.maxTextChars = num(v); });
    if (["varchar", "text", "json", "datetime", "blob", "inferred"].includes(k) || c.sampleAll) {
      if (e && e !== "text") other(`sum(${NUL_BAD(q)})`, "sum", (s, v) => { s.textWithNul = num(v); });
      else if (utf8) nulCols.push({ col: c, guard: !e });
      else add(`sum(${NUL_BAD(q)})`, "sum", (s, v) => { s.textWithNul = num(v); });
    }
    if (k === "real" || k === "inferred" || k === "datetime" || k === "numeric" || k === "json" || c.sampleAll) other(`sum(${BIG_INT(q)})`, "sum", (s, v) => { s.intBeyondDouble = num(v); });
    if (c.json) add(`sum(${JSON_BAD(q)})`, "sum", (s, v) => { s.jsonInvalid = num(v); });
    if (c.profile) {
      const ck = c.checks;
      if (ck.uuid) add(`sum(${UUID_OK(q)})`, "sum", (s, v) => { s.uuidText = num(v); });
      if (ck.boolean) add(`sum(${BOOL_BAD(q)})`, "sum", (s, v) => { s.booleanBad = num(v); });
      if (ck.datetime) add(`sum(${DT_BAD(q)})`, "sum", (s, v) => { s.datetimeBad = num(v); });
      if (ck.date) add(`sum(${DATE_BAD(q)})`, "sum", (s, v) => { s.dateBad = num(v); });
      if (ck.time) add(`sum(${TIME_BAD(q)})`, "sum", (s, v) => { s.timeBad = num(v); });
      if (ck.interval) add(`sum(${INTERVAL_BAD(q)})`, "sum", (s, v) => { s.intervalBad = num(v); });
      if (ck.net) add(`sum(CASE WHEN typeof(${q}) = 'text' THEN 1 ELSE 0 END)`, "sum", (s, v) => { s.netBad = num(v); });
      const numbers = e === "integer" || e === "real" ? add : other;
      if (ck.datetime || k === "numeric" || k === "inferred" || c.sampleAll) numbers(`max(CASE WHEN typeof(${q}) IN ('integer', 'real') THEN (CASE WHEN ${q} < 0 THEN -1.0 * ${q} ELSE 1.0 * ${q} END) END)`, "max", (s, v) => { s.epochMaxAbs = num(v); });
      if (ck.datetime || k === "numeric" || c.sampleAll) (e === "real" ? add : other)(`sum(CASE WHEN typeof(${q}) = 'real' THEN ${q} = 9e999 OR ${q} = -9e999 ELSE 0 END)`, "sum", (s, v) => { s.nonFinite = num(v); });
      if (ck.datetime) numbers(`min(CASE WHEN typeof(${q}) IN ('integer', 'real') THEN ${q} END)`, "min", (s, v) => { if (v !== null && v !== undefined) s.epochMin = num(v); });
      if (c.family.kind === "numeric" && c.family.precision !== undefined) {
        add(`sum(${NUM_BAD(q, c.family.precision, c.family.scale ?? 0)})`, "sum", (s, v) => { if (num(v) > 0) s.numericScale = -1; });
      }
    }
  }
  let nulFound = false;
  // One screen per 200 columns: a chain of OR is as deep as it is long (SQLite's limit is 1,000).
  for (let i = 0; i < nulCols.length; i += 200) {
    const group = nulCols.slice(i, i + 200);
    step1.push({ col: group[0].col, expr: `sum(CASE WHEN ${group.map((x) => NUL_SCREEN(quoteSqliteIdent(x.col.name), x.guard)).join(" OR ")} THEN 1 ELSE 0 END)`, merge: "sum", set: (_s, v) => { if (num(v) > 0) nulFound = true; } });
  }
  const run = (aggs: Agg[]) => {
    const r = runAggregate(table, aggs.map((a) => ({ expr: a.expr, merge: a.merge })));
    aggs.forEach((a, i) => a.set(out.get(a.col.name)!, r[i]));
  };
  run(step1);
  // 1b. The other classes and what concerns only them, where the expected class does not cover
  //     every value; the exact NUL counts where the screen found one.
  const step1b: Agg[] = [];
  for (const c of columns) {
    const s = out.get(c.name)!;
    const e = c.sampleAll ? undefined : EXPECTED_CLASS[c.family.kind];
    const n = nonNull.get(c.name) ?? 0;
    if (!e) { s.storage.blob = n - s.storage.integer - s.storage.real - s.storage.text; continue; }
    s.storage[e] = expectedCount.get(c.name) ?? 0;
    if (s.storage[e] === n) continue;
    const q = quoteSqliteIdent(c.name);
    for (const cls of CLASSES) if (cls !== e) step1b.push({ col: c, expr: classCount(q, cls), merge: "sum", set: (st, v) => { st.storage[cls] = num(v); } });
    step1b.push(...(deferred.get(c.name) ?? []));
  }
  if (nulFound) for (const { col } of nulCols) step1b.push({ col, expr: `sum(${NUL_BAD(quoteSqliteIdent(col.name))})`, merge: "sum", set: (s, v) => { s.textWithNul = num(v); } });
  if (step1b.length) run(step1b);
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
    if (s.intervalBad) s.firstIntervalBad = sampleOf(c.name, INTERVAL_BAD(q));
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
    if (s.datetimeBad) recheck(DT_BAD(q), (v) => !parseDateTimeText(String(v)), (n, f) => { s.datetimeBad = n; s.firstDatetimeBad = f; });
    if (s.dateBad) recheck(DATE_BAD(q), (v) => typeof v !== "string" || !normalizeDateText(v), (n, f) => { s.dateBad = n; s.firstDateBad = f; });
    // Every address text goes through the parser (SQL cannot tell an IPv6 text from a lookalike); netBad held the text count.
    const net = c.checks.net;
    if (net && s.netBad) recheck(`typeof(${q}) = 'text'`, (v) => canonicalNetAddress(String(v), net) === null, (n, f) => { s.netBad = n; s.firstNetBad = f; });
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
        // The sampled misfit: the first row that does not fit exactly (named in the refusal).
        return intDigits > p - sc || scale > sc;
      }, (_n, f) => { if (f) s.firstNumericMisfit = f; });
    }
  }
  return out;
}

/**
 * Invalid UTF-8 in text values (better-sqlite3 would decode it to U+FFFD):
 * reads the text columns once as strings and checks the raw bytes of
 * suspects only. Used by `plan`, which has no load to find it.
 */
export function scanUtf8(db: SqliteDb, table: string, columns: string[], key: TableKey): Map<string, Sample> {
  const out = new Map<string, Sample>();
  if (columns.length === 0) return out;
  const qt = quoteSqliteIdent(table);
  const q = columns.map(quoteSqliteIdent);
  const suspect = new Set<number>();
  for (const row of db.prepare(`SELECT ${q.join(", ")} FROM main.${qt}`).raw().iterate() as IterableIterator<unknown[]>) {
    for (let i = 0; i < row.length; i++) if (typeof row[i] === "string" && (row[i] as string).includes("\uFFFD")) suspect.add(i);
  }
  for (const i of suspect) {
    for (const row of db.prepare(`SELECT ${key.exprs.join(", ")}, CAST(${q[i]} AS BLOB) FROM main.${qt} WHERE typeof(${q[i]}) = 'text'`).raw().iterate() as IterableIterator<unknown[]>) {
      const raw = row[row.length - 1] as Buffer;
      if (!isUtf8(raw)) { out.set(columns[i], { key: showKey(key.names, row.slice(0, -1)), value: showValue(raw) }); break; }
    }
  }
  return out;
}
