/** Table-driven unit tests of the type mapping: declared type + values seen → PostgreSQL type and why. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyStats } from "../migrate/column-scan";
import { classifyDeclared } from "../migrate/declared-type";
import type { ColumnStats } from "../migrate/plan-types";
import { mapColumnType, type MappingInput } from "../migrate/type-mapping";
import { decimalShape, normalizeDateText, normalizeTimeText, parseDateTimeText, parseUuid, partsToMicros, shortestDecimal } from "../migrate/value-formats";

type Storage = Partial<ColumnStats["storage"]>;

function stats(storage: Storage, extra: Partial<ColumnStats> = {}): ColumnStats {
  const s = emptyStats();
  Object.assign(s.storage, storage);
  return { ...s, ...extra };
}

function map(declared: string, s: ColumnStats, opts: Partial<MappingInput> = {}) {
  return mapColumnType({ table: "t", column: "c", declaredType: declared, family: classifyDeclared(declared), stats: s, isKey: false, hasJsonCheck: false, sourceTimezone: "UTC", ...opts });
}

test("declared type names classify like SQLite's affinity rules, known names first", () => {
  const cases: [string, string][] = [
    ["UUID", "uuid"], ["guid", "uuid"], ["JSON", "json"], ["JSONB", "json"], ["BOOLEAN", "boolean"], ["bool", "boolean"],
    ["DATETIME", "datetime"], ["TIMESTAMP", "datetime"], ["datetime(6)", "datetime"], ["DATE", "date"], ["TIME", "time"],
    ["INTEGER", "integer"], ["integer auto_increment", "integer"], ["short integer", "integer"], ["smallint unsigned", "integer"], ["INTEGE", "integer"],
    ["VARCHAR(20)", "varchar"], ["NVARCHAR(40)", "varchar"], ["CHAR(32)", "varchar"], ["text nocase", "text"], ["BLOB SUB_TYPE TEXT", "text"], ["text(100)", "text"],
    ["BLOB", "blob"], ["", "inferred"], ["byte[]", "inferred"], ["REAL", "real"], ["double precision", "real"], ["FLOAT", "real"],
    ["NUMERIC(10,2)", "numeric"], ["decimal", "numeric"], ["ANY", "inferred"],
  ];
  for (const [decl, kind] of cases) assert.equal(classifyDeclared(decl).kind, kind, decl);
  assert.deepEqual(classifyDeclared("NUMERIC(10, 2)"), { kind: "numeric", precision: 10, scale: 2 });
  assert.deepEqual(classifyDeclared("NVARCHAR(40)"), { kind: "varchar", length: 40, fixed: false });
  assert.deepEqual(classifyDeclared("character(20)"), { kind: "varchar", length: 20, fixed: true });
});

test("the mapping table: declared type × values → PostgreSQL type", () => {
  const cases: { decl: string; s: ColumnStats; opts?: Partial<MappingInput>; pg: string; refused?: RegExp; unit?: "s" | "ms" | "jd"; reason?: RegExp; warning?: RegExp }[] = [
    { decl: "INTEGER", s: stats({ integer: 3 }), pg: "bigint" },
    { decl: "REAL", s: stats({ real: 3, integer: 1 }), pg: "double precision" },
    { decl: "FLOAT", s: stats({ real: 1 }), pg: "double precision" },
    { decl: "NUMERIC(10,2)", s: stats({ real: 2 }, { numericIntDigits: 4, numericScale: 2 }), pg: "numeric(10,2)" },
    { decl: "NUMERIC(10,2)", s: stats({ real: 2 }, { numericIntDigits: 4, numericScale: 3 }), pg: "numeric" },
    { decl: "DECIMAL", s: stats({ real: 2 }), pg: "numeric" },
    { decl: "VARCHAR(20)", s: stats({ text: 2 }, { maxTextChars: 20 }), pg: "varchar(20)" },
    { decl: "VARCHAR(20)", s: stats({ text: 2 }, { maxTextChars: 21 }), pg: "text" },
    { decl: "CHAR(32)", s: stats({ text: 2 }, { maxTextChars: 32, uuidText: 2 }), pg: "varchar(32)" },
    { decl: "CHAR(32)", s: stats({ text: 2 }, { maxTextChars: 32, uuidText: 2 }), opts: { isKey: true }, pg: "uuid" },
    { decl: "CHAR(32)", s: stats({ text: 2 }, { maxTextChars: 32, uuidText: 2 }), opts: { column: "user_id" }, pg: "uuid" },
    { decl: "CHAR(32)", s: stats({ text: 2 }, { maxTextChars: 32, uuidText: 2 }), opts: { column: "content_hash_id" }, pg: "varchar(32)" },
    { decl: "CHAR(32)", s: stats({ text: 2 }, { maxTextChars: 32, uuidText: 1 }), opts: { isKey: true }, pg: "varchar(32)" },
    // The application's view (issue 16): only CHAR(32) hex (SQLAlchemy Uuid, Django UUIDField) becomes uuid;
    // other UUID-shaped text is read by the app as that exact string, which uuid would change.
    { decl: "VARCHAR(36)", s: stats({ text: 1 }, { maxTextChars: 36, uuidText: 1 }), opts: { column: "accountId" }, pg: "varchar(36)", reason: /kept as text/ },
    { decl: "VARCHAR(32)", s: stats({ text: 2 }, { maxTextChars: 32, uuidText: 2 }), opts: { column: "run_uuid", isKey: true }, pg: "varchar(32)", reason: /kept as text.*dashed/ },
    { decl: "TEXT", s: stats({ text: 2 }, { uuidText: 2 }), opts: { isKey: true }, pg: "text", reason: /kept as text/ },
    { decl: "", s: stats({ text: 2 }, { uuidText: 2 }), opts: { isKey: true }, pg: "text", reason: /kept as text/ },
    { decl: "CHAR(36)", s: stats({ text: 2 }, { maxTextChars: 36, uuidText: 2 }), opts: { isKey: true }, pg: "varchar(36)", reason: /kept as text/ },
    { decl: "CHAR(32)", s: stats({ text: 2 }, { maxTextChars: 36, uuidText: 2 }), opts: { isKey: true }, pg: "text" },
    { decl: "CHAR(32)", s: stats({ text: 2 }, { maxTextChars: 32, uuidText: 2 }), opts: { isKey: true }, pg: "uuid", reason: /SQLAlchemy Uuid \/ Django UUIDField/ },
    // Sequelize's BOOLEAN is TINYINT(1): boolean when every value is 0/1.
    { decl: "TINYINT(1)", s: stats({ integer: 3 }), pg: "boolean", reason: /Sequelize/ },
    { decl: "tinyint( 1 )", s: stats({}), pg: "boolean" },
    { decl: "TINYINT(1)", s: stats({ integer: 3 }, { booleanBad: 1 }), pg: "bigint", reason: /not a boolean: 1 value/ },
    { decl: "TINYINT(1)", s: stats({ integer: 1, text: 1 }), pg: "bigint", refused: /text value/ },
    { decl: "TINYINT", s: stats({ integer: 3 }), pg: "bigint" },
    { decl: "TINYINT(4)", s: stats({ integer: 3 }), pg: "bigint" },
    { decl: "UUID", s: stats({ text: 1 }, { uuidText: 1 }), pg: "uuid" },
    { decl: "UUID", s: stats({ text: 2 }, { uuidText: 1 }), pg: "uuid", refused: /not UUIDs.*--type t\.c=text/ },
    { decl: "JSON", s: stats({ text: 2, integer: 1 }), pg: "jsonb" },
    { decl: "JSON", s: stats({ text: 2 }, { jsonInvalid: 1 }), pg: "jsonb", refused: /not valid JSON.*--type t\.c=text/ },
    { decl: "TEXT", s: stats({ text: 1 }), opts: { hasJsonCheck: true }, pg: "jsonb" },
    { decl: "DATETIME", s: stats({ text: 3 }), pg: "timestamptz" },
    { decl: "DATETIME", s: stats({ integer: 3 }, { epochMaxAbs: 1710504357 }), pg: "timestamptz", unit: "s" },
    { decl: "DATETIME", s: stats({ integer: 3, text: 1 }, { epochMaxAbs: 1710504357105 }), pg: "timestamptz", unit: "ms" },
    { decl: "DATETIME", s: stats({ text: 3 }, { datetimeBad: 1 }), pg: "timestamptz", refused: /not datetimes/ },
    { decl: "DATETIME", s: stats({ real: 2 }, { epochMaxAbs: 2460384.5, epochMin: 2460000.25 }), pg: "timestamptz", unit: "jd" },
    { decl: "DATE", s: stats({ text: 3 }), pg: "date" },
    { decl: "DATE", s: stats({ text: 3 }, { dateBad: 1 }), pg: "date", refused: /--type t\.c=timestamptz/ },
    { decl: "TIME", s: stats({ text: 3 }), pg: "time" },
    { decl: "BOOLEAN", s: stats({ integer: 2, text: 2 }), pg: "boolean" },
    { decl: "BOOLEAN", s: stats({ integer: 2 }, { booleanBad: 1 }), pg: "boolean", refused: /not 0\/1/ },
    { decl: "BLOB", s: stats({ blob: 2 }), pg: "bytea" },
    { decl: "BLOB", s: stats({ text: 2 }), pg: "text" },
    // BLOB holding some text: bytea, the text as its UTF-8 bytes, with a warning (no longer a refusal).
    { decl: "BLOB", s: stats({ text: 2, blob: 1 }), pg: "bytea", warning: /2 text value\(s\) among 1 blob\(s\) stored as the bytes of their UTF-8 text/ },
    { decl: "BLOB", s: stats({ text: 2, blob: 1, integer: 1 }), pg: "bytea", refused: /integer value.*cannot be stored as bytea/ },
    { decl: "", s: stats({}), pg: "text" },
    { decl: "", s: stats({ integer: 2 }), pg: "bigint" },
    { decl: "", s: stats({ integer: 2, real: 1 }), pg: "double precision" },
    { decl: "", s: stats({ integer: 2, text: 1 }), pg: "text", refused: /mixes storage classes.*--type t\.c=text/ },
    { decl: "INTEGER", s: stats({ integer: 2, text: 1 }), pg: "bigint", refused: /1 text value\(s\) cannot be stored as bigint.*--type t\.c=text/ },
    { decl: "INTEGER", s: stats({ integer: 2, real: 1 }), pg: "bigint", refused: /--type 't\.c=double precision'/ },
    { decl: "REAL", s: stats({ integer: 1 }, { intBeyondDouble: 1 }), pg: "double precision", refused: /2\^53.*numeric/ },
    { decl: "TEXT", s: stats({ text: 2 }, { textWithNul: 1 }), pg: "text", refused: /NUL.*--type t\.c=bytea/ },
    { decl: "INTEGER", s: stats({ integer: 2, text: 1 }), opts: { override: "text" }, pg: "text" },
    { decl: "TEXT", s: stats({ text: 2 }), opts: { override: "citext2" }, pg: "citext2", refused: /unsupported override/ },
  ];
  for (const c of cases) {
    const r = map(c.decl, c.s, c.opts);
    const label = `${c.decl} ${JSON.stringify(c.s.storage)} ${JSON.stringify(c.opts ?? {})}`;
    assert.equal(r.pgType, c.pg, label);
    assert.ok(r.reason.length > 0, label);
    if (c.refused) assert.match(`${r.refusal?.problem} ${r.refusal?.fix}`, c.refused, label);
    else assert.equal(r.refusal, undefined, label);
    if (c.unit) assert.equal(r.epochUnit, c.unit, label);
    if (c.reason) assert.match(r.reason, c.reason, label);
    if (c.warning) assert.ok(r.warnings.some((w) => c.warning!.test(w)), `${label}: ${JSON.stringify(r.warnings)}`);
  }
});

test("REAL never maps to real, even when the values are small", () => {
  assert.equal(map("REAL", stats({ real: 1 })).pgType, "double precision");
  assert.equal(map("FLOAT4", stats({ real: 1 })).pgType, "double precision");
});

test("value formats: uuid, datetimes, dates, times, shortest decimals", () => {
  assert.equal(parseUuid("0123456789ABCDEF0123456789abcdef"), "01234567-89ab-cdef-0123-456789abcdef");
  assert.equal(parseUuid("d41d8cd98f00b204e9800998ecf8427"), null);
  assert.equal(parseDateTimeText("2024-02-30"), null);
  assert.equal(parseDateTimeText("2024-03-15 12:05:57.1234567"), null, "sub-microsecond digits would be lost");
  assert.deepEqual(parseDateTimeText("2024-03-15T12:05:57.105+02:00"), { year: 2024, month: 3, day: 15, hour: 12, minute: 5, second: 57, micro: 105000, offsetMinutes: 120, hasTime: true });
  assert.equal(partsToMicros(parseDateTimeText("2024-03-15 12:00:00")!, "Europe/Paris"), BigInt(Date.UTC(2024, 2, 15, 11)) * 1000n);
  assert.equal(normalizeDateText("1996-07-04 00:00:00.000"), "1996-07-04");
  assert.equal(normalizeDateText("1996-07-04 10:00:00"), null);
  assert.equal(normalizeTimeText("2000-01-01 12:05:57"), "12:05:57");
  assert.equal(shortestDecimal(1e21), "1000000000000000000000");
  assert.equal(shortestDecimal(1.5e-7), "0.00000015");
  assert.equal(shortestDecimal(-0), "-0");
  assert.deepEqual(decimalShape("-0012.340"), { intDigits: 2, scale: 2 });
});
