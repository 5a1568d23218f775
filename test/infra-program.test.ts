/**
 * The Pulumi program's resource graph under `pulumi.runtime.setMocks`, in
 * docker and external mode: which resources exist, in which order they wait
 * for each other, and that every password stays a secret.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { planAccess, stepName } from "../infra/access-plan";
import { isWrappedSecret, plaintextStrings, resolveOutput, runProgram, type ProgramRun, type Registered } from "./support/pulumi-mocks";

const T = {
  provider: "pulumi:providers:postgresql",
  dockerProvider: "pulumi:providers:docker",
  image: "docker:index/remoteImage:RemoteImage",
  volume: "docker:index/volume:Volume",
  container: "docker:index/container:Container",
  role: "postgresql:index/role:Role",
  database: "postgresql:index/database:Database",
  schema: "postgresql:index/schema:Schema",
  grant: "postgresql:index/grant:Grant",
  defaults: "postgresql:index/defaultPrivileges:DefaultPrivileges",
  access: "sqlite-to-postgres:infra:DatabaseAccess",
  migration: "sqlite-to-postgres:infra:Migration",
};

const PASSWORDS = { adminPassword: "admin-Pa55word!", ownerPassword: "owner-Pa55word:@/", appPassword: "app-Pa55word%?#" };

const dockerConfig = {
  mode: "docker",
  port: "5433",
  database: "agentgrid",
  ownerRole: "agentgrid_owner",
  appRole: "agentgrid_app",
  migrationSource: "demo/agentgrid-demo.sqlite",
  ...PASSWORDS,
};

const externalConfig = {
  mode: "external",
  host: "db.internal.example",
  port: "6432",
  adminUser: "rds_admin",
  adminIsSuperuser: "false",
  sslmode: "verify-full",
  database: "gaia_auth",
  schema: "auth",
  ownerRole: "gaia_owner",
  appRole: "gaia_app",
  migrationSource: "demo/agentgrid-demo.sqlite",
  migrationSchemaMode: "existing",
  migrationSchemaCommand: "alembic upgrade head",
  migrationSchemaCommandCwd: "test",
  protect: "true",
  ...PASSWORDS,
};

const secretKeys = Object.keys(PASSWORDS);

/** The migration's dynamic resource(s), whatever type token the migration resource gives them. */
const migrationData = (run: ProgramRun) => run.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));

/** The engine's provider reference `urn::id` for a provider resource. */
const providerRef = (p: Registered) => `${p.urn}::${p.name}-id`;

function assertNoPlaintextPassword(run: ProgramRun): void {
  for (const r of run.resources) {
    const leaks = plaintextStrings(r.inputs).filter((s) => Object.values(PASSWORDS).some((p) => s.includes(p)));
    assert.deepEqual(leaks, [], `${r.type}::${r.name} has a password in a non-secret input`);
  }
}

/** The resources created from the access plan, in registration order. */
function accessChain(run: ProgramRun): Registered[] {
  return run.resources.filter((r) => [T.role, T.database, T.schema, T.grant, T.defaults].includes(r.type));
}

function assertSerialized(chain: Registered[]): void {
  chain.forEach((r, i) => {
    if (i === 0) return;
    assert.ok(r.dependencies.includes(chain[i - 1].urn), `${r.name} must wait for ${chain[i - 1].name}; it waits for ${JSON.stringify(r.dependencies)}`);
  });
}

