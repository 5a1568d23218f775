/**
 * The Migration component under `pulumi.runtime.setMocks`: what would reach
 * the engine and the state. No password in plaintext in any input or in the
 * serialized provider (`__provider`), password inputs sent as secrets, the
 * secret outputs listed in additionalSecretOutputs, no engine code captured,
 * and the fingerprint computed at preview time.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import Database from "better-sqlite3";
import { sqliteFingerprint } from "../infra/fingerprint";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const OWNER_PW = "owner-Pa55-word-xyz";
const APP_PW = "app-Pa55-word-abc";

interface Registration { type: string; name: string; inputs: Record<string, unknown>; secretOutputs: string[]; dependencies: string[] }

const isSecret = (v: unknown) => typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
function plaintext(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (isSecret(v)) return [];
  if (Array.isArray(v)) return v.flatMap(plaintext);
  if (typeof v === "object" && v !== null) return Object.values(v).flatMap(plaintext);
  return [];
}
const resolve = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply((v) => { r(v); return v; }));

describe("Migration under mocks", () => {
  let dir: string;
  let sqlitePath: string;
  const seen: Registration[] = [];
  let migration: import("../infra/migration").Migration;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "s2p-mocks-"));
    sqlitePath = join(dir, "app.db");
    const db = new Database(sqlitePath);
    db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a');`);
    db.close();

    // See the registration requests as the engine would (secrets still wrapped).
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
    const { deserializeProperties } = require("@pulumi/pulumi/runtime/rpc");
    const original = MockMonitor.prototype.registerResource;
    MockMonitor.prototype.registerResource = function (req: any, cb: unknown) {
      seen.push({
        type: req.getType(), name: req.getName(), inputs: deserializeProperties(req.getObject()),
        secretOutputs: req.getAdditionalsecretoutputsList(), dependencies: req.getDependenciesList(),
      });
      return original.call(this, req, cb);
    };
    await pulumi.runtime.setMocks({
      newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }),
      call: (a) => a.inputs,
    }, "sqlite-to-postgres", "test", false);
    // Required after setMocks, as a program would be.
    const { Migration } = require("../infra/migration") as typeof import("../infra/migration");
    class Grant extends pulumi.CustomResource { constructor(name: string) { super("test:index:Grant", name, {}); } }
    const grant = new Grant("grant");
    migration = new Migration("migration", {
      host: "127.0.0.1", port: 5433, database: "agentgrid",
      ownerUser: "agentgrid_owner", ownerPassword: OWNER_PW,
      sqlitePath, schema: "public",
      typeOverrides: { "t.v": "text" }, sourceTimezone: "Europe/Berlin",
      appUser: "agentgrid_app", appPassword: APP_PW,
      envFile: join(dir, ".env"), envUrlStyle: "sqlalchemy",
      archiveDir: join(dir, "archive"), seedCommand: "python seed_agents.py",
    }, { dependsOn: [grant] });
    await resolve(migration.tables);
    await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
  });

  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  const data = () => {
    const r = seen.filter((s) => s.type.startsWith("pulumi-nodejs:dynamic"));
    assert.equal(r.length, 1);
    return r[0]!;
  };

  it("registers a component with one dynamic resource that waits for the grants", () => {
    assert.ok(seen.some((s) => s.type === "sqlite-to-postgres:infra:Migration" && s.name === "migration"));
    assert.equal(data().name, "migration-data");
    assert.ok(data().dependencies.some((u) => u.endsWith("::grant")), "the data resource waits for the grants");
  });

  it("sends both passwords as secrets and never in plaintext", () => {
    const { inputs } = data();
    assert.ok(isSecret(inputs.password), "owner password input is a secret");
    assert.ok(isSecret(inputs.appDatabaseUrl), "the app DATABASE_URL input is a secret");
    for (const s of plaintext(inputs)) {
      assert.ok(!s.includes(OWNER_PW) && !s.includes(APP_PW), `plaintext input holds a password: ${s.slice(0, 80)}`);
    }
    assert.deepEqual([...data().secretOutputs].sort(), ["appDatabaseUrl", "password"]);
  });

  it("serializes a provider that holds no secret and no engine code, only the path of the compiled code", () => {
    const provider = data().inputs.__provider;
    assert.equal(typeof provider, "string");
    const text = provider as string;
    assert.ok(!text.includes(OWNER_PW) && !text.includes(APP_PW));
    assert.match(text, /dist\/infra\/migration-lifecycle\.js/);
    for (const engineCode of ["copyFrom", "swapTables", "sqliteChecksums", "planFromDatabase", "better-sqlite3", "ALTER TABLE"]) {
      assert.ok(!text.includes(engineCode), `__provider must not capture ${engineCode}`);
    }
  });

  it("the serialized provider runs in a plain node process (no TypeScript loader), as Pulumi's dynamic-provider host runs it", () => {
    const file = join(dir, "provider.js");
    writeFileSync(file, data().inputs.__provider as string);
    const script = `
      const p = require(${JSON.stringify(file)}).handler();
      (async () => {
        const olds = { schema: "public", sourceFingerprint: "sha256:a", mapping: {}, connection: { host: "h", port: 1, database: "d", user: "u" } };
        const d = await p.diff("id", olds, { ...olds, __provider: "other code" });
        const r = await p.diff("id", olds, { ...olds, schema: "other" });
        let err = "";
        try { await p.create({ ...olds, password: "pw-not-shown-123", connection: { host: "127.0.0.1", port: 1, database: "d", user: "u" }, sqlitePath: "/nonexistent.db" }); }
        catch (e) { err = e.message; }
        console.log(JSON.stringify({ same: d.changes, replaces: r.replaces, dbr: r.deleteBeforeReplace, err }));
      })();`;
    const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } }).trim().split("\n").pop()!);
    assert.equal(out.same, false);
    assert.deepEqual(out.replaces, ["schema"]);
    assert.equal(out.dbr, true);
    // The compiled lifecycle module was required and ran: its own error, no secret.
    assert.match(out.err, /cannot connect to PostgreSQL at u@127\.0\.0\.1:1\/d/);
    assert.ok(!out.err.includes("pw-not-shown-123"));
  });

  it("computes the content fingerprint at preview time and passes plain mapping options", () => {
    const { inputs } = data();
    assert.equal(inputs.sourceFingerprint, sqliteFingerprint(sqlitePath));
    assert.deepEqual(inputs.mapping, { typeOverrides: { "t.v": "text" }, sourceTimezone: "Europe/Berlin" });
    assert.deepEqual(inputs.connection, { host: "127.0.0.1", port: 5433, database: "agentgrid", user: "agentgrid_owner" });
    assert.equal(inputs.seedCommand, "python seed_agents.py");
  });

  it("keeps the secret outputs secret", async () => {
    assert.equal(await pulumi.isSecret(migration.data.password), true);
    assert.equal(await pulumi.isSecret(migration.data.appDatabaseUrl), true);
    const url = await resolve(migration.data.appDatabaseUrl);
    assert.match(url!, /^postgresql\+psycopg2:\/\/agentgrid_app:app-Pa55-word-abc@127\.0\.0\.1:5433\/agentgrid$/);
  });
});
