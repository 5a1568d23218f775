/**
 * The project and stack files: the typed config schema, the local backend,
 * and the dev and prod stacks as the program reads them.
 */
import assert from "node:assert/strict";
import { createDecipheriv, pbkdf2Sync } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../infra/config";

// js-yaml comes with @pulumi/pulumi; only its `load` is needed here.
const yaml = require("js-yaml") as { load(text: string): unknown };

const REPO = resolve(__dirname, "..");
const PROJECT = "sqlite-to-postgres";

interface ConfigType { type?: string; description?: string; default?: unknown; secret?: boolean; items?: { type: string } }
interface ProjectFile { name: string; runtime: { name: string; options?: Record<string, unknown> }; main?: string; backend?: { url: string }; config: Record<string, ConfigType> }
interface StackFile { secretsprovider?: string; encryptionsalt?: string; config: Record<string, unknown> }

const project = yaml.load(readFileSync(resolve(REPO, "Pulumi.yaml"), "utf8")) as ProjectFile;
const stackFile = (name: string) => yaml.load(readFileSync(resolve(REPO, `Pulumi.${name}.yaml`), "utf8")) as StackFile;

/** A stack's values as the engine hands them to the program: strings, without the project prefix; secure values marked. */
function stackValues(s: StackFile): { values: Record<string, string>; secure: string[] } {
  const values: Record<string, string> = {};
  const secure: string[] = [];
  for (const [k, v] of Object.entries(s.config)) {
    assert.ok(k.startsWith(`${PROJECT}:`), `${k}: only project keys are used`);
    const key = k.slice(PROJECT.length + 1);
    if (v && typeof v === "object" && "secure" in v) secure.push(key);
    else values[key] = Array.isArray(v) ? JSON.stringify(v) : String(v);
  }
  return { values, secure };
}

test("Pulumi.yaml: nodejs runtime with TypeScript, local file backend that git ignores", () => {
  assert.equal(project.name, PROJECT);
  assert.equal(project.runtime.name, "nodejs");
  assert.equal(project.runtime.options?.typescript, true);
  assert.equal(project.main, "index.ts");
  assert.equal(project.backend?.url, "file://./.pulumi-state");
  assert.match(readFileSync(resolve(REPO, ".gitignore"), "utf8"), /^\.pulumi-state\/$/m);
});

test("Pulumi.yaml: every key is typed, described and has a default; passwords are documented secrets the program checks", () => {
  const keys = Object.entries(project.config);
  assert.ok(keys.length >= 30);
  for (const [key, t] of keys) {
    assert.ok(!key.includes(":"), `${key}: project keys only (typed schema is not allowed for other namespaces)`);
    assert.ok(["string", "integer", "boolean", "array"].includes(String(t.type)), `${key}: type`);
    assert.ok((t.description ?? "").length > 10, `${key}: description`);
    // A default on every key, so that the program (infra/config.ts), not the CLI, reports a missing value with its fix.
    assert.notEqual(t.default, undefined, `${key}: default`);
    if (t.type === "array") assert.equal(t.items?.type, "string", `${key}: items`);
  }
  // `secret: true` would make the CLI refuse a missing password (and any default) before the
  // program runs, with no fix; infra/config.ts refuses a password not set with --secret instead.
  assert.deepEqual(keys.filter(([, t]) => t.secret).map(([k]) => k), []);
  for (const key of ["adminPassword", "ownerPassword", "appPassword"]) {
    assert.equal(project.config[key]?.default, "", `${key}: empty default`);
    assert.match(project.config[key]?.description ?? "", /^SECRET\b.*--secret/, `${key}: documented as a secret`);
  }
});

test("Pulumi.dev.yaml: docker mode on 127.0.0.1:5433 migrating the bundled demo database, passphrase secrets", () => {
  const dev = stackFile("dev");
  const { values, secure } = stackValues(dev);
  for (const key of Object.keys(values)) assert.ok(key in project.config, `${key} is declared in Pulumi.yaml`);
  for (const key of secure) assert.ok(key in project.config, `${key} is declared in Pulumi.yaml`);
  const passwords = Object.fromEntries(["adminPassword", "ownerPassword", "appPassword"].map((k) => [k, `test-${k}-value`]));
  const cfg = loadConfig({ project: PROJECT, stack: "dev", baseDir: REPO, get: (k) => values[k] ?? passwords[k], isSecret: (k) => k in passwords });
  assert.equal(cfg.mode, "docker");
  assert.equal(cfg.docker?.image, "postgres:16");
  assert.equal(cfg.docker?.bindAddress, "127.0.0.1");
  assert.equal(cfg.server.port, 5433);
  assert.equal(cfg.access.database, "agentgrid");
  assert.equal(cfg.migration?.sqlitePath, resolve(REPO, "demo/agentgrid-demo.sqlite"));
  assert.equal(cfg.protect, false);
  assert.equal(cfg.docker?.keepDataVolume, false, "destroy on dev removes everything");
  // Secrets are never stored in plaintext in the committed file.
  for (const key of ["adminPassword", "ownerPassword", "appPassword"]) assert.ok(!(key in values), `${key} is not plaintext`);
  assert.deepEqual(secure.sort(), ["adminPassword", "appPassword", "ownerPassword"]);
});

/**
 * Pulumi's passphrase secrets provider: key = PBKDF2-SHA256(passphrase, salt, 1e6 rounds, 32 bytes);
 * values are `v1:<nonce>:<AES-256-GCM ciphertext+tag>` in base64; the salt line carries "pulumi" encrypted.
 */
function passphraseDecrypter(encryptionsalt: string, passphrase: string): (v: string) => string {
  const [, salt, ...check] = encryptionsalt.split(":");
  const key = pbkdf2Sync(passphrase, Buffer.from(salt, "base64"), 1_000_000, 32, "sha256");
  const decrypt = (v: string) => {
    const [version, nonce, sealed] = v.split(":");
    assert.equal(version, "v1");
    const data = Buffer.from(sealed, "base64");
    const d = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
    d.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]).toString("utf8");
  };
  assert.equal(decrypt(check.join(":")), "pulumi", "the passphrase opens the stack");
  return decrypt;
}

test("Pulumi.dev.yaml: the passwords decrypt with the passphrase `dev` the README states", () => {
  const dev = stackFile("dev");
  const decrypt = passphraseDecrypter(String(dev.encryptionsalt), "dev");
  for (const key of ["adminPassword", "ownerPassword", "appPassword"]) {
    const v = dev.config[`${PROJECT}:${key}`] as { secure: string };
    assert.ok(decrypt(v.secure).length >= 16, `${key} decrypts to a long password`);
  }
  assert.throws(() => passphraseDecrypter(String(dev.encryptionsalt), "not-dev"));
});

test("the bundled demo database is small and committed", () => {
  const size = statSync(resolve(REPO, "demo/agentgrid-demo.sqlite")).size;
  assert.ok(size > 50_000 && size < 220_000, `size ${size}`);
  assert.ok(existsSync(resolve(REPO, "scripts/make-demo-db.ts")));
});

test("Pulumi.prod.yaml: external mode, verify-full, non-superuser admin, protected data, no secrets", () => {
  const { values, secure } = stackValues(stackFile("prod"));
  for (const key of Object.keys(values)) assert.ok(key in project.config, `${key} is declared in Pulumi.yaml`);
  assert.deepEqual(secure, []);
  assert.equal(values.mode, "external");
  assert.equal(values.sslmode, "verify-full");
  assert.equal(values.adminIsSuperuser, "false");
  assert.equal(values.protect, "true");
  assert.ok(values.host && values.sslRootCert);
});