describe("docker mode", () => {
  let run: ProgramRun;

  test("the program runs", async () => {
    run = await runProgram(dockerConfig, secretKeys, "dev");
  });

  test("creates image, volume and container, then provider, access and migration", () => {
    const types = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi-nodejs:dynamic")).map((r) => r.type);
    assert.deepEqual(types.slice(0, 4), [T.image, T.volume, T.container, T.provider]);
    assert.equal(run.byType(T.dockerProvider).length, 0, "no explicit docker provider without dockerHost");
    const steps = planAccess({ database: "agentgrid", schema: "public", ownerRole: "agentgrid_owner", appRole: "agentgrid_app", lockDatabases: ["postgres", "template1"] });
    assert.deepEqual(accessChain(run).map((r) => r.name), steps.map((s) => `access-${stepName(s)}`));
    assert.equal(run.resources.filter((r) => r.type === T.migration).length, 1);
    assert.ok(migrationData(run).length >= 1, "the migration's data resource is registered");
  });

  test("the image is postgres:16, kept locally", () => {
    const image = run.one(T.image);
    assert.equal(image.inputs.name, "postgres:16");
    assert.equal(image.inputs.keepLocally, true);
    assert.equal(run.one(T.container).inputs.image, "sha256:4e1c4ab4d3d2a0f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829");
  });

  test("the port is published on 127.0.0.1 only, at the configured port", () => {
    const ports = run.one(T.container).inputs.ports as { internal: number; external: number; ip: string }[];
    assert.deepEqual(ports, [{ internal: 5432, external: 5433, ip: "127.0.0.1" }]);
  });

  test("the container waits for a pg_isready healthcheck, restarts, carries labels and mounts the named volume", () => {
    const c = run.one(T.container).inputs;
    const hc = c.healthcheck as { tests: string[] };
    assert.equal(hc.tests[0], "CMD-SHELL");
    assert.match(hc.tests[1], /^pg_isready -h 127\.0\.0\.1 /);
    assert.equal(c.wait, true);
    assert.ok(Number(c.waitTimeout) > 0);
    assert.equal(c.restart, "unless-stopped");
    assert.deepEqual(c.labels, [
      { label: "sqlite-to-postgres.project", value: "sqlite-to-postgres" },
      { label: "sqlite-to-postgres.stack", value: "dev" },
    ]);
    assert.deepEqual(c.volumes, [{ volumeName: "sqlite-to-postgres-dev-pgdata", containerPath: "/var/lib/postgresql/data" }]);
    assert.equal(run.one(T.volume).inputs.name, "sqlite-to-postgres-dev-pgdata");
  });

  test("destroy removes the volume on dev (no retainOnDelete, no protect)", () => {
    const v = run.one(T.volume);
    assert.equal(v.retainOnDelete, false);
    assert.equal(v.protect, false);
  });

  test("the superuser password reaches the container only as a secret env value", () => {
    const envs = run.one(T.container).inputs.envs;
    assert.ok(isWrappedSecret(envs), "envs must be secret");
    assert.ok((envs.value as string[]).includes(`POSTGRES_PASSWORD=${PASSWORDS.adminPassword}`));
  });

  test("the provider is built from the container's outputs and waits for the healthy container", () => {
    const p = run.one(T.provider);
    const container = run.one(T.container);
    assert.ok(p.dependencies.includes(container.urn));
    assert.equal(p.inputs.host, "127.0.0.1");
    assert.equal(p.inputs.port, "5433");
    assert.equal(p.inputs.username, "postgres");
    assert.equal(p.inputs.sslmode, "disable");
    assert.ok(isWrappedSecret(p.inputs.password));
  });

  test("every access resource uses the admin provider and waits for the one before it", () => {
    const chain = accessChain(run);
    const ref = providerRef(run.one(T.provider));
    for (const r of chain) assert.equal(r.provider, ref, `${r.name} uses the admin provider`);
    assertSerialized(chain);
  });

  test("roles log in with secret passwords; the database belongs to the owner", () => {
    const owner = run.one(T.role, "access-role-agentgrid_owner").inputs;
    const app = run.one(T.role, "access-role-agentgrid_app").inputs;
    assert.equal(owner.login, true);
    assert.equal(app.login, true);
    assert.ok(isWrappedSecret(owner.password) && owner.password.value === PASSWORDS.ownerPassword);
    assert.ok(isWrappedSecret(app.password) && app.password.value === PASSWORDS.appPassword);
    assert.equal(run.one(T.database).inputs.owner, "agentgrid_owner");
  });

  test("grants: PUBLIC revoked, app gets CONNECT, USAGE, DML, sequences and default privileges", () => {
    const g = (name: string) => run.one(T.grant, `access-${name}`).inputs;
    assert.deepEqual(g("grant-public-database-agentgrid").privileges, []);
    assert.deepEqual(g("grant-public-database-postgres").privileges, []);
    assert.deepEqual(g("grant-agentgrid_app-database-agentgrid").privileges, ["CONNECT"]);
    assert.deepEqual(g("grant-agentgrid_app-schema-public").privileges, ["USAGE"]);
    assert.deepEqual(g("grant-agentgrid_app-tables-public").privileges, ["SELECT", "INSERT", "UPDATE", "DELETE"]);
    assert.deepEqual(g("grant-agentgrid_app-sequences-public").privileges, ["USAGE", "SELECT", "UPDATE"]);
    const defaults = run.byType(T.defaults).map((d) => [d.inputs.objectType, d.inputs.owner, d.inputs.role, d.inputs.privileges]);
    assert.deepEqual(defaults, [
      ["table", "agentgrid_owner", "agentgrid_app", ["SELECT", "INSERT", "UPDATE", "DELETE"]],
      ["sequence", "agentgrid_owner", "agentgrid_app", ["USAGE", "SELECT", "UPDATE"]],
    ]);
  });

  test("the migration slot comes after every grant and connects as the owner", () => {
    const slot = [run.one(T.migration), ...migrationData(run)];
    for (const m of slot) {
      for (const r of accessChain(run).filter((x) => x.type === T.grant || x.type === T.defaults)) {
        assert.ok(m.dependencies.includes(r.urn), `${m.name} waits for ${r.name}`);
      }
    }
    const data = migrationData(run);
    for (const d of data) {
      const c = d.inputs.connection as Record<string, unknown>;
      assert.deepEqual([c.host, c.port, c.database, c.user], ["127.0.0.1", 5433, "agentgrid", "agentgrid_owner"]);
      assert.ok(isWrappedSecret(d.inputs.password), "the owner password is a secret input");
    }
  });

  test("no password appears in plaintext in any resource input", () => assertNoPlaintextPassword(run));

  test("outputs: host, port, database, appUser; URLs and owner connection are secrets", async () => {
    const e = run.exports;
    assert.equal(await resolveOutput(e.host as pulumi.Output<string>), "127.0.0.1");
    assert.equal(await resolveOutput(e.port as pulumi.Output<number>), 5433);
    assert.equal(await resolveOutput(e.database as pulumi.Output<string>), "agentgrid");
    assert.equal(e.appUser, "agentgrid_app");
    for (const key of ["databaseUrl", "sqlalchemyUrl", "ownerConnectionInfo"]) {
      assert.equal(await pulumi.isSecret(e[key] as pulumi.Output<unknown>), true, `${key} is secret`);
    }
    assert.equal(await resolveOutput(e.databaseUrl as pulumi.Output<string>),
      `postgresql://agentgrid_app:${encodeURIComponent(PASSWORDS.appPassword)}@127.0.0.1:5433/agentgrid?sslmode=disable`);
    assert.equal(await resolveOutput(e.sqlalchemyUrl as pulumi.Output<string>),
      `postgresql+psycopg2://agentgrid_app:${encodeURIComponent(PASSWORDS.appPassword)}@127.0.0.1:5433/agentgrid?sslmode=disable`);
    const owner = await resolveOutput(e.ownerConnectionInfo as pulumi.Output<Record<string, unknown>>);
    assert.deepEqual(owner, { host: "127.0.0.1", port: 5433, database: "agentgrid", user: "agentgrid_owner", password: PASSWORDS.ownerPassword, sslmode: "disable", sslRootCert: undefined });
    for (const [key, value] of Object.entries(e)) {
      if (!pulumi.Output.isInstance(value)) continue;
      const v = JSON.stringify(await resolveOutput(value as pulumi.Output<unknown>)) ?? "";
      if (Object.values(PASSWORDS).some((p) => v.includes(p) || v.includes(encodeURIComponent(p)))) {
        assert.equal(await pulumi.isSecret(value as pulumi.Output<unknown>), true, `output ${key} holds a password and must be secret`);
      }
    }
  });
});

