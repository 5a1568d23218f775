/**
 * Chooses the PostgreSQL type of one column, and says why. A small pure
 * function of (declared type family, what the scan saw, override), so the
 * choice is shown by `plan` and tested table-driven.
 *
 * The standard is the application's view (issue 16): a type is inferred from
 * the values only where the application, through its usual driver or ORM,
 * reads back the same value from PostgreSQL as it read from SQLite.
 * - uuid from values: only `CHAR(32)` key or id-named columns holding 32 hex
 *   digits each. That is the storage of SQLAlchemy's `Uuid` and Django's
 *   `UUIDField` on SQLite (docs/orm-formats: `value.hex`); both ORMs read
 *   UUID objects from char(32) on SQLite and from uuid on PostgreSQL, and both
 *   declare uuid there. Any other text type (VARCHAR(n), TEXT, CHAR(36), no
 *   type) holding UUID-shaped text stays text: the application reads the
 *   exact string, which a uuid column would give back dashed and lower case
 *   (MLflow's `run_uuid VARCHAR(32)`), and its text parameters would meet
 *   `character varying = uuid`.
 * - boolean from values: `TINYINT(1)` (Sequelize's and MySQL-style BOOLEAN)
 *   holding only integers 0/1; Sequelize reads true/false from both. Any other
 *   integer type stays bigint.
 * - Declared names (UUID, BOOLEAN, DATETIME, JSON, a `JSON_VALID` CHECK) are
 *   the application's own statement of the type; its ORM uses the same
 *   PostgreSQL type, so they are mapped by name and the values only checked.
 */
import type { TypeFamily } from "./declared-type";
import type { ColumnStats, Conversion, Sample } from "./plan-types";

export interface MappingInput {
  table: string;
  column: string;
  declaredType: string;
  family: TypeFamily;
  stats: ColumnStats;
  /** Part of the primary key or of a foreign key. */
  isKey: boolean;
  /** A Django-style `CHECK (JSON_VALID(col))` exists. */
  hasJsonCheck: boolean;
  /** Raw `--type` override (a PostgreSQL type name), if any. */
  override?: string;
  /** Why the override applies, when it does not come from `--type` (e.g. the existing target column's type). */
  overrideReason?: string;
  sourceTimezone: string;
}

export interface MappingResult {
  pgType: string;
  conversion: Conversion;
  epochUnit?: "s" | "ms" | "jd";
  reason: string;
  warnings: string[];
  /** `suggest`: the PostgreSQL type the values need (for fixes outside `--type`, e.g. existing schema mode). */
  refusal?: { problem: string; sample?: Sample; fix: string; suggest?: string };
}

/** `--name arg`, with arg quoted for a shell when needed. */
export function shellFlag(name: string, arg: string): string {
  return /^[A-Za-z0-9_.=()]+$/.test(arg) ? `${name} ${arg}` : `${name} '${arg.replace(/'/g, "'\\''")}'`;
}

/** The `--type` argument that maps a column to `pgType`, quoted for a shell when needed. */
export function overrideFlag(table: string, column: string, pgType: string): string {
  return shellFlag("--type", `${table}.${column}=${pgType}`);
}

/** Maps a PostgreSQL type name given as an override to the conversion that feeds it. */
export function conversionForPgType(pgType: string): Conversion | null {
  const t = pgType.trim().toLowerCase().replace(/\s+/g, " ");
  const base = t.replace(/\(.*\)$/, "").trim();
  if (["bigint", "int8", "integer", "int", "int4", "smallint", "int2"].includes(base)) return "integer";
  if (["double precision", "float8", "float", "real", "float4"].includes(base)) return "double";
  if (["numeric", "decimal"].includes(base)) return "numeric";
  if (["text", "varchar", "character varying", "char", "character", "citext", "bpchar", "name"].includes(base)) return "text";
  if (base === "bytea") return "bytea";
  if (["boolean", "bool"].includes(base)) return "boolean";
  if (base === "uuid") return "uuid";
  if (["json", "jsonb"].includes(base)) return "json";
  if (["timestamptz", "timestamp with time zone"].includes(base)) return "timestamptz";
  if (["timestamp", "timestamp without time zone"].includes(base)) return "timestamp";
  if (base === "date") return "date";
  if (["time", "time without time zone"].includes(base)) return "time";
  // interval, interval(6), interval day to second: all hold microseconds exactly.
  if (/^interval\b/.test(t)) return "interval";
  if (base === "inet" || base === "cidr") return "inet";
  return null;
}

