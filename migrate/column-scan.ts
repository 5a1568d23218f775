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
import { decimalShape, isBooleanText, normalizeDateText, normalizeTimeText, parseDateTimeText, parseUuid, shortestDecimal } from "./value-formats";

export interface ScanColumn {
  name: string;
  family: TypeFamily;
  /** Compute the JS value profile (uuid/boolean/datetime/numeric checks). */
  profile: boolean;
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

  // 1. Aggregates in SQL, in chunks (SQLite caps result columns at 2000).
  for (let start = 0; start < columns.length; start += 100) {
    const chunk = columns.slice(start, start + 100);
    const exprs: string[] = [];
    for (const c of chunk) {
      const q = quoteSqliteIdent(c.name);
      exprs.push(
        `sum(typeof(${q})='integer')`, `sum(typeof(${q})='real')`, `sum(typeof(${q})='text')`, `sum(typeof(${q})='blob')`,
        `coalesce(max(CASE WHEN typeof(${q})='text' THEN length(${q}) END), 0)`,
        `sum(typeof(${q})='text' AND instr(CAST(${q} AS BLOB), x'00') > 0)`,
        `sum(typeof(${q})='integer' AND (${q} > 9007199254740992 OR ${q} < -9007199254740992))`,
        c.json ? `sum(CASE typeof(${q}) WHEN 'text' THEN (NOT json_valid(${q}) OR instr(${q}, '\\u0000') > 0) WHEN 'blob' THEN NOT json_valid(${q}, 8) ELSE 0 END)` : "0",
      );
    }
    const r = db.prepare(`SELECT ${exprs.join(", ")} FROM main.${qt}`).raw().get() as unknown[];
    chunk.forEach((c, i) => {
      const s = out.get(c.name)!;
      const o = i * 8;
      s.storage.integer = num(r[o]);
      s.storage.real = num(r[o + 1]);
      s.storage.text = num(r[o + 2]);
      s.storage.blob = num(r[o + 3]);
      s.storage.null = rows - s.storage.integer - s.storage.real - s.storage.text - s.storage.blob;
      s.maxTextChars = num(r[o + 4]);
      s.textWithNul = num(r[o + 5]);
      s.intBeyondDouble = num(r[o + 6]);
      s.jsonInvalid = num(r[o + 7]);
    });
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
    if (s.jsonInvalid) s.firstJsonInvalid = sampleOf(c.name, `CASE typeof(${q}) WHEN 'text' THEN (NOT json_valid(${q}) OR instr(${q}, '\\u0000') > 0) WHEN 'blob' THEN NOT json_valid(${q}, 8) ELSE 0 END`);
  }

  // 3. One JS pass over the columns whose type depends on the values.
  const prof = columns.filter((c) => c.profile && out.get(c.name)!.storage.null < rows);
  if (prof.length === 0) return out;
  const sel = prof.map((c) => quoteSqliteIdent(c.name));
  const stmt = db.prepare(`SELECT ${key.exprs.join(", ")}, ${sel.join(", ")} FROM main.${qt}`).raw();
  const nk = key.exprs.length;
  const stats = prof.map((c) => out.get(c.name)!);
  for (const row of stmt.iterate() as IterableIterator<unknown[]>) {
    for (let i = 0; i < prof.length; i++) {
      const v = row[nk + i];
      if (v === null) continue;
      const s = stats[i];
      const sample = () => ({ key: showKey(key.names, row.slice(0, nk)), value: showValue(v) });
      if (typeof v === "string") {
        if (parseUuid(v)) s.uuidText++;
        else if (!s.firstNonUuid) s.firstNonUuid = sample();
        if (!isBooleanText(v)) { s.booleanBad++; if (!s.firstBooleanBad) s.firstBooleanBad = sample(); }
        if (!parseDateTimeText(v)) { s.datetimeBad++; if (!s.firstDatetimeBad) s.firstDatetimeBad = sample(); }
        if (!normalizeDateText(v)) { s.dateBad++; if (!s.firstDateBad) s.firstDateBad = sample(); }
        if (!normalizeTimeText(v)) { s.timeBad++; if (!s.firstTimeBad) s.firstTimeBad = sample(); }
      } else if (typeof v === "bigint") {
        if (v !== 0n && v !== 1n) { s.booleanBad++; if (!s.firstBooleanBad) s.firstBooleanBad = sample(); }
        const abs = v < 0n ? -v : v;
        s.epochMaxAbs = Math.max(s.epochMaxAbs, Number(abs));
        s.numericIntDigits = Math.max(s.numericIntDigits, abs === 0n ? 0 : abs.toString().length);
      } else if (typeof v === "number") {
        if (v !== 0 && v !== 1) { s.booleanBad++; if (!s.firstBooleanBad) s.firstBooleanBad = sample(); }
        if (!Number.isFinite(v)) { s.nonFinite++; if (!s.firstNonFinite) s.firstNonFinite = sample(); continue; }
        s.epochMaxAbs = Math.max(s.epochMaxAbs, Math.abs(v));
        const shape = decimalShape(shortestDecimal(v));
        s.numericIntDigits = Math.max(s.numericIntDigits, shape.intDigits);
        s.numericScale = Math.max(s.numericScale, shape.scale);
      }
    }
  }
  return out;
}
