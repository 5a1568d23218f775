/**
 * The translation plan as plain data: what `plan` prints, what tests compare
 * with deep equality, and what `render-ddl.ts` turns into SQL.
 */
import type { IdentifierChange } from "./identifiers";

/** How a SQLite value is turned into the text PostgreSQL's COPY reads. */
export type Conversion =
  | "integer"
  | "double"
  | "numeric"
  | "text"
  | "bytea"
  | "boolean"
  | "uuid"
  | "json"
  | "timestamptz"
  | "timestamp"
  | "date"
  | "time"
  /** PostgreSQL `interval` from integer microseconds (Django's DurationField) or SQLAlchemy's epoch-plus-delta datetime text. */
  | "interval"
  /** PostgreSQL `inet` / `cidr` (the column's pgType says which) from address text. */
  | "inet";

/** A value shown in messages, with the key of its row (`id=42`). */
export interface Sample {
  key: string;
  value: string;
}

/** What the scan saw in one column. */
export interface ColumnStats {
  rows: number;
  /** Counts per SQLite storage class (`typeof()`). */
  storage: { integer: number; real: number; text: number; blob: number; null: number };
  /** Longest text value in characters, 0 when none. */
  maxTextChars: number;
  textWithNul: number;
  firstTextWithNul?: Sample;
  /** Text values that parse as a UUID (32 hex or 36 dashed). */
  uuidText: number;
  firstNonUuid?: Sample;
  /** Text values that are not one of 0/1/t/f/true/false; numbers other than 0/1. */
  booleanBad: number;
  firstBooleanBad?: Sample;
  /** Text values that are not a datetime SQLite apps write. */
  datetimeBad: number;
  firstDatetimeBad?: Sample;
  /** Largest absolute epoch number seen in a datetime column. */
  epochMaxAbs: number;
  /** Smallest number seen in a datetime column (to recognise Julian day numbers). */
  epochMin?: number;
  dateBad: number;
  firstDateBad?: Sample;
  timeBad: number;
  firstTimeBad?: Sample;
  /** Over numeric values, after shortest round-trip: largest integer-digit count and scale. */
  numericIntDigits: number;
  numericScale: number;
  nonFinite: number;
  firstNonFinite?: Sample;
  jsonInvalid: number;
  firstJsonInvalid?: Sample;
  /** Durations: reals that are not whole microseconds, or beyond 64 bits. */
  intervalBad: number;
  firstIntervalBad?: Sample;
  /** Text values that are not addresses of the scanned inet/cidr (`TextChecks.net`). */
  netBad: number;
  firstNetBad?: Sample;
  /** Integers beyond 2^53 (not exact as a double). */
  intBeyondDouble: number;
  firstIntBeyondDouble?: Sample;
  /** First text value longer than the column's length limit (`ScanColumn.maxChars`). */
  firstTooLong?: Sample;
  /** First value that does not fit the scanned numeric(p,s) exactly. */
  firstNumericMisfit?: Sample;
  /** First value of a storage class that the chosen type cannot take. */
  firstOfClass: Partial<Record<"integer" | "real" | "text" | "blob", Sample>>;
}

export interface ColumnPlan {
  source: string;
  target: string;
  declaredType: string;
  storage: ColumnStats["storage"];
  pgType: string;
  conversion: Conversion;
  /** For numbers in datetime columns: epoch seconds, epoch milliseconds, or Julian day numbers (SQLite's julianday()). */
  epochUnit?: "s" | "ms" | "jd";
  reason: string;
  warnings: string[];
  notNull: boolean;
  /** DEFAULT as rendered for PostgreSQL, if any. */
  default?: string;
  /** `GENERATED ALWAYS AS IDENTITY` replaces INTEGER PRIMARY KEY / AUTOINCREMENT; restarted at this value. */
  identity?: { restartWith: string };
  /** A translated generated column: not copied, computed by PostgreSQL (STORED). */
  generated?: { sqlite: string; pg: string };
  /** SQLite COLLATE of the column, for reporting. */
  collation?: string;
  /** The PostgreSQL collation the column gets (created in the target schema, `Plan.collations`). */
  pgCollation?: string;
  /** The value is the SQLite rowid (FTS tables), not a declared column. */
  fromRowid?: boolean;
}

export interface IndexPlan {
  source: string;
  target: string;
  unique: boolean;
  /** Rendered key list, e.g. `"a", lower("b") DESC`. */
  keys: string;
  where?: string;
  action: "create" | "skip";
  reason: string;
}

export interface CheckPlan {
  name?: string;
  sqlite: string;
  pg?: string;
  action: "create" | "drop" | "skip";
  reason: string;
}

export interface ForeignKeyPlan {
  name: string;
  /** Target names. */
  columns: string[];
  parentTable: string;
  parentColumns: string[];
  sourceParent: string;
  sourceColumns: string[];
  onDelete: string;
  onUpdate: string;
  deferrable: boolean;
  action: "create" | "create-not-valid" | "skip";
  reason: string;
}

export interface TablePlan {
  source: string;
  target: string;
  kind: "table" | "fts";
  withoutRowid: boolean;
  strict: boolean;
  rows: number;
  columns: ColumnPlan[];
  /** SQLite expressions (quoted names or `rowid`) that order rows identically on both sides. */
  sourceKey: string[];
  primaryKey?: { name: string; columns: string[] };
  uniques: { name: string; columns: string[]; source: string }[];
  checks: CheckPlan[];
  indexes: IndexPlan[];
  foreignKeys: ForeignKeyPlan[];
  /** Some integer is beyond 2^53: read with 64-bit integers (slower) instead of JS numbers. */
  bigIntegers?: boolean;
  /** FTS: the generated tsvector column and its GIN index. */
  fts?: { column: string; config: string; sourceColumns: string[]; index: string };
  warnings: string[];
}

export interface ViewPlan {
  source: string;
  target: string;
  sqlite: string;
  pg?: string;
  /** Column names declared by the view (`CREATE VIEW v (a, b) AS`). */
  columns?: string[];
  action: "create" | "skip";
  reason: string;
}

export interface TriggerPlan {
  name: string;
  table: string;
  sqlite: string;
  action: "report";
  reason: string;
}

export interface SkippedObject {
  name: string;
  kind: "internal" | "shadow" | "virtual";
  reason: string;
}

/** A value or schema problem that refuses the migration. */
export interface PlanError {
  table: string;
  column?: string;
  key?: string;
  value?: string;
  message: string;
  /** The exact option that fixes it, e.g. `--type agents.config=text`. */
  fix?: string;
}

/**
 * A collation created in the target schema for a SQLite collation PostgreSQL does not have
 * (Anki's case-insensitive `unicase` → a nondeterministic ICU collation).
 */
export interface CollationPlan {
  /** Target name (in the plan's schema). */
  name: string;
  /** The SQLite collation it stands for. */
  sqlite: string;
  provider: "icu";
  locale: string;
  deterministic: boolean;
}

export interface Plan {
  source: string;
  schema: string;
  sourceTimezone: string;
  foldIdentifiers: boolean;
  tables: TablePlan[];
  views: ViewPlan[];
  triggers: TriggerPlan[];
  skipped: SkippedObject[];
  identifiers: IdentifierChange[];
  /** Collations to create before the tables (translate mode); absent when none. */
  collations?: CollationPlan[];
  warnings: string[];
  /** Refusals: non-empty means `migrate` will not touch the target. */
  errors: PlanError[];
}
