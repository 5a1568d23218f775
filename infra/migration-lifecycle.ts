/**
 * What the migration resource does on create / update / delete. The dynamic
 * provider (infra/migration-provider.ts) `require`s the COMPILED form of this
 * module (dist/infra/migration-lifecycle.js) inside each method, so neither
 * this code nor the engine's is serialized into the Pulumi state.
 *
 * - create: load + verify with the engine (one transaction: all or nothing),
 *   record per-table checksums on both sides, run the seed command, then the
 *   cutover (.env) and the archive. A failure before the cutover drops
 *   everything the create made.
 * - update (re-sync): divergence guard, then reload only the tables whose
 *   SQLite content changed: the engine loads and verifies them in a private
 *   staging schema, and infra/resync.ts swaps them in within one transaction.
 * - delete: drops exactly the relations the migration created (and the schema
 *   if it created it), nothing else.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ClientConfig } from "pg";
import { Client } from "pg";
import type { MigrateOptions, MigrationReport } from "../migrate/types";
import { qualified, quoteIdent } from "../migrate/quote";
import { archiveSqlite } from "./archive";
import { databaseUrl, writeEnvVar } from "./env-file";
import type { CreatedObject, MigrationConnection, MigrationInputs, MigrationOutputs, TableSync } from "./migration-types";
import { swapTables } from "./resync";
import { pgChecksums, sqliteChecksums, startPgChecksums } from "./table-checksums";

/** The part of the engine (migrate/index.ts) the resource uses. */
interface Engine {
  migrate(options: MigrateOptions): Promise<MigrationReport>;
}

/**
 * An error after the data was committed (cutover, archive, seed after a
 * swap): the dynamic provider reports it as "created but failed to
 * initialize" and keeps `properties` as the resource's state, so the next
 * `pulumi up` retries from there instead of losing track of the data.
 */
export class PartialSyncError extends Error {
  constructor(message: string, readonly id: string, readonly properties: MigrationOutputs, readonly reasons: string[] = [message]) {
    super(message);
    this.name = "PartialSyncError";
  }
}

function log(line: string): void {
  // pulumi.log does not reach the engine from a dynamic provider; console output does.
  console.log(`[migration] ${line}`);
}

function loadEngine(): Engine {
  try {
    return require("../migrate/index") as Engine;
  } catch (err) {
    throw new Error(`the migration engine could not be loaded (${(err as Error).message}); run \`npm run build\` first`);
  }
}

/** The password inside a connection URL, decoded. */
function urlPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try { return decodeURIComponent(new URL(url).password) || undefined; } catch { return undefined; }
}

/** Removes every secret of `inputs` (raw and URL-encoded) from a message. */
export function scrub(message: string, inputs: Pick<MigrationInputs, "password" | "appDatabaseUrl">): string {
  let out = message.replace(/(postgres(?:ql)?(?:\+\w+)?:\/\/[^:@/\s]*):[^@/\s]*@/gi, "$1:***@");
  for (const s of [inputs.password, urlPassword(inputs.appDatabaseUrl), inputs.appDatabaseUrl]) {
    if (!s) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join("***");
  }
  return out;
}

/**
 * The connection URL for the engine. The password is in it as well as in
 * `password`: node-postgres lets a connection string's (absent) password
 * override the `password` option. It never leaves this process: the engine
 * redacts it from every message.
 */
function engineUrl(c: MigrationConnection, password: string): string {
  const q = new URLSearchParams();
  if (c.sslmode) q.set("sslmode", c.sslmode);
  if (c.sslrootcert) q.set("sslrootcert", c.sslrootcert);
  const host = c.host.includes(":") ? `[${c.host}]` : c.host;
  const qs = q.toString();
  return `postgresql://${encodeURIComponent(c.user)}:${encodeURIComponent(password)}@${host}:${c.port}/${encodeURIComponent(c.database)}${qs ? `?${qs}` : ""}`;
}

