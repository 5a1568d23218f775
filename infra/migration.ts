/**
 * The migration as a Pulumi resource: the SQLite file's schema and data in
 * PostgreSQL, verified, kept in sync by re-runs of `pulumi up` until cutover,
 * then the cutover (.env), the archive and the cleanup.
 *
 *   const migration = new Migration("migration", {
 *     host, port, database, ownerUser, ownerPassword,       // connect as the OWNER role
 *     sqlitePath: "/srv/app/app.db",
 *     appUser, appPassword, envFile: "/srv/app/.env", envUrlStyle: "sqlalchemy",
 *   }, { dependsOn: grants });
 *
 * Lifecycle (infra/migration-lifecycle.ts): create = migrate + verify;
 * update = re-sync of the changed tables with a swap; delete = drop exactly
 * what it created. The data resource is a dynamic resource
 * (infra/migration-provider.ts) whose state holds no engine code and whose
 * secrets (`password`, `appDatabaseUrl`) stay secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { archivedFingerprint } from "./archive";
import { databaseUrl, type DatabaseUrlForm } from "./env-file";
import { sqliteFingerprint } from "./fingerprint";
import { migrationProvider } from "./migration-provider";
import type { MigrationInputs, TableSync } from "./migration-types";

/** Mapping options (migrate/types.ts `MappingOptions`) are the flat fields typeOverrides … skipTables below; changing any of them reloads every table. */
export interface MigrationArgs {
  /** PostgreSQL host as seen from the machine running `pulumi up`. */
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  database: pulumi.Input<string>;
  /**
   * The OWNER role. The migration connects as it, so every table, view and
   * sequence it creates (re-syncs included) is owned by it and covered by the
   * default privileges it granted to the app role.
   */
  ownerUser: pulumi.Input<string>;
  /** The owner role's password. Stored as a secret whatever is passed. */
  ownerPassword: pulumi.Input<string>;
  /** libpq sslmode: `disable` (default), `require`, `verify-ca`, `verify-full`. */
  sslmode?: pulumi.Input<string>;
  /** CA certificate file (PEM) for `verify-ca` / `verify-full`. */
  sslRootCert?: pulumi.Input<string>;

  /** The SQLite file. Its content fingerprint (file + `-wal`) is computed at preview time, so a changed file shows as a pending update. */
  sqlitePath: pulumi.Input<string>;
  /** Target schema. Default `public`. Changing it replaces the resource, dropping the old tables first. */
  schema?: pulumi.Input<string>;
  /** Per-column type overrides, `{ "agents.config": "text" }`. */
  typeOverrides?: pulumi.Input<Record<string, string>>;
  /** IANA zone in which naive SQLite datetimes are read. Default `UTC`. */
  sourceTimezone?: pulumi.Input<string>;
  /** Fold identifiers to lower case. Default false (names preserved exactly). */
  foldIdentifiers?: pulumi.Input<boolean>;
  /** Orphan FK rows: `refuse` (default) or add the FK `NOT VALID`. */
  orphanForeignKeys?: pulumi.Input<"refuse" | "not-valid">;
  /** `translate` (default): create tables from the SQLite schema; `existing`: tables exist (e.g. `alembic upgrade head`), load into them. */
  schemaMode?: pulumi.Input<"translate" | "existing">;
  /**
   * `existing` mode only: shell command that creates the tables before the first
   * load, e.g. `alembic upgrade head`, with DATABASE_URL and PG* set to the target
   * (owner role). Runs on create (and a replace), not on re-syncs; changing it
   * alone reloads nothing. Its output is shown with secrets masked.
   */
  schemaCommand?: pulumi.Input<string>;
  /** Directory the schema command runs in (e.g. the app's, holding alembic.ini). Default: the working directory of `pulumi up`. */
  schemaCommandCwd?: pulumi.Input<string>;
  /** Tables not copied in `existing` mode. Engine default `["alembic_version"]`. */
  skipTables?: pulumi.Input<pulumi.Input<string>[]>;

