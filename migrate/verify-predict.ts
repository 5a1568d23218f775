/**
 * SQLite expressions that predict, for one column, the exact field text
 * PostgreSQL's `COPY (SELECT column ...) TO STDOUT` prints under the session
 * settings of `setSession` (DateStyle ISO, extra_float_digits = 1, TimeZone
 * = the source zone), or NULL for a value it cannot predict.
 *
 * Each prediction is the canonical text of the source value in PostgreSQL's
 * output format, so predicted text equal to PostgreSQL's text means equal
 * values, as `value-compare.ts` judges them. A NULL or a differing text only
 * sends that row to the type-aware comparison. Type guards (`typeof`) keep
 * that true whatever the scan saw (the scan's storage counts mostly decide
 * whether a prediction is worth trying). Integer columns rely on those
 * counts: the scan reads every row on the same SQLite read snapshot as the
 * verification (`sqlite-source.ts`), so "no text, real or blob values" is a
 * fact about the rows compared.
 * https://www.postgresql.org/docs/16/sql-copy.html#id-1.9.3.55.9.2
 */
import { copyEscape } from "./copy-encode";
import { pgFloat8Text } from "./float-text";
import type { ColumnPlan } from "./plan-types";
import { quoteSqliteIdent } from "./quote";
import { jsonbTextOfSource } from "./verify-json";

/** COPY text escaping of a SQLite text value, applied only to values holding a character to escape. */
const escSql = (q: string) => `CASE WHEN ${q} GLOB '*[\\' || char(9, 10, 13) || ']*' THEN replace(replace(replace(replace(${q}, '\\', '\\\\'), char(10), '\\n'), char(13), '\\r'), char(9), '\\t') ELSE ${q} END`;

const INTEGER_TYPES = /^(smallint|integer|int|bigint|int2|int4|int8)$/i;
const TEXT_TYPES = /^(text|varchar(\(\d+\))?|character varying(\(\d+\))?)$/i;
const TIMESTAMPTZ_TYPES = /^(timestamptz|timestamp with time zone)$/i;
const TIMESTAMP_TYPES = /^(timestamp|timestamp without time zone)$/i;

/** One column of the fast pass: SQLite's predicted field and the PostgreSQL expression whose text it predicts. */
export interface Prediction {
  sqlite: string;
  /** PostgreSQL select expression for the column reference `q`. */
  pg: (q: string) => string;
}

const plain = (q: string) => q;

/**
 * Datetime text as PostgreSQL prints it: trailing zeros of the fraction
 * dropped, and `T` → space when the data uses `T` (`sample`). Not NULL only
 * for text of at least 10 characters, so no other value can print as `\N`.
 */
function datetimeText(q: string, sample: string | undefined): string {
  const x = sample && sample.charAt(10) === "T" ? `replace(${q}, 'T', ' ')` : q;
  // Most values take two substr(): a fraction not ending in 0 is already as PostgreSQL prints it.
  return `CASE WHEN substr(${q}, 20, 1) = '.' THEN CASE WHEN substr(${q}, -1) = '0' THEN rtrim(rtrim(${x}, '0'), '.') ELSE ${x} END WHEN length(${q}) >= 10 THEN ${x} END`;
}

/**
 * The prediction for column `c`, or null when the column is better
 * compared value by value (doubles, JSON, generated columns, conversions
 * whose output needs JavaScript, unusual storage). `sample` is a non-NULL
 * text value of the column, when there is one: it picks the cheaper form
 * of uuid and datetime predictions (a wrong pick only costs speed).
 */