/** node-postgres settings for libpq's sslmode. */
export function pgClientConfig(c: MigrationConnection, password: string): ClientConfig {
  const ca = c.sslrootcert ? readFileSync(c.sslrootcert, "utf8") : undefined;
  let ssl: ClientConfig["ssl"] = false;
  switch (c.sslmode ?? "disable") {
    case "disable": case "allow": case "prefer": ssl = false; break;
    case "require": ssl = ca ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { rejectUnauthorized: false }; break;
    case "verify-ca": ssl = { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined }; break;
    case "verify-full": ssl = { ca, rejectUnauthorized: true }; break;
    default: throw new Error(`unknown sslmode ${JSON.stringify(c.sslmode)}; use disable, require, verify-ca or verify-full`);
  }
  return { host: c.host, port: c.port, database: c.database, user: c.user, password, ssl, application_name: "sqlite-to-postgres" };
}

async function withClient<T>(inputs: MigrationInputs, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client(pgClientConfig(inputs.connection, inputs.password));
  client.on("error", () => { /* reported through the failing query */ });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    const c = inputs.connection;
    const code = (err as { code?: string }).code;
    const hint = code === "28P01" ? " (wrong password?)" : code === "ECONNREFUSED" || code === "ENOTFOUND" ? " (server unreachable?)" : code === "3D000" ? " (database does not exist)" : "";
    throw new Error(`cannot connect to PostgreSQL at ${c.user}@${c.host}:${c.port}/${c.database}: ${scrub((err as Error).message, inputs)}${hint}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const KIND: Record<string, CreatedObject["kind"]> = { r: "table", p: "table", v: "view", m: "materialized view", S: "sequence" };

async function relations(client: Client, schema: string): Promise<CreatedObject[]> {
  const { rows } = await client.query<{ name: string; kind: string }>(
    `SELECT relname AS name, relkind AS kind FROM pg_class
      WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND relkind IN ('r','p','v','m','S')
      ORDER BY relname`,
    [schema],
  );
  return rows.map((r) => ({ name: r.name, kind: KIND[r.kind]! }));
}

const key = (o: CreatedObject) => `${o.kind}\u0000${o.name}`;

async function schemaExists(client: Client, schema: string): Promise<boolean> {
  return (await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema])).rowCount === 1;
}

/** Drops the given relations (views first) and, when `dropSchema`, the schema if it is then empty. RESTRICT throughout. */
async function dropObjects(client: Client, schema: string, objects: CreatedObject[], dropSchema: boolean): Promise<string[]> {
  const notes: string[] = [];
  await client.query("BEGIN");
  try {
    const present = new Set((await relations(client, schema)).map(key));
    const mine = objects.filter((o) => present.has(key(o)));
    const views = mine.filter((o) => o.kind === "view" || o.kind === "materialized view");
    const tables = mine.filter((o) => o.kind === "table");
    for (const v of views) await client.query(`DROP ${v.kind === "view" ? "VIEW" : "MATERIALIZED VIEW"} IF EXISTS ${qualified(schema, v.name)} CASCADE`);
    if (tables.length) await client.query(`DROP TABLE ${tables.map((t) => qualified(schema, t.name)).join(", ")} RESTRICT`);
    // Identity sequences went with their tables; free-standing ones are dropped here.
    const left = new Set((await relations(client, schema)).map(key));
    for (const s of mine.filter((o) => o.kind === "sequence" && left.has(key(o)))) {
      await client.query(`DROP SEQUENCE ${qualified(schema, s.name)} RESTRICT`);
    }
    if (dropSchema && (await schemaExists(client, schema))) {
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)`, [schema]);
      if (rows[0].n === 0) await client.query(`DROP SCHEMA ${quoteIdent(schema)} RESTRICT`);
      else notes.push(`schema "${schema}" was kept: it holds ${rows[0].n} object(s) the migration did not create`);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw new Error(`could not drop the migrated objects in schema "${schema}" (nothing was dropped): ${(err as Error).message}; ` +
      `drop or move the objects that depend on them, then run again`);
  }
  return notes;
}

/** Name of the private staging schema of a re-sync (<= 63 bytes). */
export function stageSchemaName(schema: string): string {
  const h = createHash("sha256").update(schema).digest("hex").slice(0, 8);
  return `s2p_stage_${h}`;
}