  /**
   * Let a re-sync overwrite tables that were written to in PostgreSQL since
   * the last sync (i.e. after cutover). Default false: the re-sync refuses
   * and names the tables. This is what keeps data written after cutover safe.
   */
  allowOverwrite?: pulumi.Input<boolean>;

  /** The APP role, for the DATABASE_URL written to envFile and given to seedCommand. */
  appUser?: pulumi.Input<string>;
  /** The app role's password. Stored as a secret whatever is passed. */
  appPassword?: pulumi.Input<string>;
  /** Cutover: the app's `.env`. After each verified sync, DATABASE_URL (app role) is written into it atomically; every other line is kept. Needs appUser/appPassword. */
  envFile?: pulumi.Input<string>;
  /** Form of DATABASE_URL: `sqlalchemy` = `postgresql+psycopg2://…`, `plain` = `postgresql://…` (default). */
  envUrlStyle?: pulumi.Input<DatabaseUrlForm>;
  /** After each verified sync, a gzip copy of the SQLite file (+ `-wal`) and a sha256 manifest go here. */
  archiveDir?: pulumi.Input<string>;
  /** Delete the SQLite file (+ `-wal`, `-shm`) once archived and verified. Default false. Needs archiveDir. */
  deleteSourceAfterArchive?: pulumi.Input<boolean>;
  /**
   * Shell command run after each load with DATABASE_URL set (the app role's
   * when appUser/appPassword are given, else the owner's), e.g.
   * `python seed_agents.py`. Must be idempotent: it runs again after each
   * re-sync that reloads tables. Its output is shown with secrets masked.
   */
  seedCommand?: pulumi.Input<string>;
  /** Tables the engine loads in parallel. */
  jobs?: pulumi.Input<number>;
  /** Longest wait, in ms, for the table locks of a re-sync swap. Default 10000. */
  lockTimeoutMs?: pulumi.Input<number>;
}

type DataProps = { [K in keyof MigrationInputs]: pulumi.Input<MigrationInputs[K]> | undefined };

/** The dynamic resource holding the migrated data (the component's only child). */
export class MigrationData extends pulumi.dynamic.Resource {
  declare public readonly tables: pulumi.Output<TableSync[]>;
  declare public readonly lastSyncAt: pulumi.Output<string>;
  declare public readonly swapDowntimeMs: pulumi.Output<number>;
  declare public readonly reloadedTables: pulumi.Output<string[]>;
  declare public readonly timings: pulumi.Output<Record<string, number>>;
  declare public readonly warnings: pulumi.Output<string[]>;
  declare public readonly syncedFingerprint: pulumi.Output<string>;
  declare public readonly verified: pulumi.Output<boolean>;
  declare public readonly archiveManifest: pulumi.Output<string | undefined>;
  declare public readonly password: pulumi.Output<string>;
  declare public readonly appDatabaseUrl: pulumi.Output<string | undefined>;

  constructor(name: string, props: DataProps, opts: pulumi.CustomResourceOptions) {
    super(migrationProvider(), name, {
      ...props,
      tables: undefined, lastSyncAt: undefined, swapDowntimeMs: undefined, reloadedTables: undefined, timings: undefined,
      warnings: undefined, syncedFingerprint: undefined, verified: undefined, archiveManifest: undefined,
    }, opts, "sqlite-to-postgres", "Migration");
  }
}

/** Fingerprint at preview time; after an archive that deleted the source, the archived fingerprint (no diff). */
function fingerprintOf(sqlitePath: string, archiveDir: string | undefined): string {
  if (!existsSync(sqlitePath) && archiveDir) {
    const archived = archivedFingerprint(sqlitePath, archiveDir);
    if (archived) return archived;
  }
  return sqliteFingerprint(sqlitePath);
}

