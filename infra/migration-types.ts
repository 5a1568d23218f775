/**
 * Plain-value inputs and outputs of the migration dynamic provider
 * (infra/migration-provider.ts). What the provider receives after Pulumi has
 * resolved every Output; what it returns is stored in the state.
 *
 * Secrets: `password` and `appDatabaseUrl` are the only secret values. They are
 * top-level keys so that the engine re-marks the same output keys as secret
 * (a dynamic provider cannot return secrets itself), and the resource also
 * lists them in `additionalSecretOutputs`.
 */
/** Where to connect, as the OWNER role (the one whose default privileges cover the app role). */
export interface MigrationConnection {
  host: string;
  port: number;
  database: string;
  /** The owner role. */
  user: string;
  /** libpq sslmode: disable | prefer | require | verify-ca | verify-full. Default: none (pg's default, no TLS). */
  sslmode?: string;
  /** CA certificate file for verify-ca / verify-full. */
  sslrootcert?: string;
}

/** Options that change how values and schema are mapped (see migrate/types.ts MappingOptions). Changing any reloads every table. */
export interface MigrationMapping {
  typeOverrides?: Record<string, string>;
  sourceTimezone?: string;
  foldIdentifiers?: boolean;
  orphanForeignKeys?: "refuse" | "not-valid";
  schemaMode?: "translate" | "existing";
  skipTables?: string[];
}

export interface MigrationInputs {
  connection: MigrationConnection;
  /** Owner role password. SECRET. */
  password: string;
  /** Absolute path of the SQLite file. */
  sqlitePath: string;
  /** Content fingerprint computed by the program at preview time (infra/fingerprint.ts). */
  sourceFingerprint: string;
  /** Target schema. Changing it replaces the resource (delete first). */
  schema: string;
  mapping: MigrationMapping;
  /**
   * `existing` schema mode: shell command that creates the tables before the
   * FIRST load (create, and create after a replace), e.g. `alembic upgrade head`,
   * run through /bin/sh with DATABASE_URL and PG* set to the target as the owner
   * role. Not part of `mapping`: changing it reloads nothing, and re-syncs do
   * not run it (their staged tables copy the live tables' definitions).
   */
  schemaCommand?: string;
  /** Absolute directory the schema command runs in (default: the provider process's working directory, the project directory under `pulumi up`). */
  schemaCommandCwd?: string;
  /** Let a re-sync overwrite tables that changed in PostgreSQL since the last sync. */
  allowOverwrite: boolean;
  /** The application's `.env` that receives DATABASE_URL after each verified sync. */
  envFile?: string;
  /** DATABASE_URL for the application (app role, plain or SQLAlchemy form): written to `envFile`, given to the seed command. SECRET. */
  appDatabaseUrl?: string;
  /** Directory for the gzip archive of the SQLite file after each verified sync. */
  archiveDir?: string;
  deleteSourceAfterArchive: boolean;
  /** Shell command run after each load with DATABASE_URL set (e.g. `python seed_agents.py`). Must be idempotent. */
  seedCommand?: string;
  /** Tables loaded in parallel by the engine. */
  jobs?: number;
  /** Longest wait for the table locks of the swap, in ms. Default 10000. */
  lockTimeoutMs?: number;
}

/** One migrated table, as of the last sync. */
export interface TableSync {
  /** SQLite name. */
  source: string;
  /** PostgreSQL name. */
  target: string;
  rows: number;
  /** Content checksum of the SQLite table when it was last loaded. */
  sourceChecksum: string;
  /** Content checksum of the PostgreSQL table right after the last sync (the divergence guard compares with it). */
  targetChecksum: string;
}

/** A relation the migration created in the target schema; `delete` drops exactly these. */
export interface CreatedObject {
  name: string;
  kind: "table" | "view" | "materialized view" | "sequence";
}

export interface MigrationOutputs extends MigrationInputs {
  /** True when the migration created the schema (then `delete` drops it). */
  schemaCreated: boolean;
  createdObjects: CreatedObject[];
  tables: TableSync[];
  /** Hash of the SQLite schema (DDL) at the last sync: when it changes, every table reloads. */
  sourceSchemaChecksum: string;
  /** The fingerprint the last sync loaded (= `sourceFingerprint`). */
  syncedFingerprint: string;
  /** ISO time of the last sync. */
  lastSyncAt: string;
  /** Tables the last sync (re)loaded. */
  reloadedTables: string[];
  /** Downtime of the last re-sync: the swap transaction, in ms (0 after create). */
  swapDowntimeMs: number;
  /** Milliseconds per phase of the last sync. */
  timings: Record<string, number>;
  warnings: string[];
  /** True when the engine verified the loaded data value by value. */
  verified: boolean;
  /** Manifest of the last archive, when `archiveDir` is set. */
  archiveManifest?: string;
}
