/**
 * The public contract of the migration engine: options in, reports out.
 * `infra/`, the CLI, the benchmark and the acceptance tests all depend on
 * these shapes, so change them only additively.
 */

/** How the target schema comes to exist. */
export type SchemaMode =
  /** Translate the SQLite schema into PostgreSQL DDL (the default). */
  | "translate"
  /** Tables already exist (created by e.g. `alembic upgrade head`); load into them. */
  | "existing";

/** Options that change how values and schema are mapped. They feed the Pulumi diff. */
export interface MappingOptions {
  /** Target schema. Default `public`. */
  schema?: string;
  /** Per-column type overrides: `{ "agents.config": "text" }`. */
  typeOverrides?: Record<string, string>;
  /** IANA zone in which naive SQLite datetimes are read. Default `UTC`. */
  sourceTimezone?: string;
  /** Fold identifiers to lower case instead of preserving them exactly. Default false. */
  foldIdentifiers?: boolean;
  /** Orphan FK rows: refuse (default) or add the FK as NOT VALID. */
  orphanForeignKeys?: "refuse" | "not-valid";
  /** How the target schema is created. Default `translate`. */
  schemaMode?: SchemaMode;
  /**
   * Tables never copied in `existing` mode because the schema command writes them. Default: the framework
   * history tables (`FRAMEWORK_HISTORY_TABLES`: alembic_version, django_migrations, schema_migrations,
   * ar_internal_metadata); the known history tables are compared with the target's rows instead.
   */
  skipTables?: string[];
  /**
   * Foreign keys not to create, each as `TABLE.COLUMN[,COLUMN...]` of the referencing table. A foreign
   * key that cannot be created is refused with this fix, never dropped silently. Translate mode.
   */
  skipForeignKeys?: string[];
  /** SQLite indexes (by name) not to create; an index that cannot be translated is refused with this fix. Translate mode. */
  skipIndexes?: string[];
}

export interface ConnectionOptions {
  /** `postgresql://user[:password]@host:port/db?sslmode=…`. The password may also come from `password` or PGPASSWORD. */
  to: string;
  /** Overrides any password in `to`. Never printed. */
  password?: string;
}

export interface MigrateOptions extends MappingOptions, ConnectionOptions {
  /** Path of the SQLite file. Opened read-only. */
  from: string;
  /** Replace existing tables in the target schema. Default false: a non-empty schema is refused. */
  replace?: boolean;
  /** Verify value by value after loading. Default true. */
  verify?: boolean;
  /**
   * Reader threads besides the main one, all on the same SQLite snapshot (files under 8 MB
   * use none). `plan`/`verify` split the value scan of big tables by rowid range; `migrate`
   * builds the COPY text on a reader and, with two or more, runs the full value scan on two
   * low-priority threads of its own while loading from a plan of a sample, redoing the load if
   * the full plan differs.
   * Verification has the readers predict PostgreSQL's binary COPY tuples range by range
   * (verify-binary.ts), or its COPY text where a column has no binary prediction (verify-readers.ts).
   * PostgreSQL is still fed over one connection in one transaction (atomicity).
   * Default: the cores, at most 4; 1 = none.
   */
  jobs?: number;
  /** Tables with fewer rows are not split between readers (default 50,000; tests set it low). */
  parallelMinRows?: number;
  /**
   * `existing` mode: shell command that creates the schema (e.g. `alembic upgrade head`), run
   * through /bin/sh before the load with DATABASE_URL and PG* set to the target. Output is redacted.
   */
  schemaCommand?: string;
  /** Progress events (per table). */
  onProgress?: (event: ProgressEvent) => void;
  /** Human-readable log lines (never contain secrets). */
  log?: (line: string) => void;
}

export type ProgressEvent =
  | { kind: "table-start"; table: string; totalRows: number }
  | { kind: "table-progress"; table: string; rows: number; totalRows: number }
  | { kind: "table-done"; table: string; rows: number; ms: number }
  | { kind: "phase"; phase: "plan" | "schema" | "load" | "constraints" | "verify" | "commit"; ms?: number };

export interface TableReport {
  /** SQLite table name. */
  source: string;
  /** PostgreSQL table name (after folding/shortening). */
  target: string;
  rows: number;
  loadMs: number;
  verifyMs?: number;
  warnings: string[];
  /** The type mapping of each column (added for `--report`). */
  columns?: { source: string; target: string; declaredType: string; pgType: string; reason: string }[];
}

export interface MigrationReport {
  schema: string;
  tables: TableReport[];
  timings: { planMs: number; schemaMs: number; loadMs: number; constraintsMs: number; verifyMs: number; totalMs: number };
  warnings: string[];
  /** True only when value-by-value verification ran and found no difference. */
  verified: boolean;
}

export interface VerifyMismatch {
  table: string;
  column?: string;
  /** Row key, e.g. `id=42`. */
  key?: string;
  message: string;
}

export interface VerifyReport {
  equal: boolean;
  tables: { source: string; target: string; rows: number; equal: boolean }[];
  mismatches: VerifyMismatch[];
  /** Differences that do not make the copy lossy (e.g. a generated column PostgreSQL computes exactly). */
  warnings?: string[];
}