/** The schema command as the engine runs it (through /bin/sh): in `schemaCommandCwd` when one is given. */
export function schemaCommandLine(inputs: Pick<MigrationInputs, "schemaCommand" | "schemaCommandCwd">): string | undefined {
  const cmd = inputs.schemaCommand?.trim();
  if (!cmd) return undefined;
  if (!inputs.schemaCommandCwd) return cmd;
  return `cd '${inputs.schemaCommandCwd.replace(/'/g, `'\\''`)}' || exit 1\n${cmd}`;
}

/**
 * Engine options. `withSchemaCommand`: only the first load into the live
 * schema (create) runs the `existing`-mode schema command; a re-sync's
 * staged tables copy the live definitions instead.
 */
function engineOptions(inputs: MigrationInputs, schema: string, withSchemaCommand = false): MigrateOptions {
  const m = inputs.mapping;
  const schemaCommand = withSchemaCommand && m.schemaMode === "existing" ? schemaCommandLine(inputs) : undefined;
  return {
    from: inputs.sqlitePath,
    to: engineUrl(inputs.connection, inputs.password),
    password: inputs.password,
    schema,
    typeOverrides: m.typeOverrides,
    sourceTimezone: m.sourceTimezone,
    foldIdentifiers: m.foldIdentifiers,
    orphanForeignKeys: m.orphanForeignKeys,
    schemaMode: m.schemaMode,
    skipTables: m.skipTables,
    ...(schemaCommand ? { schemaCommand } : {}),
    jobs: inputs.jobs,
    verify: true,
    log: (line) => log(line),
  };
}

async function runEngine(inputs: MigrationInputs, schema: string, withSchemaCommand = false): Promise<MigrationReport> {
  const engine = loadEngine();
  let report: MigrationReport;
  try {
    report = await engine.migrate(engineOptions(inputs, schema, withSchemaCommand));
  } catch (err) {
    throw new Error(scrub((err as Error).message, inputs));
  }
  if (!report.verified) throw new Error(`the engine did not verify the load of ${inputs.sqlitePath} into schema "${schema}"; nothing was changed`);
  return report;
}

/** The application's DATABASE_URL; without one (seed only), the owner's, plain form. */
function appUrl(inputs: MigrationInputs): string {
  if (inputs.appDatabaseUrl) return inputs.appDatabaseUrl;
  const c = inputs.connection;
  return databaseUrl({ host: c.host, port: c.port, database: c.database, user: c.user, password: inputs.password, sslmode: c.sslmode }, "plain");
}

/** Runs the seed command with DATABASE_URL set; its output is relayed with secrets scrubbed. */
async function runSeed(inputs: MigrationInputs): Promise<void> {
  const cmd = inputs.seedCommand!;
  log(`seed: running ${JSON.stringify(cmd)}`);
  const child = spawn(cmd, { shell: true, env: { ...process.env, DATABASE_URL: appUrl(inputs) }, stdio: ["ignore", "pipe", "pipe"] });
  const relay = (stream: NodeJS.ReadableStream, sink: (l: string) => void) => {
    let buf = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) { sink(`seed: ${scrub(buf.slice(0, i), inputs)}`); buf = buf.slice(i + 1); }
    });
    stream.on("end", () => { if (buf) sink(`seed: ${scrub(buf, inputs)}`); });
  };
  relay(child.stdout!, (l) => console.log(l));
  relay(child.stderr!, (l) => console.error(l));
  const code = await new Promise<number | null>((resolve, reject) => { child.on("error", reject); child.on("close", resolve); });
  if (code !== 0) throw new Error(`seed command ${JSON.stringify(scrub(cmd, inputs))} exited with code ${code}`);
}

/** Cutover and archive: after a verified sync. Errors here do not undo the sync. */
async function afterSync(inputs: MigrationInputs, outs: MigrationOutputs): Promise<void> {
  if (inputs.envFile) {
    if (!inputs.appDatabaseUrl) throw new Error(`envFile ${inputs.envFile} is set but no application DATABASE_URL was given`);
    writeEnvVar(inputs.envFile, "DATABASE_URL", inputs.appDatabaseUrl);
    let who = "?";
    try { who = decodeURIComponent(new URL(inputs.appDatabaseUrl).username); } catch { /* keep ? */ }
    log(`cutover: DATABASE_URL (role ${who}) written to ${inputs.envFile}`);
  }
  if (inputs.archiveDir) {
    const { manifestPath } = await archiveSqlite(inputs.sqlitePath, inputs.archiveDir, { deleteSource: inputs.deleteSourceAfterArchive });
    outs.archiveManifest = manifestPath;
    log(`archive: ${manifestPath}${inputs.deleteSourceAfterArchive ? " (source deleted)" : ""}`);
  }
}

function resourceId(inputs: MigrationInputs): string {
  return `${inputs.connection.host}:${inputs.connection.port}/${inputs.connection.database}/${inputs.schema}`;
}

/** Drops undefined values: the state is a protobuf Struct. */
function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function tableSyncs(tables: { source: string; target: string }[], src: Record<string, { checksum: string }>, targets: Record<string, { rows: number; checksum: string }>): TableSync[] {
  return tables.map((t) => ({
    source: t.source,
    target: t.target,
    rows: targets[t.target]?.rows ?? 0,
    sourceChecksum: src[t.source]?.checksum ?? "",
    targetChecksum: targets[t.target]?.checksum ?? "",
  }));
}

/** What a staging load produced: the full table list of the plan, and where the moved tables' foreign keys come from. */
interface Staged {
  tables: { source: string; target: string }[];
  warnings: string[];
  verified: boolean;
  foreignKeysFrom: "stage" | "live";
}

/** The engine migrates (and verifies) the whole SQLite file into the staging schema, in its own transaction. */
async function stageEverything(news: MigrationInputs, client: Client, stage: string, likeLive: string[], schema: string): Promise<Staged> {
  // `existing` schema mode: the staged tables are copies of the live definitions, loaded by the engine.
  for (const t of likeLive) await client.query(`CREATE TABLE ${qualified(stage, t)} (LIKE ${qualified(schema, t)} INCLUDING ALL)`);
  const report = await runEngine(news, stage);
  return { tables: report.tables.map((t) => ({ source: t.source, target: t.target })), warnings: report.warnings, verified: report.verified, foreignKeysFrom: likeLive.length ? "live" : "stage" };
}

/** The engine's per-table building blocks (migrate/table-sync.ts, migrate/verify-table.ts). */
interface TableEngine {
  openSource(path: string): { db: unknown; close(): void };
  planFromDatabase(db: unknown, from: string, options: MigrateOptions): { schema: string; tables: { source: string; target: string }[]; errors: unknown[]; warnings: string[] };
  formatPlanErrors(plan: unknown): string;
  setSession(client: Client, zone: string): Promise<void>;
  loadTableAs(db: unknown, client: Client, plan: unknown, source: string, target: string): Promise<{ rows: number; ms: number }>;
}

/**
 * Loads only the given SQLite tables into the staging schema, each verified
 * value by value, in one transaction. The staged tables carry no foreign
 * keys: the swap re-creates those of the live tables.
 */
async function stageTables(news: MigrationInputs, client: Client, stage: string, sources: string[]): Promise<Staged> {
  const engine = loadEngine() as unknown as TableEngine;
  const { verifyTable } = require("../migrate/verify-table") as {
    verifyTable(db: unknown, client: Client, t: unknown, schema: string, zone: string): Promise<{ equal: boolean; rows: number; mismatches: { table: string; column?: string; key?: string; message: string }[] }>;
  };
  const zone = news.mapping.sourceTimezone ?? "UTC";
  const src = engine.openSource(news.sqlitePath);
  try {
    const plan = engine.planFromDatabase(src.db, news.sqlitePath, { ...engineOptions(news, stage) });
    if (plan.errors.length) throw new Error(scrub(engine.formatPlanErrors(plan), news));
    await client.query("BEGIN");
    try {
      await engine.setSession(client, zone);
      for (const source of sources) {
        const t = plan.tables.find((x) => x.source === source);
        if (!t) throw new Error(`table "${source}" is no longer in the SQLite file's plan`);
        const r = await engine.loadTableAs(src.db, client, plan, source, t.target);
        const v = await verifyTable(src.db, client, t, stage, zone);
        if (!v.equal) {
          const first = v.mismatches.slice(0, 10).map((m) => `${m.column ? `column "${m.column}" ` : ""}${m.key ? `row ${m.key}: ` : ""}${m.message}`).join("; ");
          throw new Error(`verification of re-loaded table "${t.target}" failed, nothing was changed: ${first}`);
        }
        log(`staged ${source} -> ${stage}.${t.target}: ${r.rows} rows in ${r.ms} ms, verified`);
      }
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw new Error(scrub((err as Error).message, news));
    }
    return { tables: plan.tables.map((t) => ({ source: t.source, target: t.target })), warnings: plan.warnings, verified: true, foreignKeysFrom: "live" };
  } finally {
    src.close();
  }
}

