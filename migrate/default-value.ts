/**
 * The DEFAULT of a planned column: `sql-expression.ts`'s translateDefault,
 * given the column's type, conversion, epoch unit and the table's columns.
 * DEFAULT NULL is no default: `{ ok: true, sql: "" }`.
 * https://www.sqlite.org/lang_createtable.html#the_default_clause
 */
import type { ExpressionContext, ExpressionTranslator, TranslateResult } from "./expression";
import type { Conversion } from "./plan-types";

export function translateDefault(defaultSql: string, conversion: Conversion, pgType: string, zone: string, translator: ExpressionTranslator, ctx: ExpressionContext, epochUnit?: "s" | "ms" | "jd"): TranslateResult {
  const r = translator.defaultValue(defaultSql, pgType, { sourceTimezone: zone, conversion, context: ctx, ...(epochUnit && epochUnit !== "jd" ? { epochUnit } : {}) });
  return r.ok && r.sql === "NULL" ? { ok: true, sql: "" } : r;
}