describe("docker mode with a remote Docker host and a kept volume", () => {
  test("uses an explicit docker provider for every docker resource and retains the volume", async () => {
    const run = await runProgram({ ...dockerConfig, dockerHost: "ssh://deploy@build-box", host: "127.0.0.1", keepDataVolume: "true", bindAddress: "127.0.0.1" }, secretKeys, "staging");
    const dp = run.one(T.dockerProvider);
    assert.equal(dp.inputs.host, "ssh://deploy@build-box");
    for (const t of [T.image, T.volume, T.container]) assert.equal(run.one(t).provider, providerRef(dp), `${t} uses the remote docker host`);
    assert.equal(run.one(T.volume).retainOnDelete, true);
  });
});

describe("external mode", () => {
  let run: ProgramRun;

  test("the program runs", async () => {
    run = await runProgram(externalConfig, secretKeys, "prod");
  });

  test("creates no Docker resources", () => {
    assert.deepEqual(run.resources.filter((r) => r.type.startsWith("docker:") || r.type.includes("providers:docker")), []);
  });

  test("the provider uses the external settings: non-superuser admin, verify-full", () => {
    const p = run.one(T.provider).inputs;
    assert.equal(p.host, "db.internal.example");
    assert.equal(p.port, "6432");
    assert.equal(p.username, "rds_admin");
    assert.equal(p.superuser, "false");
    assert.equal(p.sslmode, "verify-full");
    assert.ok(isWrappedSecret(p.password));
  });

  test("a non-public schema is created owned by the owner, and access is serialized", () => {
    const s = run.one(T.schema).inputs;
    assert.deepEqual([s.name, s.owner, s.database], ["auth", "gaia_owner", "gaia_auth"]);
    assertSerialized(accessChain(run));
    assert.equal(run.byType(T.grant).filter((g) => g.inputs.database === "postgres").length, 0, "never touches a DBA's other databases");
  });

  test("existing schema mode: the schema command and its directory reach the migration's inputs", () => {
    for (const d of migrationData(run)) {
      assert.equal((d.inputs.mapping as Record<string, unknown>).schemaMode, "existing");
      assert.equal(d.inputs.schemaCommand, "alembic upgrade head");
      assert.equal(d.inputs.schemaCommandCwd, resolve(__dirname));
    }
  });

  test("protect covers the database and the migration", () => {
    assert.equal(run.one(T.database).protect, true);
    assert.equal(run.one(T.migration).protect, true);
    assert.equal(run.one(T.role, "access-role-gaia_app").protect, false);
  });

  test("no password appears in plaintext in any resource input", () => assertNoPlaintextPassword(run));

  test("the URLs carry verify-full", async () => {
    assert.match(await resolveOutput(run.exports.databaseUrl as pulumi.Output<string>), /^postgresql:\/\/gaia_app:[^@]+@db\.internal\.example:6432\/gaia_auth\?sslmode=verify-full$/);
  });
});