export async function createMigration(inputs: MigrationInputs): Promise<{ id: string; outs: MigrationOutputs }> {
  const t0 = Date.now();
  const schema = inputs.schema;
  log(`create: ${inputs.sqlitePath} -> ${inputs.connection.database}.${schema}`);
  const outs = await withClient(inputs, async (client) => {
    const existed = await schemaExists(client, schema);
    const before = new Set((await relations(client, schema)).map(key));
    if (!existed) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    try {
      const tc = Date.now();
      // Checksums first: if the app writes to SQLite meanwhile, a later re-sync reloads (never misses) the change.
      const src = sqliteChecksums(inputs.sqlitePath);
      const checksumMs = Date.now() - tc;
      // `existing` mode: the schema command (if any) creates the tables first; they count as created here, so delete drops them.
      const report = await runEngine(inputs, schema, true);
      const created = (await relations(client, schema)).filter((o) => !before.has(key(o)));
      if (inputs.seedCommand) await runSeed(inputs);
      const tt = Date.now();
      const targets = await pgChecksums(client, schema, report.tables.map((t) => t.target));
      const result: MigrationOutputs = {
        ...inputs,
        schemaCreated: !existed,
        createdObjects: created,
        tables: tableSyncs(report.tables, src.tables, targets),
        sourceSchemaChecksum: src.schemaChecksum,
        syncedFingerprint: inputs.sourceFingerprint,
        lastSyncAt: new Date().toISOString(),
        reloadedTables: report.tables.map((t) => t.target),
        swapDowntimeMs: 0,
        timings: { ...report.timings, sourceChecksumMs: checksumMs, targetChecksumMs: Date.now() - tt, totalMs: Date.now() - t0 },
        warnings: report.warnings,
        verified: report.verified,
      };
      return result;
    } catch (err) {
      // Nothing left behind: drop whatever this create made (the engine rolls its own transaction back).
      const made = (await relations(client, schema)).filter((o) => !before.has(key(o)));
      await dropObjects(client, schema, made, !existed).catch((e) => log(`cleanup after a failed create: ${(e as Error).message}`));
      throw new Error(`migration of ${inputs.sqlitePath} into ${inputs.connection.database}.${schema} failed; nothing was created: ${scrub((err as Error).message, inputs)}`);
    }
  });
  const id = resourceId(inputs);
  try {
    await afterSync(inputs, outs);
  } catch (err) {
    throw new PartialSyncError(`the migration succeeded and was verified, but the post-migration step failed: ${scrub((err as Error).message, inputs)}`, id, plain(outs));
  }
  log(`create: ${outs.tables.length} tables, ${outs.tables.reduce((a, t) => a + t.rows, 0)} rows, verified, in ${outs.timings.totalMs} ms`);
  return { id, outs: plain(outs) };
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export async function updateMigration(id: string, olds: MigrationOutputs, news: MigrationInputs): Promise<MigrationOutputs> {
  const t0 = Date.now();
  const schema = news.schema;
  const carried = (): MigrationOutputs => ({
    ...news,
    schemaCreated: olds.schemaCreated,
    createdObjects: olds.createdObjects,
    tables: olds.tables,
    sourceSchemaChecksum: olds.sourceSchemaChecksum,
    syncedFingerprint: olds.syncedFingerprint,
    lastSyncAt: olds.lastSyncAt,
    reloadedTables: [],
    swapDowntimeMs: 0,
    timings: {},
    warnings: olds.warnings,
    verified: olds.verified,
    archiveManifest: olds.archiveManifest,
  });
  const dataChanged = news.sourceFingerprint !== olds.syncedFingerprint || stableJson(news.mapping) !== stableJson(olds.mapping);
  if (!dataChanged) {
    // Settings only (passwords, cutover, archive, allowOverwrite): the data is not touched.
    const outs = carried();
    try { await afterSync(news, outs); } catch (err) {
      throw new PartialSyncError(`updating the migration settings failed: ${scrub((err as Error).message, news)}`, id, plain(outs));
    }
    return plain(outs);
  }

  log(`re-sync: ${news.sqlitePath} -> ${news.connection.database}.${schema}`);
  const outs = await withClient(news, async (client) => {
    // The engine serializes migrations of one schema with this key (migrate/migrate.ts); a re-sync
    // holds it for the live schema (the engine itself then only locks the staging schema).
    const lock = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext($1)) AS ok`, [`sqlite-to-postgres:${schema}`]);
    if (!lock.rows[0]!.ok) throw new Error(`another migration of schema "${schema}" in ${news.connection.database} is running; nothing was changed, run again when it is done`);
    // Divergence guard: every table must still hold what the last sync wrote. The server computes
    // those checksums while this process hashes the SQLite side.
    const tg = Date.now();
    const live = new Set((await relations(client, schema)).filter((o) => o.kind === "table").map((o) => o.name));
    const guard = await startPgChecksums(client, schema, olds.tables.map((t) => t.target).filter((t) => live.has(t)));
    const tc = Date.now();
    const src = sqliteChecksums(news.sqlitePath);
    const checksumMs = Date.now() - tc;
    const current = await guard.result;
    const diverged = olds.tables.filter((t) => current[t.target]?.checksum !== t.targetChecksum);
    const guardMs = Date.now() - tg;
    if (diverged.length > 0) {
      const names = diverged.map((t) => `"${t.target}" (${live.has(t.target) ? `${t.rows} rows at the last sync, ${current[t.target]!.rows} now` : "dropped"})`).join(", ");
      if (!news.allowOverwrite) {
        throw new Error(
          `refusing to re-sync: ${diverged.length} table(s) in schema "${schema}" changed in PostgreSQL since the last sync at ${olds.lastSyncAt}: ${names}. ` +
            `The application has probably cut over and written to PostgreSQL; a re-sync from SQLite would overwrite those writes. ` +
            `Nothing was changed. To overwrite them anyway, set allowOverwrite (pulumi config set migrationAllowOverwrite true) and run again`,
        );
      }
      log(`re-sync: allowOverwrite is set: overwriting ${names}`);
    }

    const reloadAll = src.schemaChecksum !== olds.sourceSchemaChecksum || stableJson(news.mapping) !== stableJson(olds.mapping);
    const divergedSet = new Set(diverged.map((t) => t.target));
    const changed = olds.tables.filter((t) => reloadAll || divergedSet.has(t.target) || src.tables[t.source]?.checksum !== t.sourceChecksum);
    if (changed.length === 0) {
      log(`re-sync: no table content changed; nothing reloaded`);
      const o = carried();
      o.syncedFingerprint = news.sourceFingerprint;
      o.lastSyncAt = new Date().toISOString();
      o.timings = { guardAndSourceChecksumMs: guardMs, sourceChecksumMs: checksumMs, totalMs: Date.now() - t0 };
      return o;
    }
    log(`re-sync: reloading ${reloadAll ? "every table (schema or mapping changed)" : changed.map((t) => `"${t.target}"`).join(", ")}`);

    const stage = stageSchemaName(schema);
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(stage)} CASCADE`);
    await client.query(`CREATE SCHEMA ${quoteIdent(stage)}`);
    const before = await relations(client, schema);
    try {
      const ts = Date.now();
      const existingMode = news.mapping.schemaMode === "existing";
      // Content-only change: load just the changed tables. Schema or mapping change: the whole plan.
      const staged = reloadAll || existingMode
        ? await stageEverything(news, client, stage, existingMode ? olds.tables.filter((t) => live.has(t.target)).map((t) => t.target) : [], schema)
        : await stageTables(news, client, stage, changed.map((t) => t.source));
      const stageMs = Date.now() - ts;
      const oldTargets = new Set(olds.tables.map((t) => t.target));
      const newTargets = new Set(staged.tables.map((t) => t.target));
      const changedTargets = new Set(changed.map((t) => t.target));
      const replace = staged.tables.map((t) => t.target).filter((t) => oldTargets.has(t) && live.has(t) && changedTargets.has(t));
      const add = staged.tables.map((t) => t.target).filter((t) => !oldTargets.has(t) || !live.has(t));
      const conflicts = add.filter((t) => before.some((o) => o.name === t));
      if (conflicts.length) {
        throw new Error(`re-sync: new source table(s) ${conflicts.map((t) => `"${t}"`).join(", ")} collide with existing objects in schema "${schema}" that the migration did not create; rename or drop them. Nothing was changed`);
      }
      const created = new Set(olds.createdObjects.filter((o) => o.kind === "table").map((o) => o.name));
      const drop = olds.tables.map((t) => t.target).filter((t) => !newTargets.has(t) && live.has(t) && created.has(t));
      const swap = await swapTables(client, {
        schema, stageSchema: stage, replace, add, drop,
        foreignKeysFrom: staged.foreignKeysFrom,
        lockTimeoutMs: news.lockTimeoutMs, log,
      });
      const after = await relations(client, schema);
      const beforeKeys = new Set(before.map(key));
      const afterKeys = new Set(after.map(key));
      const createdObjects = [
        ...olds.createdObjects.filter((o) => afterKeys.has(key(o))),
        ...after.filter((o) => !beforeKeys.has(key(o)) && !olds.createdObjects.some((c) => key(c) === key(o))),
      ];
      const tt = Date.now();
      // Tables not swapped still hold what the guard just checksummed.
      const moved = new Set([...replace, ...add]);
      const targets = { ...current, ...(await pgChecksums(client, schema, staged.tables.map((t) => t.target).filter((t) => moved.has(t)))) };
      const o: MigrationOutputs = {
        ...carried(),
        createdObjects,
        tables: tableSyncs(staged.tables, src.tables, targets),
        sourceSchemaChecksum: src.schemaChecksum,
        syncedFingerprint: news.sourceFingerprint,
        lastSyncAt: new Date().toISOString(),
        reloadedTables: [...replace, ...add],
        swapDowntimeMs: Math.round(swap.swapMs * 10) / 10,
        timings: {
          guardAndSourceChecksumMs: guardMs, sourceChecksumMs: checksumMs, stageLoadMs: stageMs, swapMs: swap.swapMs, lockWaitMs: swap.lockWaitMs,
          validateMs: swap.validateMs, targetChecksumMs: Date.now() - tt, totalMs: 0,
        },
        warnings: staged.warnings,
        verified: staged.verified,
      };
      log(`re-sync: swapped ${replace.length} table(s), added ${add.length}, dropped ${drop.length}; downtime (swap) ${swap.swapMs.toFixed(1)} ms`);
      return o;
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(stage)} CASCADE`).catch(() => {});
    }
  });
  outs.timings.totalMs = Date.now() - t0;
  try {
    if (news.seedCommand && outs.reloadedTables.length > 0) await runSeed(news);
    if (news.seedCommand && outs.reloadedTables.length > 0) {
      // The seed wrote rows: record the checksums the guard will expect next time.
      const targets = await withClient(news, (c) => pgChecksums(c, schema, outs.tables.map((t) => t.target)));
      outs.tables = outs.tables.map((t) => ({ ...t, rows: targets[t.target]!.rows, targetChecksum: targets[t.target]!.checksum }));
    }
    await afterSync(news, outs);
  } catch (err) {
    throw new PartialSyncError(`the re-sync succeeded and was verified, but the post-migration step failed: ${scrub((err as Error).message, news)}`, id, plain(outs));
  }
  return plain(outs);
}

export async function deleteMigration(state: MigrationOutputs): Promise<void> {
  log(`delete: dropping ${state.createdObjects.length} object(s) the migration created in ${state.connection.database}.${state.schema}`);
  await withClient(state, async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(stageSchemaName(state.schema))} CASCADE`);
    const notes = await dropObjects(client, state.schema, state.createdObjects, state.schemaCreated);
    for (const n of notes) log(`delete: ${n}`);
  });
}