const ID_NAME = /(^id$|_id$|[a-z0-9]Id$|^uuid$|_uuid$|uuid$|^guid$|_guid$)/;
/** Sequelize's BOOLEAN on SQLite (and MySQL's BOOL alias): `TINYINT(1)`. */
export const TINYINT1 = /^\s*TINYINT\s*\(\s*1\s*\)\s*$/i;
const HASH_NAME = /(hash|md5|sha|digest|checksum|token|etag|fingerprint)/i;

/** Would `conversion` accept every value the scan saw? Returns the problem, or null. */
export function conversionProblem(conversion: Conversion, s: ColumnStats): { problem: string; sample?: Sample; suggest: string } | null {
  const st = s.storage;
  const cls = (c: "integer" | "real" | "text" | "blob", what: string, suggest: string) =>
    st[c] > 0 ? { problem: `${st[c]} ${what} value(s)`, sample: s.firstOfClass[c], suggest } : null;
  const nul = s.textWithNul > 0 ? { problem: `${s.textWithNul} text value(s) contain NUL bytes, which PostgreSQL text cannot store`, sample: s.firstTextWithNul, suggest: "bytea" } : null;
  switch (conversion) {
    case "integer":
      return cls("text", "text", "text") ?? cls("real", "non-integer real", "double precision") ?? cls("blob", "blob", "bytea");
    case "double":
      return cls("text", "text", "text") ?? cls("blob", "blob", "bytea") ??
        (s.intBeyondDouble > 0 ? { problem: `${s.intBeyondDouble} integer(s) beyond 2^53 that a double cannot hold exactly`, sample: s.firstIntBeyondDouble, suggest: "numeric" } : null);
    case "numeric":
      return cls("text", "text", "text") ?? cls("blob", "blob", "bytea") ??
        (s.nonFinite > 0 ? { problem: `${s.nonFinite} infinite value(s)`, sample: s.firstNonFinite, suggest: "double precision" } : null);
    case "text":
      return nul ?? cls("blob", "blob", "bytea");
    case "bytea":
      return cls("integer", "integer", "bigint") ?? cls("real", "real", "double precision");
    case "boolean":
      return cls("blob", "blob", "bytea") ?? (s.booleanBad > 0 ? { problem: `${s.booleanBad} value(s) that are not 0/1/'t'/'f'/'true'/'false'`, sample: s.firstBooleanBad, suggest: st.text > 0 ? "text" : "bigint" } : null);
    case "uuid":
      return cls("integer", "integer", "text") ?? cls("real", "real", "text") ?? cls("blob", "blob", "bytea") ??
        (s.uuidText < st.text ? { problem: `${st.text - s.uuidText} value(s) that are not UUIDs`, sample: s.firstNonUuid, suggest: "text" } : null);
    case "json":
      return nul ?? (s.jsonInvalid > 0 ? { problem: `${s.jsonInvalid} value(s) that are not valid JSON`, sample: s.firstJsonInvalid, suggest: "text" } : null);
    case "timestamptz":
    case "timestamp":
      return cls("blob", "blob", "bytea") ?? (s.datetimeBad > 0 ? { problem: `${s.datetimeBad} value(s) that are not datetimes`, sample: s.firstDatetimeBad, suggest: "text" } : null) ??
        (s.nonFinite > 0 ? { problem: `${s.nonFinite} infinite value(s)`, sample: s.firstNonFinite, suggest: "text" } : null);
    case "date":
      return cls("integer", "integer", "timestamptz") ?? cls("real", "real", "timestamptz") ?? cls("blob", "blob", "bytea") ??
        (s.dateBad > 0 ? { problem: `${s.dateBad} value(s) that are not dates (or carry a time of day)`, sample: s.firstDateBad, suggest: "timestamptz" } : null);
    case "time":
      return cls("integer", "integer", "text") ?? cls("real", "real", "text") ?? cls("blob", "blob", "bytea") ??
        (s.timeBad > 0 ? { problem: `${s.timeBad} value(s) that are not times of day`, sample: s.firstTimeBad, suggest: "text" } : null);
    case "interval":
      // Integers are microseconds (Django's DurationField); text is SQLAlchemy Interval's 1970-01-01 + delta.
      return cls("blob", "blob", "bytea") ??
        (s.intervalBad > 0 ? { problem: `${s.intervalBad} number(s) that are not whole microseconds within 64 bits`, sample: s.firstIntervalBad, suggest: "double precision" } : null) ??
        (s.datetimeBad > 0 ? { problem: `${s.datetimeBad} text value(s) that are not durations (integer microseconds, or SQLAlchemy Interval's '1970-01-01 …' datetime)`, sample: s.firstDatetimeBad, suggest: "text" } : null);
    case "inet":
      return cls("integer", "integer", "text") ?? cls("real", "real", "text") ?? cls("blob", "blob", "bytea") ??
        (s.netBad > 0 ? { problem: `${s.netBad} value(s) that are not IP addresses (a.b.c.d or IPv6, optional /bits; for cidr no bits right of the mask)`, sample: s.firstNetBad, suggest: "text" } : null);
    default: {
      const never: never = conversion;
      throw new Error(`unknown conversion ${String(never)}`);
    }
  }
}