export class Migration extends pulumi.ComponentResource {
  /** Per table: SQLite and PostgreSQL names, rows, source and target checksums as of the last sync. */
  public readonly tables: pulumi.Output<TableSync[]>;
  /** ISO time of the last sync. */
  public readonly lastSyncAt: pulumi.Output<string>;
  /** Downtime of the last re-sync (the swap transaction), in ms; 0 after the first load. */
  public readonly swapDowntimeMs: pulumi.Output<number>;
  /** Tables the last sync (re)loaded. */
  public readonly reloadedTables: pulumi.Output<string[]>;
  public readonly timings: pulumi.Output<Record<string, number>>;
  public readonly warnings: pulumi.Output<string[]>;
  /** Content fingerprint of the SQLite file the last sync loaded. */
  public readonly sourceFingerprint: pulumi.Output<string>;
  public readonly verified: pulumi.Output<boolean>;
  public readonly archiveManifest: pulumi.Output<string | undefined>;
  /** The dynamic resource itself (its `password` and `appDatabaseUrl` outputs are secret). */
  public readonly data: MigrationData;

  constructor(name: string, args: MigrationArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sqlite-to-postgres:infra:Migration", name, {}, opts);
    const sqlitePath = pulumi.output(args.sqlitePath).apply((p) => resolve(p));
    const archiveDir = args.archiveDir === undefined ? undefined : pulumi.output(args.archiveDir).apply((p) => resolve(p));
    const fingerprint = pulumi.all([sqlitePath, archiveDir]).apply(([p, a]) => fingerprintOf(p, a));
    const appDatabaseUrl = args.appUser === undefined || args.appPassword === undefined
      ? undefined
      : pulumi.secret(pulumi.all([args.host, args.port, args.database, args.appUser, args.appPassword, args.sslmode, args.envUrlStyle])
        .apply(([host, port, database, user, password, sslmode, form]) =>
          databaseUrl({ host, port, database, user, password, sslmode }, form ?? "plain")));
    const props: DataProps = {
      connection: pulumi.all([args.host, args.port, args.database, args.ownerUser, args.sslmode, args.sslRootCert])
        .apply(([host, port, database, user, sslmode, sslrootcert]) => ({ host, port, database, user, sslmode, sslrootcert })),
      password: pulumi.secret(args.ownerPassword),
      sqlitePath,
      sourceFingerprint: fingerprint,
      schema: args.schema ?? "public",
      mapping: pulumi.all([args.typeOverrides, args.sourceTimezone, args.foldIdentifiers, args.orphanForeignKeys, args.schemaMode, args.skipTables])
        .apply(([typeOverrides, sourceTimezone, foldIdentifiers, orphanForeignKeys, schemaMode, skipTables]) =>
          ({ typeOverrides, sourceTimezone, foldIdentifiers, orphanForeignKeys, schemaMode, skipTables })),
      schemaCommand: args.schemaCommand,
      schemaCommandCwd: args.schemaCommandCwd === undefined ? undefined : pulumi.output(args.schemaCommandCwd).apply((p) => resolve(p)),
      allowOverwrite: args.allowOverwrite ?? false,
      envFile: args.envFile === undefined ? undefined : pulumi.output(args.envFile).apply((p) => resolve(p)),
      appDatabaseUrl,
      archiveDir,
      deleteSourceAfterArchive: args.deleteSourceAfterArchive ?? false,
      seedCommand: args.seedCommand,
      jobs: args.jobs,
      lockTimeoutMs: args.lockTimeoutMs,
    };
    const data = this.data = new MigrationData(`${name}-data`, props, {
      parent: this,
      dependsOn: opts.dependsOn,
      additionalSecretOutputs: ["password", "appDatabaseUrl"],
    });
    this.tables = data.tables;
    this.lastSyncAt = data.lastSyncAt;
    this.swapDowntimeMs = data.swapDowntimeMs;
    this.reloadedTables = data.reloadedTables;
    this.timings = data.timings;
    this.warnings = data.warnings;
    this.sourceFingerprint = data.syncedFingerprint;
    this.verified = data.verified;
    this.archiveManifest = data.archiveManifest;
    this.registerOutputs({
      tables: this.tables, lastSyncAt: this.lastSyncAt, swapDowntimeMs: this.swapDowntimeMs, reloadedTables: this.reloadedTables,
      warnings: this.warnings, sourceFingerprint: this.sourceFingerprint, verified: this.verified,
    });
  }
}