describe("external mode with manageAccess=false (database and roles made by a DBA)", () => {
  test("creates no PostgreSQL or Docker resources, only the migration, and still exports secret URLs", async () => {
    const { adminPassword: _unused, ...noAdmin } = externalConfig;
    void _unused;
    const run = await runProgram({ ...noAdmin, manageAccess: "false", protect: "false" }, ["ownerPassword", "appPassword"], "dba");
    assert.deepEqual(run.resources.filter((r) => /^(docker|postgresql):|providers:(docker|postgresql)/.test(r.type)).map((r) => r.type), []);
    assert.equal(run.one(T.migration).dependencies.length, 0);
    const inputs = migrationData(run)[0]?.inputs;
    if (inputs) assert.deepEqual((inputs.connection as { user: string }).user, "gaia_owner");
    assert.equal(await pulumi.isSecret(run.exports.sqlalchemyUrl as pulumi.Output<string>), true);
    assertNoPlaintextPassword(run);
  });
});

describe("a config error stops the program before any resource", () => {
  test("a missing app password names the key and the fix", async () => {
    const { appPassword: _unused, ...rest } = dockerConfig;
    void _unused;
    await assert.rejects(runProgram(rest, ["adminPassword", "ownerPassword"], "dev"), (err: Error) => {
      assert.equal(err.message, 'invalid configuration sqlite-to-postgres:appPassword on stack "dev": is not set.\n  Fix: pulumi config set --secret appPassword <password> --stack dev');
      assert.equal(pulumi.RunError.isInstance(err), true, "a RunError: printed without a stack trace");
      return true;
    });
  });
});
