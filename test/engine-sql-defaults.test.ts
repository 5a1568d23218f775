/**
 * Column DEFAULTs as the planner translates them (`default-value.ts` ->
 * `sql-expression.ts` translateDefault with the column's conversion): the
 * forms SQLite schemas use, by table. That the translations store what
 * SQLite stores, on a real PostgreSQL 16, is in `sql-expression.test.ts`
 * ("translated DEFAULTs store the same values").
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { translateDefault } from "../migrate/default-value";
import { expressionTranslator, type TranslateResult } from "../migrate/expression";
import type { Conversion } from "../migrate/plan-types";

const ctx = { columnTypes: { a: "bigint", b: "text" }, table: "t", columns: { a: "a", b: "b" } };
const plan = (sql: string, conversion: Conversion, pgType: string, epochUnit?: "s" | "ms" | "jd"): TranslateResult =>
  translateDefault(sql, conversion, pgType, "UTC", expressionTranslator(), ctx, epochUnit);
const ok = (sql: string): TranslateResult => ({ ok: true, sql });
const NOW_TEXT = "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')";

describe("planned DEFAULT: output", () => {
  const cases: [string, Conversion, string, TranslateResult][] = [
    // CURRENT_TIMESTAMP and friends
    ["CURRENT_TIMESTAMP", "timestamptz", "timestamptz", ok("now()")],
    ["current_timestamp", "timestamp", "timestamp", ok("(now() AT TIME ZONE 'UTC')")],
    ["CURRENT_TIMESTAMP", "text", "text", ok(NOW_TEXT)],
    ["CURRENT_DATE", "date", "date", ok("CAST(now() AT TIME ZONE 'UTC' AS date)")],
    ["CURRENT_TIME", "time", "time", ok("CAST(date_trunc('second', now() AT TIME ZONE 'UTC') AS time)")],
    // datetime('now')
    ["datetime('now')", "timestamptz", "timestamptz", ok("now()")],
    ["(datetime('now'))", "timestamptz", "timestamptz", ok("now()")],
    ["DATETIME('now')", "timestamp", "timestamp", ok("(now() AT TIME ZONE 'UTC')")],
    ["datetime('now')", "text", "text", ok(NOW_TEXT)],
    ["date('now')", "text", "text", ok("to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')")],
    // strftime(…, 'now')
    ["strftime('%Y-%m-%d %H:%M:%S','now')", "timestamptz", "timestamptz", ok("now()")],
    ["strftime('%s','now')", "integer", "bigint", ok("CAST(floor(extract(epoch FROM now())) AS bigint)")],
    ["(strftime('%s','now'))", "integer", "bigint", ok("CAST(floor(extract(epoch FROM now())) AS bigint)")],
    ["strftime('%s','now')", "double", "double precision", ok("(extract(epoch from now()))::bigint")],
    ["strftime('%Y-%m-%d %H:%M:%f','now')", "text", "text", ok("to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')")],
    // typed literals
    ["'2024-01-02 03:04:05'", "timestamptz", "timestamptz", ok("(TIMESTAMP '2024-01-02 03:04:05' AT TIME ZONE 'UTC')")],
    ["'2024-01-02 03:04:05'", "timestamp", "timestamp", ok("TIMESTAMP '2024-01-02 03:04:05'")],
    ["'2024-01-02'", "date", "date", ok("DATE '2024-01-02'")],
    ["'03:04:05'", "time", "time", ok("TIME '03:04:05'")],
    [`'{"a":1}'`, "json", "jsonb", ok(`'{"a":1}'`)],
    ["'550e8400-e29b-41d4-a716-446655440000'", "uuid", "uuid", ok("'550e8400-e29b-41d4-a716-446655440000'")],
    ["'42'", "integer", "bigint", ok("42")],
    ["'1.5'", "numeric", "numeric(5,2)", ok("1.5")],
    ["1.0", "integer", "bigint", ok("1")],
    // negative numbers
    ["-1", "integer", "bigint", ok("-1")],
    ["- 1", "integer", "bigint", ok("-1")],
    ["(-1)", "integer", "integer", ok("-1")],
    ["+1", "integer", "bigint", ok("1")],
    ["-1.5", "double", "double precision", ok("-1.5")],
    ["-1.5", "numeric", "numeric(5,2)", ok("-1.5")],
    ["-1", "text", "text", ok("'-1'")],
    ["-0x1F", "integer", "bigint", ok("-31")],
    ["-1.5", "integer", "bigint", { ok: false, reason: "literal -1.5 does not fit bigint" }],
    // strings with quotes
    ["'it''s'", "text", "text", ok("'it''s'")],
    [`"it""s"`, "text", "text", ok(`'it"s'`)],
    ["''", "text", "text", ok("''")],
    // blobs
    ["x'00ff'", "bytea", "bytea", ok("'\\x00ff'::bytea")],
    ["X'ABCD'", "bytea", "bytea", ok("'\\xabcd'::bytea")],
    ["'ab'", "bytea", "bytea", ok("'\\x6162'::bytea")],
    ["x'00ff'", "text", "text", { ok: false, reason: "blob default on a text column" }],
    // TRUE / FALSE
    ["TRUE", "boolean", "boolean", ok("true")],
    ["FALSE", "boolean", "boolean", ok("false")],
    ["'t'", "boolean", "boolean", ok("true")],
    ["1", "boolean", "boolean", ok("true")],
    ["TRUE", "integer", "bigint", ok("1")],
    ["TRUE", "double", "double precision", ok("1")],
    ["FALSE", "text", "text", ok("'0'")],
    // expressions in parentheses
    ["(1+2)", "integer", "bigint", ok("(1 + 2)")],
    ["((1))", "integer", "bigint", ok("1")],
    ["('a' || 'b')", "text", "text", ok("('a' || 'b')")],
    ["(b || 'x')", "text", "text", ok(`("b" || 'x')`)],
    ["(lower(hex(randomblob(16))))", "text", "text", { ok: false, reason: "function randomblob() is not translated" }],
    // NULL is no default
    ["NULL", "integer", "bigint", ok("")],
    ["(NULL)", "text", "text", ok("")],
    ["((NULL))", "uuid", "uuid", ok("")],
  ];
  for (const [input, conversion, pgType, expected] of cases) {
    test(`DEFAULT ${input} on ${pgType} (${conversion})`, () => assert.deepEqual(plan(input, conversion, pgType), expected));
  }

  test("epoch integers on a timestamp column follow the column's unit", () => {
    assert.deepEqual(plan("1700000000", "timestamptz", "timestamptz", "s"), ok("to_timestamp(1700000000)"));
    assert.deepEqual(plan("1700000000000", "timestamptz", "timestamptz", "ms"), ok("to_timestamp(1700000000000 / 1000.0)"));
    assert.equal(plan("1700000000", "timestamptz", "timestamptz", "jd").ok, false);
  });
});