export function predictedField(c: ColumnPlan, zone: string, sample?: string): Prediction | null {
  if (c.generated) return null;
  const q = c.fromRowid ? c.source : quoteSqliteIdent(c.source);
  const st = c.storage;
  const pg = c.pgType.trim();
  const isNull = `WHEN ${q} IS NULL THEN '\\N'`;
  switch (c.conversion) {
    case "integer":
      // The scan counted every value's storage class on the same read snapshot: here all are integers or NULL.
      if (!INTEGER_TYPES.test(pg) || st.real + st.text + st.blob > 0) return null;
      return { sqlite: `ifnull(${q}, '\\N')`, pg: plain };
    case "text":
      if (!TEXT_TYPES.test(pg) || st.real + st.blob > 0) return null;
      return { sqlite: `CASE typeof(${q}) WHEN 'text' THEN ${escSql(q)} WHEN 'null' THEN '\\N' WHEN 'integer' THEN ${q} END`, pg: plain };
    case "uuid": {
      if (!/^uuid$/i.test(pg) || st.integer + st.real + st.blob > 0) return null;
      const lower = (x: string) => (sample && sample !== sample.toLowerCase() ? `lower(${x})` : x);
      // 32 hex digits (CHAR(32) ids): PostgreSQL prints the 16 bytes as hex; no dashes to add in SQLite.
      if (sample?.length === 32) return { sqlite: `CASE ${isNull} WHEN length(${q}) = 32 THEN ${lower(q)} END`, pg: (x) => `encode(uuid_send(${x}), 'hex')` };
      if (sample?.length === 36) return { sqlite: `CASE ${isNull} WHEN length(${q}) = 36 THEN ${lower(q)} END`, pg: plain };
      return { sqlite: `CASE typeof(${q}) WHEN 'text' THEN CASE length(${q}) WHEN 32 THEN lower(substr(${q}, 1, 8) || '-' || substr(${q}, 9, 4) || '-' || substr(${q}, 13, 4) || '-' || substr(${q}, 17, 4) || '-' || substr(${q}, 21)) WHEN 36 THEN lower(${q}) END WHEN 'null' THEN '\\N' END`, pg: plain };
    }
    case "boolean":
      if (!/^(boolean|bool)$/i.test(pg) || st.blob > 0) return null;
      // Numeric affinity: only numbers compare equal to 0 and 1.
      return { sqlite: `CASE ${q} WHEN 0 THEN 'f' WHEN 1 THEN 't' ELSE CASE typeof(${q}) WHEN 'integer' THEN 't' WHEN 'real' THEN 't' WHEN 'null' THEN '\\N' WHEN 'text' THEN CASE lower(${q}) WHEN 't' THEN 't' WHEN 'true' THEN 't' WHEN '1' THEN 't' WHEN 'f' THEN 'f' WHEN 'false' THEN 'f' WHEN '0' THEN 'f' END END END`, pg: plain };
    case "bytea":
      // PostgreSQL prints \x and lower-case hex; COPY doubles the backslash.
      if (!/^bytea$/i.test(pg) || st.integer + st.real > 0) return null;
      return { sqlite: `CASE typeof(${q}) WHEN 'blob' THEN '\\\\x' || lower(hex(${q})) WHEN 'text' THEN '\\\\x' || lower(hex(CAST(${q} AS BLOB))) WHEN 'null' THEN '\\N' END`, pg: plain };
    case "timestamptz":
      // Naive text is read in the session zone; only UTC prints a fixed offset that SQL can add.
      if (zone.toUpperCase() !== "UTC" || !TIMESTAMPTZ_TYPES.test(pg) || st.integer + st.real + st.blob > 0) return null;
      return { sqlite: `ifnull((${datetimeText(q, sample)}) || '+00', CASE ${isNull} END)`, pg: plain };
    case "timestamp":
      if (!TIMESTAMP_TYPES.test(pg) || st.integer + st.real + st.blob > 0) return null;
      return { sqlite: `ifnull(${datetimeText(q, sample)}, CASE ${isNull} END)`, pg: plain };
    case "date":
      if (!/^date$/i.test(pg) || st.integer + st.real + st.blob > 0) return null;
      return { sqlite: `CASE ${isNull} WHEN length(${q}) = 10 THEN ${q} END`, pg: plain };
    case "interval":
      // Integer microseconds: PostgreSQL prints the same integer from the duration's microseconds.
      if (st.real + st.text + st.blob > 0) return null;
      return { sqlite: `ifnull(${q}, '\\N')`, pg: (x) => `trunc(extract(epoch FROM ${x}) * 1000000)` };
    case "numeric":
    case "double":
    case "json":
    case "time":
    case "inet":
      return null;
    default: {
      const never: never = c.conversion;
      throw new Error(`unknown conversion ${String(never)}`);
    }
  }
}

/** numeric(p,s) with p <= 15: exact as a double, so comparable as one (PostgreSQL prints `::float8`). */
export function decimalAsDouble(c: ColumnPlan): boolean {
  const m = /^numeric\((\d+)(?:,\s*(\d+))?\)$/i.exec(c.pgType.trim());
  return c.conversion === "numeric" && !c.generated && !!m && Number(m[1]) <= 15;
}

/**
 * How the fast passes compare a column that SQL cannot predict: JSON (as
 * jsonb's text of the source tokens), doubles and numeric(p <= 15) (as
 * doubles), or "strict" (type-aware, value by value).
 */
export type TailKind = "json" | "double" | "decimal" | "strict";

const MAX_EXACT = 2n ** 53n;

/**
 * The COPY field PostgreSQL prints for a tail column (`tailSelect` in
 * verify-fast.ts), predicted in JavaScript from the SQLite value, or null
 * when it cannot be predicted. Text equal to PostgreSQL's means what
 * `tailEqual` means by equal: the same double (the text reads back as the
 * source double), or jsonb's text of the source's own tokens.
 */
export function predictedTail(kind: TailKind, v: unknown): string | null {
  if (v === null || v === undefined) return "\\N";
  switch (kind) {
    case "double":
    case "decimal":
      if (typeof v === "number") return pgFloat8Text(v);
      if (typeof v === "bigint" && v <= MAX_EXACT && v >= -MAX_EXACT) return pgFloat8Text(Number(v));
      return null;
    case "json": {
      if (typeof v !== "string") return null;
      const canon = jsonbTextOfSource(v);
      return canon === null ? null : copyEscape(canon);
    }
    case "strict":
      return null;
    default: {
      const never: never = kind;
      throw new Error(`unknown tail kind ${String(never)}`);
    }
  }
}
