/**
 * The seam to the SQL expression translator (`sql-expression.ts`, written
 * separately): CHECKs, index expressions and WHERE clauses, generated
 * columns, defaults and views. Exceptions become refusals with a reason, so
 * callers report the object instead of failing the plan.
 */
import * as sx from "./sql-expression";

export type TranslateResult = { ok: true; sql: string; warning?: string } | { ok: false; reason: string };
export type ExpressionContext = sx.ExpressionContext;

export interface ExpressionTranslator {
  available: boolean;
  expression(sql: string, ctx: ExpressionContext): TranslateResult;
  /** Returns the SELECT and, when the view declares them, its column names. */
  view(createViewSql: string, ctx: ExpressionContext): TranslateResult & { columns?: string[] };
  defaultValue(sql: string, pgType: string, opts: sx.DefaultOptions): TranslateResult;
  isBooleanCheck(sql: string, column: string): boolean;
  isJsonValidCheck(sql: string, column: string): boolean;
}

function guard<A extends unknown[], R>(what: string, fn: (...a: A) => R): (...a: A) => R | { ok: false; reason: string } {
  return (...a: A) => {
    try {
      return fn(...a);
    } catch (err) {
      return { ok: false, reason: `${what} translator failed: ${(err as Error).message}` };
    }
  };
}

const translator: ExpressionTranslator = {
  available: true,
  expression: guard("expression", sx.translateExpression),
  view: guard("view", sx.translateViewSelect),
  defaultValue: guard("default", sx.translateDefault),
  isBooleanCheck: (sql, column) => { try { return sx.isBooleanCheck(sql, column); } catch { return false; } },
  isJsonValidCheck: (sql, column) => { try { return sx.isJsonValidCheck(sql, column); } catch { return false; } },
};

export function expressionTranslator(): ExpressionTranslator {
  return translator;
}
