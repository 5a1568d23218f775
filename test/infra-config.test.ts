/**
 * Stack configuration: defaults, and one message per problem that names the
 * key, says what is wrong and gives the exact `pulumi config set` fix.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadConfig, type ConfigSource } from "../infra/config";
import { resolveOutput } from "./support/pulumi-mocks";

const REPO = resolve(__dirname, "..");
const SECRETS = { adminPassword: "admin-secret-1", ownerPassword: "owner-secret-1", appPassword: "app-secret-1" };

function source(values: Record<string, string>, secretKeys: string[] = Object.keys(SECRETS), stack = "dev"): ConfigSource {
  return {
    project: "sqlite-to-postgres",
    stack,
    baseDir: REPO,
    get: (k) => values[k],
    isSecret: (k) => secretKeys.includes(k),
  };
}

function errorOf(values: Record<string, string>, secretKeys?: string[]): ConfigError {
  try {
    loadConfig(source(values, secretKeys));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected loadConfig to throw");
}

test("docker defaults: postgres:16 on 127.0.0.1:5432, plain TCP, volume removed on destroy, no migration", async () => {
  const cfg = loadConfig(source({ ...SECRETS }));
  assert.equal(cfg.mode, "docker");
  assert.deepEqual({ ...cfg.docker }, {
    image: "postgres:16",
    bindAddress: "127.0.0.1",
    dockerHost: undefined,
    keepDataVolume: false,
    containerName: "sqlite-to-postgres-dev-postgres",
    volumeName: "sqlite-to-postgres-dev-pgdata",
  });
  assert.equal(cfg.server.host, "127.0.0.1");
  assert.equal(cfg.server.port, 5432);
  assert.equal(cfg.server.sslmode, "disable");
  assert.deepEqual([cfg.access.manage, cfg.access.database, cfg.access.schema, cfg.access.ownerRole, cfg.access.appRole], [true, "app", "public", "app_owner", "app_user"]);
  assert.equal(cfg.migration, undefined);
  assert.equal(cfg.protect, false);
  assert.equal(await pulumi.isSecret(cfg.access.appPassword), true);
  assert.equal(await resolveOutput(cfg.access.appPassword), SECRETS.appPassword);
  assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.server));
});

test("external mode: sslmode defaults to require; CA path resolved; non-superuser admin", () => {
  const cfg = loadConfig(source({ ...SECRETS, mode: "external", host: "db.example.com", adminIsSuperuser: "false", sslRootCert: "package.json", sslmode: "verify-full" }));
  assert.equal(cfg.docker, undefined);
  assert.equal(cfg.server.host, "db.example.com");
  assert.equal(cfg.server.sslmode, "verify-full");
  assert.equal(cfg.server.sslRootCert, resolve(REPO, "package.json"));
  assert.equal(cfg.server.adminIsSuperuser, false);
  assert.equal(loadConfig(source({ ...SECRETS, mode: "external", host: "h" })).server.sslmode, "require");
});

test("migration settings: path resolved against the project, overrides parsed, defaults", () => {
  const cfg = loadConfig(source({ ...SECRETS, migrationSource: "demo/agentgrid-demo.sqlite", migrationTypeOverrides: '["agents.config=text","agent_runs.cost_usd=numeric(12,4)"]' }));
  assert.deepEqual({ ...cfg.migration }, {
    sqlitePath: resolve(REPO, "demo/agentgrid-demo.sqlite"),
    schemaMode: "translate",
    schemaCommand: undefined,
    schemaCommandCwd: undefined,
    sourceTimezone: "UTC",
    typeOverrides: { "agents.config": "text", "agent_runs.cost_usd": "numeric(12,4)" },
    foldIdentifiers: false,
    orphanForeignKeys: "refuse",
    skipTables: ["alembic_version"],
    allowOverwrite: false,
    archiveDir: undefined,
    deleteSourceAfterArchive: false,
    seedCommand: undefined,
    envFile: undefined,
    envUrlStyle: "sqlalchemy",
  });
});

/** [what, config, secret keys, expected message]. Each names the key, the problem and the fix. */
const CASES: [string, Record<string, string>, string[] | undefined, string][] = [
  ["missing app password", { adminPassword: "admin-secret-1", ownerPassword: "owner-secret-1" }, undefined,
    'invalid configuration sqlite-to-postgres:appPassword on stack "dev": is not set.\n  Fix: pulumi config set --secret appPassword <password> --stack dev'],
  ["missing owner password", { adminPassword: "admin-secret-1", appPassword: "app-secret-1" }, undefined,
    'invalid configuration sqlite-to-postgres:ownerPassword on stack "dev": is not set.\n  Fix: pulumi config set --secret ownerPassword <password> --stack dev'],
  ["missing admin password in docker mode", { ownerPassword: "owner-secret-1", appPassword: "app-secret-1" }, undefined,
    'invalid configuration sqlite-to-postgres:adminPassword on stack "dev": is not set.\n  Fix: pulumi config set --secret adminPassword <password> --stack dev'],
  ["password in plaintext", { ...SECRETS }, ["adminPassword", "ownerPassword"],
    'invalid configuration sqlite-to-postgres:appPassword on stack "dev": is stored in plaintext; passwords must be secrets (encrypted in the stack file).\n  Fix: pulumi config set --secret appPassword <password> --stack dev'],
  ["short password", { ...SECRETS, ownerPassword: "short" }, undefined,
    'invalid configuration sqlite-to-postgres:ownerPassword on stack "dev": is shorter than 8 characters.\n  Fix: pulumi config set --secret ownerPassword <password> --stack dev'],
  ["unknown mode", { ...SECRETS, mode: "kubernetes" }, undefined,
    'invalid configuration sqlite-to-postgres:mode on stack "dev": "kubernetes" is not one of docker, external.\n  Fix: pulumi config set mode docker --stack dev'],
  ["port out of range", { ...SECRETS, port: "70000" }, undefined,
    'invalid configuration sqlite-to-postgres:port on stack "dev": "70000" is not a TCP port (1-65535).\n  Fix: pulumi config set port 5432 --stack dev'],
  ["bind address not an IP", { ...SECRETS, bindAddress: "localhost" }, undefined,
    'invalid configuration sqlite-to-postgres:bindAddress on stack "dev": "localhost" is not an IP address.\n  Fix: pulumi config set bindAddress 127.0.0.1 --stack dev'],
  ["remote docker host without host", { ...SECRETS, dockerHost: "ssh://deploy@box" }, undefined,
    'invalid configuration sqlite-to-postgres:host on stack "dev": is required when dockerHost names a remote Docker host: the container\'s port is published on that machine, so say which address reaches it from here (the Docker host\'s name, or the local end of an SSH tunnel).\n  Fix: pulumi config set host <address> --stack dev'],
  ["docker host not a URL", { ...SECRETS, dockerHost: "box" }, undefined,
    'invalid configuration sqlite-to-postgres:dockerHost on stack "dev": "box" is not a Docker host URL (ssh://user@host, tcp://host:2376, unix:///path).\n  Fix: pulumi config set dockerHost ssh://user@host --stack dev'],
  ["external mode without host", { ...SECRETS, mode: "external" }, undefined,
    'invalid configuration sqlite-to-postgres:host on stack "dev": is required in external mode (the PostgreSQL server\'s address).\n  Fix: pulumi config set host db.example.com --stack dev'],
  ["bad sslmode", { ...SECRETS, mode: "external", host: "h", sslmode: "prefer" }, undefined,
    'invalid configuration sqlite-to-postgres:sslmode on stack "dev": "prefer" is not one of disable, require, verify-ca, verify-full.\n  Fix: pulumi config set sslmode require --stack dev'],
  ["CA certificate missing", { ...SECRETS, mode: "external", host: "h", sslRootCert: "certs/none.pem" }, undefined,
    `invalid configuration sqlite-to-postgres:sslRootCert on stack "dev": file "certs/none.pem" does not exist (resolved to ${resolve(REPO, "certs/none.pem")}).\n  Fix: pulumi config set sslRootCert <path> --stack dev`],
  ["CA certificate in docker mode", { ...SECRETS, sslRootCert: "package.json" }, undefined,
    'invalid configuration sqlite-to-postgres:sslRootCert on stack "dev": only applies to external servers (the docker container serves no TLS).\n  Fix: pulumi config rm sslRootCert --stack dev'],
  ["manageAccess=false in docker mode", { ...SECRETS, manageAccess: "false" }, undefined,
    'invalid configuration sqlite-to-postgres:manageAccess on stack "dev": false is only possible in external mode (a docker server starts empty, so the program must create database and roles).\n  Fix: pulumi config set manageAccess true --stack dev'],
  ["boolean not a boolean", { ...SECRETS, keepDataVolume: "yes" }, undefined,
    'invalid configuration sqlite-to-postgres:keepDataVolume on stack "dev": "yes" is not a boolean (true or false).\n  Fix: pulumi config set keepDataVolume false --stack dev'],
  ["database name not an identifier", { ...SECRETS, database: "My-App" }, undefined,
    'invalid configuration sqlite-to-postgres:database on stack "dev": "My-App" is not a lower-case PostgreSQL identifier (a-z, 0-9 and _, not starting with a digit, at most 63 characters).\n  Fix: pulumi config set database app --stack dev'],
  ["database name reserved", { ...SECRETS, database: "postgres" }, undefined,
    'invalid configuration sqlite-to-postgres:database on stack "dev": "postgres" is reserved by PostgreSQL.\n  Fix: pulumi config set database app --stack dev'],
  ["role named public", { ...SECRETS, appRole: "public" }, undefined,
    'invalid configuration sqlite-to-postgres:appRole on stack "dev": "public" is reserved by PostgreSQL.\n  Fix: pulumi config set appRole app_user --stack dev'],
  ["app role equals owner role", { ...SECRETS, appRole: "app_owner" }, undefined,
    'invalid configuration sqlite-to-postgres:appRole on stack "dev": must differ from ownerRole (both are "app_owner").\n  Fix: pulumi config set appRole app_owner_app --stack dev'],
  ["owner role equals the admin", { ...SECRETS, ownerRole: "postgres" }, undefined,
    'invalid configuration sqlite-to-postgres:ownerRole on stack "dev": must differ from adminUser ("postgres"): the program creates this role.\n  Fix: pulumi config set ownerRole app_owner --stack dev'],
  ["migration source missing", { ...SECRETS, migrationSource: "data/app.db" }, undefined,
    `invalid configuration sqlite-to-postgres:migrationSource on stack "dev": file "data/app.db" does not exist (resolved to ${resolve(REPO, "data/app.db")}).\n  Fix: pulumi config set migrationSource <path> --stack dev`],
  ["type override malformed", { ...SECRETS, migrationTypeOverrides: '["agents.config"]' }, undefined,
    'invalid configuration sqlite-to-postgres:migrationTypeOverrides on stack "dev": entry "agents.config" is not of the form table.column=type.\n  Fix: pulumi config set --path \'migrationTypeOverrides[0]\' agents.config=text --stack dev'],
  ["skip tables not a list", { ...SECRETS, migrationSkipTables: "alembic_version" }, undefined,
    'invalid configuration sqlite-to-postgres:migrationSkipTables on stack "dev": is not a list of strings.\n  Fix: pulumi config set --path \'migrationSkipTables[0]\' <value> --stack dev'],
  ["unknown time zone", { ...SECRETS, migrationSourceTimezone: "Mars/Olympus" }, undefined,
    'invalid configuration sqlite-to-postgres:migrationSourceTimezone on stack "dev": "Mars/Olympus" is not an IANA time zone.\n  Fix: pulumi config set migrationSourceTimezone Europe/Berlin --stack dev'],
  ["delete source without archive", { ...SECRETS, migrationDeleteSourceAfterArchive: "true" }, undefined,
    'invalid configuration sqlite-to-postgres:migrationArchiveDir on stack "dev": is required when migrationDeleteSourceAfterArchive is true (the source is deleted only after it is archived).\n  Fix: pulumi config set migrationArchiveDir ./archive --stack dev'],
  ["schema command outside existing schema mode", { ...SECRETS, migrationSchemaCommand: "alembic upgrade head" }, undefined,
    'invalid configuration sqlite-to-postgres:migrationSchemaCommand on stack "dev": only runs in existing schema mode, and migrationSchemaMode is "translate" (the tables are created from the SQLite schema).\n  Fix: pulumi config set migrationSchemaMode existing --stack dev (or, to translate the SQLite schema, pulumi config rm migrationSchemaCommand --stack dev)'],
  ["schema command directory without a command", { ...SECRETS, migrationSchemaMode: "existing", migrationSchemaCommandCwd: "test" }, undefined,
    'invalid configuration sqlite-to-postgres:migrationSchemaCommandCwd on stack "dev": is set but migrationSchemaCommand is not (it is the directory that command runs in).\n  Fix: pulumi config set migrationSchemaCommand \'alembic upgrade head\' --stack dev'],
  ["schema command directory missing", { ...SECRETS, migrationSchemaMode: "existing", migrationSchemaCommand: "alembic upgrade head", migrationSchemaCommandCwd: "backend" }, undefined,
    `invalid configuration sqlite-to-postgres:migrationSchemaCommandCwd on stack "dev": directory "backend" does not exist (resolved to ${resolve(REPO, "backend")}).\n  Fix: pulumi config set migrationSchemaCommandCwd <directory> --stack dev`],
  ["unknown URL style", { ...SECRETS, appEnvUrlStyle: "jdbc" }, undefined,
    'invalid configuration sqlite-to-postgres:appEnvUrlStyle on stack "dev": "jdbc" is not one of sqlalchemy, plain.\n  Fix: pulumi config set appEnvUrlStyle sqlalchemy --stack dev'],
];

