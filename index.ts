/**
 * sqlite-to-postgres: the composition root.
 *
 *   config -> PostgreSQL server (docker container | external) -> admin provider
 *          -> database, roles, grants -> migration -> outputs
 *
 * Each piece lives in infra/; this file only wires them.
 */
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { planAccess } from "./infra/access-plan";
import { loadConfig, pulumiConfigSource } from "./infra/config";
import { connectionUrl, type DatabaseConnection } from "./infra/connection";
import { DatabaseAccess } from "./infra/database-access";
import { Migration } from "./infra/migration";
import { PostgresContainer } from "./infra/postgres-container";

const cfg = loadConfig(pulumiConfigSource(__dirname));
const { server, access } = cfg;

// --- PostgreSQL server ------------------------------------------------------
const pg = cfg.docker && new PostgresContainer("postgres", {
  image: cfg.docker.image,
  containerName: cfg.docker.containerName,
  volumeName: cfg.docker.volumeName,
  adminUser: server.adminUser,
  // loadConfig refuses docker mode without it.
  adminPassword: server.adminPassword!,
  bindAddress: cfg.docker.bindAddress,
  port: server.port,
  connectHost: server.host,
  keepDataVolume: cfg.docker.keepDataVolume,
  protectVolume: cfg.protect,
  dockerHost: cfg.docker.dockerHost,
  labels: { "sqlite-to-postgres.project": cfg.project, "sqlite-to-postgres.stack": cfg.stack },
});
export const host = pg ? pg.host : pulumi.output(server.host);
export const port = pg ? pg.port : pulumi.output(server.port);

// --- Database, roles, grants ------------------------------------------------
// Built from the container's outputs and after it is healthy: the provider pings once, without retry.
const admin = access.manage ? new postgresql.Provider("postgres-admin", {
  host,
  port,
  username: server.adminUser,
  password: server.adminPassword,
  database: server.adminDatabase,
  sslmode: server.sslmode,
  sslrootcert: server.sslRootCert,
  superuser: server.adminIsSuperuser,
  connectTimeout: 15,
  expectedVersion: "16",
}, { dependsOn: pg ? [pg.container] : [] }) : undefined;

const db = admin && new DatabaseAccess("access", {
  steps: planAccess({
    database: access.database,
    schema: access.schema,
    ownerRole: access.ownerRole,
    appRole: access.appRole,
    // Docker mode owns the whole server: the app role may reach nothing but its database.
    lockDatabases: cfg.docker ? ["postgres", "template1"] : [],
  }),
  passwords: { ownerPassword: access.ownerPassword, appPassword: access.appPassword },
  provider: admin,
  protectDatabase: cfg.protect,
});
export const database = db ? db.database : pulumi.output(access.database);

const connection = (user: string, password: pulumi.Output<string>): DatabaseConnection => ({
  host, port, database, user, password, sslmode: server.sslmode, sslRootCert: server.sslRootCert,
});
const ownerConnection = connection(access.ownerRole, access.ownerPassword);
const appConnection = connection(access.appRole, access.appPassword);

// --- Migration slot ----------------------------------------------------------
// Runs after every grant, as the owner role, so the app role's default
// privileges cover all it creates. Absent when `migrationSource` is not set.
const m = cfg.migration;
const migration = m && new Migration("migration", {
  host: ownerConnection.host,
  port: ownerConnection.port,
  database: ownerConnection.database,
  ownerUser: ownerConnection.user,
  ownerPassword: ownerConnection.password,
  sslmode: ownerConnection.sslmode,
  sslRootCert: ownerConnection.sslRootCert,
  sqlitePath: m.sqlitePath,
  schema: access.schema,
  schemaMode: m.schemaMode,
  // existing mode: e.g. `alembic upgrade head`, run once before the first load.
  schemaCommand: m.schemaCommand,
  schemaCommandCwd: m.schemaCommandCwd,
  sourceTimezone: m.sourceTimezone,
  typeOverrides: { ...m.typeOverrides },
  foldIdentifiers: m.foldIdentifiers,
  orphanForeignKeys: m.orphanForeignKeys,
  skipTables: [...m.skipTables],
  allowOverwrite: m.allowOverwrite,
  archiveDir: m.archiveDir,
  deleteSourceAfterArchive: m.deleteSourceAfterArchive,
  seedCommand: m.seedCommand,
  // Cutover: the app connects as the app role, never as the owner.
  appUser: appConnection.user,
  appPassword: appConnection.password,
  envFile: m.envFile,
  envUrlStyle: m.envUrlStyle,
}, { dependsOn: db ? [...db.grants] : [], protect: cfg.protect });
// Outputs of the migration (row counts, checksums, timings) are exported by its owner here.
export const migrationUrn = migration ? migration.urn : undefined;
/** Per table: SQLite/PostgreSQL names, rows, source and target checksums as of the last sync. */
export const migrationTables = migration ? migration.tables : undefined;
export const migrationLastSyncAt = migration ? migration.lastSyncAt : undefined;
/** Tables the last `pulumi up` (re)loaded, and the downtime of its swap in ms (0 after the first load). */
export const migrationReloadedTables = migration ? migration.reloadedTables : undefined;
export const migrationSwapDowntimeMs = migration ? migration.swapDowntimeMs : undefined;
export const migrationTimings = migration ? migration.timings : undefined;
export const migrationWarnings = migration ? migration.warnings : undefined;
export const migrationSourceFingerprint = migration ? migration.sourceFingerprint : undefined;

// --- Outputs -----------------------------------------------------------------
export const mode = cfg.mode;
export const schema = access.schema;
export const appUser = access.appRole;
export const ownerUser = access.ownerRole;
export const databaseUrl = connectionUrl(appConnection, "plain");
export const sqlalchemyUrl = connectionUrl(appConnection, "sqlalchemy");
/** What the migration (or an operator's tool) needs to connect as the owner role. */
export const ownerConnectionInfo = pulumi.secret(pulumi.all([host, port, database, access.ownerPassword]).apply(([h, p, d, password]) => ({
  host: h, port: p, database: d, user: access.ownerRole, password, sslmode: server.sslmode, sslRootCert: server.sslRootCert,
})));
