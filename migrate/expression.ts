/**
 * The seam to the SQL expression translator (`sql-expression.ts`, written
 * separately). When that module is absent, a fallback refuses everything,
 * so callers report the object instead of guessing.
 */

export type TranslateResult = { ok: true; sql: string } | { ok: false; reason: string };

/** What the translator may need: how SQLite column names map to PostgreSQL names. */
export interface ExpressionContext {
  table?: string;
  /** SQLite column name → PostgreSQL column name. */
  columns?: Record<string, string>;
  /** SQLite table name → PostgreSQL table name (views). */
  tables?: Record<string, string>;
  schema?: string;
  /** SQLite column name → PostgreSQL type chosen for it. */
  columnTypes?: Record<string, string>;
}

export interface ExpressionTranslator {
  available: boolean;
  expression(sql: string, ctx: ExpressionContext): TranslateResult;
  view(selectSql: string, ctx: ExpressionContext): TranslateResult;
}

type Fn = (sql: string, ctx?: unknown) => TranslateResult;

let cached: ExpressionTranslator | undefined;

function safe(fn: Fn | undefined, what: string): (sql: string, ctx: ExpressionContext) => TranslateResult {
  if (!fn) return () => ({ ok: false, reason: `${what} translator not available` });
  return (sql, ctx) => {
    try {
      const r = fn(sql, ctx);
      if (r && typeof r === "object" && "ok" in r) return r;
      return { ok: false, reason: `${what} translator returned no result` };
    } catch (err) {
      return { ok: false, reason: `${what} translator failed: ${(err as Error).message}` };
    }
  };
}

/** The translator in use: `sql-expression.ts` when present, else the refusing fallback. */
export function expressionTranslator(): ExpressionTranslator {
  if (cached) return cached;
  let mod: Record<string, unknown> | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require("./sql-expression") as Record<string, unknown>;
  } catch {
    mod = undefined;
  }
  const expression = safe(mod?.translateExpression as Fn | undefined, "expression");
  const view = safe((mod?.translateViewSelect ?? undefined) as Fn | undefined, "view");
  cached = { available: !!mod, expression, view };
  return cached;
}