for (const [what, values, secretKeys, message] of CASES) {
  test(`config error: ${what}`, () => {
    const err = errorOf(values, secretKeys);
    assert.equal(err.message, message);
    assert.ok(pulumi.RunError.isInstance(err), "printed by pulumi without a stack trace");
    for (const secret of Object.values(SECRETS)) assert.ok(!err.message.includes(secret), "no secret in the message");
  });
}

test("existing schema mode with a schema command: the command and its directory (default: the project directory)", () => {
  const base = { ...SECRETS, migrationSource: "package.json", migrationSchemaMode: "existing", migrationSchemaCommand: "  alembic upgrade head " };
  const cfg = loadConfig(source(base));
  assert.equal(cfg.migration?.schemaMode, "existing");
  assert.equal(cfg.migration?.schemaCommand, "alembic upgrade head");
  assert.equal(cfg.migration?.schemaCommandCwd, REPO);
  assert.equal(loadConfig(source({ ...base, migrationSchemaCommandCwd: "test/acceptance" })).migration?.schemaCommandCwd, resolve(REPO, "test/acceptance"));
  // existing mode without a command: the tables were created beforehand.
  const none = loadConfig(source({ ...SECRETS, migrationSource: "package.json", migrationSchemaMode: "existing" }));
  assert.deepEqual([none.migration?.schemaCommand, none.migration?.schemaCommandCwd], [undefined, undefined]);
});

test("external mode with manageAccess=false needs no admin password", () => {
  const cfg = loadConfig(source({ ownerPassword: "owner-secret-1", appPassword: "app-secret-1", mode: "external", host: "h", manageAccess: "false" }));
  assert.equal(cfg.access.manage, false);
  assert.equal(cfg.server.adminPassword, undefined);
});

test("every key the program reads is declared in Pulumi.yaml, and every declared key is read", () => {
  const declared = [...readFileSync(resolve(REPO, "Pulumi.yaml"), "utf8").split(/^config:$/m)[1].matchAll(/^  ([A-Za-z]+):$/gm)].map((m) => m[1]).sort();
  const read = new Set<string>();
  const probe: ConfigSource = { ...source({ ...SECRETS, mode: "external", host: "h", migrationSource: "package.json" }), get: (k) => { read.add(k); return ({ ...SECRETS, mode: "external", host: "h", migrationSource: "package.json" } as Record<string, string>)[k]; } };
  loadConfig(probe);
  const probeDocker: ConfigSource = { ...source({ ...SECRETS }), get: (k) => { read.add(k); return (SECRETS as Record<string, string>)[k]; } };
  loadConfig(probeDocker);
  assert.deepEqual([...read].sort(), declared);
});
