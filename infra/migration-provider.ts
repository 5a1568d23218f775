/**
 * The dynamic provider of the migration resource.
 *
 * Pulumi serializes this object (its methods as closures) into the
 * resource's `__provider` input, hence into the state. Project modules would
 * be captured by value, so the methods capture only one string, the absolute
 * path of the COMPILED lifecycle module (`dist/infra/migration-lifecycle.js`,
 * produced by `npm run build` / `npm ci`), and `require` it when they run.
 * The provider runs in Pulumi's separate dynamic-provider process, where no
 * TypeScript loader is registered: that is why it loads compiled JavaScript.
 * `diff` and `check` are pure and self-contained.
 */
import type * as pulumi from "@pulumi/pulumi";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { MigrationInputs, MigrationOutputs } from "./migration-types";

/**
 * `<project root>/dist`, found by walking up from this file to the directory
 * holding package.json: it works whether this file runs as TypeScript from
 * `infra/` (ts-node, tsx) or compiled from `dist/infra/`.
 */
export function defaultDistDir(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "tsconfig.json"))) return join(dir, "dist");
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the project root (package.json) above ${from}`);
    dir = up;
  }
}

/** The value a preview gives to an input that is not known yet. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * diff: an update only when something the resource stores changed; a data
 * reload only when the fingerprint or the mapping changed (decided in
 * update; a changed `schemaCommand` alone is stored, nothing reloaded:
 * the command only runs on create). A schema rename replaces, deleting first (same tables, same
 * database); a different server or database replaces, creating first.
 * `__provider` is ignored: a change of provider code alone does nothing.
 */
export function diffMigration(olds: MigrationOutputs, news: MigrationInputs): pulumi.dynamic.DiffResult {
  const stable = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined && o[k] !== null).map((k) => `${JSON.stringify(k)}:${stable(o[k])}`).join(",")}}`;
    }
    return v === undefined || v === null ? "null" : JSON.stringify(v);
  };
  const differs = (a: unknown, b: unknown) => b === UNKNOWN || stable(a) !== stable(b);
  const oc = olds.connection ?? ({} as MigrationOutputs["connection"]);
  const nc = news.connection ?? ({} as MigrationInputs["connection"]);
  const replaces: string[] = [];
  const otherTarget = differs(oc.host, nc.host) || differs(oc.port, nc.port) || differs(oc.database, nc.database);
  if (otherTarget) replaces.push("connection");
  if (differs(olds.schema, news.schema)) replaces.push("schema");
  const settings: (keyof MigrationInputs)[] = [
    "sourceFingerprint", "mapping", "sqlitePath", "connection", "password", "allowOverwrite", "appDatabaseUrl",
    "envFile", "archiveDir", "deleteSourceAfterArchive", "seedCommand", "schemaCommand", "schemaCommandCwd", "jobs", "lockTimeoutMs",
  ];
  const changed = settings.filter((k) => differs(olds[k], news[k]));
  return {
    changes: replaces.length > 0 || changed.length > 0,
    replaces,
    deleteBeforeReplace: replaces.includes("schema") && !otherTarget,
  };
}

/** Fills defaults and rejects inconsistent inputs before anything runs. */
export function checkMigration(news: Partial<MigrationInputs>): pulumi.dynamic.CheckResult<MigrationInputs> {
  const given = Object.fromEntries(Object.entries(news).filter(([, v]) => v !== undefined && v !== null));
  const inputs = {
    schema: "public",
    mapping: {},
    allowOverwrite: false,
    deleteSourceAfterArchive: false,
    ...given,
  } as MigrationInputs;
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const set = (v: unknown) => v !== undefined && v !== null && v !== "";
  if (!set(inputs.sqlitePath)) failures.push({ property: "sqlitePath", reason: "the SQLite file to migrate is required" });
  if (!set(inputs.sourceFingerprint)) failures.push({ property: "sourceFingerprint", reason: "the content fingerprint is required (infra/fingerprint.ts)" });
  if (!inputs.connection || !set(inputs.connection.host) || !set(inputs.connection.database) || !set(inputs.connection.user)) {
    failures.push({ property: "connection", reason: "host, port, database and user (the owner role) are required" });
  }
  if (inputs.deleteSourceAfterArchive && !set(inputs.archiveDir)) {
    failures.push({ property: "archiveDir", reason: "deleteSourceAfterArchive needs archiveDir: the source is deleted only after it is archived" });
  }
  if (set(inputs.schemaCommand) && inputs.mapping?.schemaMode !== "existing") {
    failures.push({ property: "schemaCommand", reason: "a schema command only runs in existing schema mode (mapping.schemaMode: existing); translate mode creates the tables from the SQLite schema" });
  }
  if (set(inputs.schemaCommandCwd) && !set(inputs.schemaCommand)) {
    failures.push({ property: "schemaCommandCwd", reason: "is the directory of the schema command, which is not set" });
  }
  if (set(inputs.envFile) && !set(inputs.appDatabaseUrl)) {
    failures.push({ property: "envFile", reason: "writing DATABASE_URL needs the application's URL (envFile.url, app role)" });
  }
  return { inputs, failures };
}

type Lifecycle = typeof import("./migration-lifecycle");

/**
 * Builds the provider. `distDir` is captured by value (a string); the
 * lifecycle module and the engine are required at run time from there.
 */
export function migrationProvider(distDir: string = defaultDistDir()): pulumi.dynamic.ResourceProvider<MigrationInputs, MigrationOutputs> {
  const lifecyclePath = join(distDir, "infra", "migration-lifecycle.js");
  const load = (): Lifecycle => {
    try {
      return require(lifecyclePath) as Lifecycle;
    } catch (err) {
      throw new Error(`cannot load the compiled migration code at ${lifecyclePath} (${(err as Error).message}); run \`npm run build\` in the project first`);
    }
  };
  /** A PartialSyncError keeps the state it carries; `__provider` must be part of it. */
  const keepProvider = (err: unknown, props: { __provider?: unknown }) => {
    const e = err as { properties?: Record<string, unknown> };
    if (e && typeof e === "object" && e.properties) e.properties = { ...e.properties, __provider: props.__provider };
    return err;
  };
  return {
    async check(_olds, news) {
      return checkMigration(news);
    },
    async diff(_id, olds, news) {
      return diffMigration(olds, news);
    },
    async create(inputs) {
      try {
        return await load().createMigration(inputs);
      } catch (err) {
        throw keepProvider(err, inputs as { __provider?: unknown });
      }
    },
    async update(id, olds, news) {
      try {
        return { outs: await load().updateMigration(id, olds, news) };
      } catch (err) {
        throw keepProvider(err, news as { __provider?: unknown });
      }
    },
    async delete(_id, props) {
      await load().deleteMigration(props);
    },
  };
}