/** Julian day numbers of 0001-01-01 and 9999-12-31: as epoch seconds these would all fall in January-March 1970. */
const JD_MIN = 1721425.5;
const JD_MAX = 5373484.5;

function epochUnit(s: ColumnStats): "s" | "ms" | "jd" | undefined {
  if (s.storage.integer + s.storage.real === 0) return undefined;
  if (s.storage.real > 0 && s.epochMin !== undefined && s.epochMin >= JD_MIN && s.epochMaxAbs <= JD_MAX) return "jd";
  // 1e11 seconds is the year 5138; 1e11 milliseconds is 1973.
  return s.epochMaxAbs > 1e11 ? "ms" : "s";
}

export function mapColumnType(input: MappingInput): MappingResult {
  const { family: f, stats: s } = input;
  const st = s.storage;
  const warnings: string[] = [];
  const decl = input.declaredType === "" ? "no declared type" : `declared ${input.declaredType}`;
  const refuse = (conversion: Conversion, pgType: string, reason: string, extra: Partial<MappingResult> = {}): MappingResult => {
    const p = conversionProblem(conversion, s);
    const base: MappingResult = { pgType, conversion, reason, warnings, ...extra };
    if (!p) return base;
    return { ...base, refusal: { problem: `${p.problem} cannot be stored as ${pgType}`, sample: p.sample, fix: overrideFlag(input.table, input.column, p.suggest), suggest: p.suggest } };
  };

  if (input.override) {
    const conv = conversionForPgType(input.override);
    if (!conv) {
      return { pgType: input.override, conversion: "text", reason: `override ${input.override}`, warnings, refusal: { problem: `unsupported override type ${JSON.stringify(input.override)}`, fix: overrideFlag(input.table, input.column, "text"), suggest: "text" } };
    }
    const pgType = input.override.trim();
    const extra: Partial<MappingResult> = conv === "timestamptz" || conv === "timestamp" ? { epochUnit: epochUnit(s) } : {};
    if (conv === "text" && st.integer + st.real > 0) warnings.push(`numbers widened to text by the override (${st.integer + st.real} values)`);
    const why = input.overrideReason ?? `override --type ${input.table}.${input.column}=${pgType} (${decl})`;
    const r = refuse(conv, pgType, why, extra);
    if (r.refusal) return r;
    const len = /^(?:character varying|varchar|character|char|bpchar)\s*\(\s*(\d+)\s*\)$/i.exec(pgType);
    if (conv === "text" && len && s.maxTextChars > Number(len[1])) {
      return { ...r, refusal: { problem: `values up to ${s.maxTextChars} characters do not fit ${pgType}`, sample: s.firstTooLong, fix: overrideFlag(input.table, input.column, "text"), suggest: "text" } };
    }
    const ps = /^(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/i.exec(pgType);
    if (conv === "numeric" && ps) {
      const p = Number(ps[1]);
      const sc = Number(ps[2] ?? 0);
      if (s.numericIntDigits > p - sc || s.numericScale > sc) {
        return { ...r, refusal: { problem: `values (up to ${s.numericIntDigits} integer digits, scale ${s.numericScale}) do not fit ${pgType} exactly`, sample: s.firstNumericMisfit, fix: overrideFlag(input.table, input.column, "numeric"), suggest: "numeric" } };
      }
    }
    return r;
  }

  const idNamed = ID_NAME.test(input.column) && !HASH_NAME.test(input.column);
  const uuidShaped = (input.isKey || idNamed) && !HASH_NAME.test(input.column) && st.text > 0 && s.uuidText === st.text && st.integer + st.real + st.blob === 0;
  // Only CHAR(32) of 32 hex digits: SQLAlchemy Uuid / Django UUIDField, which read UUID objects from both sides.
  const uuidCandidate = uuidShaped && f.kind === "varchar" && f.fixed && f.length === 32 && s.maxTextChars <= 32;
  const keptText = uuidShaped && !uuidCandidate
    ? `; UUID-shaped text kept as text: the application reads this exact string (uuid would give it back dashed and lower case, and text parameters would meet "character varying = uuid")`
    : "";

  switch (f.kind) {
    case "uuid":
      return refuse("uuid", "uuid", `${decl}; every value is a UUID`);
    case "json":
      return refuse("json", "jsonb", `${decl}; JSON text → jsonb`);
    case "datetime": {
      const unit = epochUnit(s);
      const parts = [`${decl}`];
      if (st.text > 0) parts.push(`naive text read in ${input.sourceTimezone}`);
      if (unit) parts.push(unit === "jd" ? `numbers are Julian day numbers (SQLite julianday(), ${s.epochMin}..${s.epochMaxAbs})` : `numbers are epoch ${unit === "s" ? "seconds" : "milliseconds"} (max |value| ${s.epochMaxAbs})`);
      return refuse("timestamptz", "timestamptz", parts.join("; "), { epochUnit: unit });
    }
    case "date":
      return refuse("date", "date", `${decl}`);
    case "time":
      return refuse("time", "time", `${decl}`);
    case "boolean":
      return refuse("boolean", "boolean", `${decl}; values are 0/1 or 't'/'f'`);
    case "integer":
      if (TINYINT1.test(input.declaredType)) {
        if (st.text + st.real + st.blob === 0 && s.booleanBad === 0) return refuse("boolean", "boolean", `${decl}: Sequelize's (and MySQL's) BOOLEAN; every value is 0/1, read back as false/true through the ORM on both sides`);
        return refuse("integer", "bigint", `${decl} (INTEGER affinity); not a boolean: ${s.booleanBad > 0 ? `${s.booleanBad} value(s) other than 0/1${s.firstBooleanBad ? `, first at row ${s.firstBooleanBad.key} value ${s.firstBooleanBad.value}` : ""}` : "values other than integers"}`);
      }
      return refuse("integer", "bigint", `${decl} (INTEGER affinity); SQLite integers are 64-bit`);
    case "real":
      return refuse("double", "double precision", `${decl} (REAL affinity); 64-bit double, never real`);
    case "numeric": {
      if (f.precision !== undefined) {
        const sc = f.scale ?? 0;
        const fits = s.numericIntDigits <= f.precision - sc && s.numericScale <= sc;
        if (fits) return refuse("numeric", `numeric(${f.precision},${sc})`, `${decl}; every value fits exactly (shortest round-trip of stored reals)`);
        warnings.push(`values do not fit numeric(${f.precision},${sc}) (up to ${s.numericIntDigits} integer digits, scale ${s.numericScale}); using unconstrained numeric`);
        return refuse("numeric", "numeric", `${decl}; values exceed the declared precision`);
      }
      return refuse("numeric", "numeric", `${decl}; exact decimal of each stored value (shortest round-trip)`);
    }
    case "varchar":
    case "text": {
      if (uuidCandidate) return { pgType: "uuid", conversion: "uuid", reason: `${decl}; ${input.isKey ? "key" : "id-named"} column and every value is 32 hex digits: the SQLAlchemy Uuid / Django UUIDField storage, read as UUID objects from char(32) and from uuid alike`, warnings };
      if (input.hasJsonCheck) return refuse("json", "jsonb", `${decl} with CHECK (JSON_VALID(...)) → jsonb`);
      if (f.kind === "varchar" && f.length !== undefined) {
        if (s.maxTextChars <= f.length) {
          return refuse("text", `varchar(${f.length})`, `${decl}; every value fits${f.fixed ? " (char(n) would blank-pad, varchar keeps values exact)" : ""}${keptText}`);
        }
        const at = s.firstTooLong ? `; first at row ${s.firstTooLong.key} value ${s.firstTooLong.value}` : "";
        warnings.push(`values up to ${s.maxTextChars} characters exceed ${input.declaredType}${at}; using text (never truncated)`);
        return refuse("text", "text", `${decl}; values longer than declared${keptText}`);
      }
      return refuse("text", "text", `${decl} (TEXT affinity)${keptText}`);
    }
    case "blob": {
      if (st.text > 0 && st.blob === 0 && st.integer + st.real === 0) return refuse("text", "text", `${decl}; every value is text`);
      if (st.text > 0 && st.blob > 0) {
        // The application declared bytes and wrote mostly bytes: it reads bytea as it reads its blobs; the text
        // values (written as strings by mistake or by an older version) come back as their UTF-8 bytes.
        const at = s.firstOfClass.text ? `, first at row ${s.firstOfClass.text.key} value ${s.firstOfClass.text.value}` : "";
        warnings.push(`${st.text} text value(s) among ${st.blob} blob(s) stored as the bytes of their UTF-8 text${at}: the application reads them back as bytes, not as strings`);
        return refuse("bytea", "bytea", `${decl} (BLOB affinity); mixed text and blob values → bytea, text as its UTF-8 bytes`);
      }
      return refuse("bytea", "bytea", `${decl} (BLOB affinity)`);
    }
    case "inferred": {
      const present = (["integer", "real", "text", "blob"] as const).filter((c) => st[c] > 0);
      const why = `${decl}; inferred from values (${present.join("/") || "all NULL"})`;
      if (present.length === 0) return { pgType: "text", conversion: "text", reason: why, warnings };
      if (present.every((c) => c === "integer")) return refuse("integer", "bigint", why);
      // Stored reals are doubles: double precision holds them exactly (integers too, below 2^53).
      if (present.every((c) => c === "integer" || c === "real")) return s.intBeyondDouble > 0 ? refuse("numeric", "numeric", why) : refuse("double", "double precision", why);
      if (present.every((c) => c === "text")) return refuse("text", "text", `${why}${keptText}`);
      if (present.every((c) => c === "blob")) return refuse("bytea", "bytea", why);
      return { pgType: "text", conversion: "text", reason: why, warnings, refusal: { problem: `mixes storage classes ${present.join("/")}; widening to text is only done on request`, sample: s.firstOfClass[present[1]], fix: overrideFlag(input.table, input.column, "text"), suggest: "text" } };
    }
    default: {
      const never: never = f;
      throw new Error(`unknown type family ${JSON.stringify(never)}`);
    }
  }
}
