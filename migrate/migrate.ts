/**
 * The migration: plan → one PostgreSQL transaction holding the DDL, the
 * COPY load, constraints, indexes, identity restarts, FKs, views and the
 * value-by-value verification → COMMIT. Any failure rolls back, so the
 * target is exactly as it was (also after kill -9: an uncommitted
 * transaction leaves nothing).
 */
import type { Client } from "pg";
import { loadTable } from "./load-table";
import { planFromDatabase } from "./plan";
import { formatPlanErrors } from "./plan-errors";
import type { Plan } from "./plan-types";
import { connect, redactError } from "./pg-connection";
import { quoteLiteral } from "./quote";
import { collationDdl, foreignKeyDdl, renderStatement, tableCreateDdl, tablePostLoadDdl, viewDdl, type DdlStatement } from "./render-ddl";
import { runSchemaCommand } from "./schema-command";
import { readerOptions, type ReaderPool } from "./reader-pool";
import { openSource, type SqliteDb } from "./sqlite-source";
import { sqlLineExpression } from "./copy-encode";
import type { MappingOptions, MigrateOptions, MigrationReport, TableReport, VerifyMismatch, VerifyReport } from "./types";
import { verifyTable } from "./verify-table";
import { alignPlan, cycleForeignKeys, emptiedByReplace, enumProblems, existingOverrides, fkOrder, foreignKeySql, readTargetCatalog, sequenceResetSql, serverTypeProblems, skippedSources, valueProblems } from "./existing-schema";
import type { PlanError } from "./plan-types";
import { qualified, quoteSqliteIdent } from "./quote";
import { showKey, showValue, type AggregateRunner } from "./column-scan";
import { shellFlag } from "./type-mapping";
import { compareHistory, FRAMEWORK_HISTORY_TABLES, someOf } from "./framework-history";

/** Session settings for loading and reading back: naive datetimes are read in the source zone. */
export async function setSession(client: Client, zone: string): Promise<void> {
  await client.query(`SET LOCAL TimeZone = ${quoteLiteral(zone)}`);
  await client.query("SET LOCAL DateStyle = 'ISO, YMD'");
  await client.query("SET LOCAL IntervalStyle = 'postgres'");
  await client.query("SET LOCAL extra_float_digits = 1");
  await client.query("SET LOCAL client_encoding = 'UTF8'");
}

/** Relations already in the target schema. */
export async function existingRelations(client: Client, schema: string): Promise<{ name: string; kind: string }[]> {
  const r = await client.query(
    `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1`, [schema]);
  return r.rows as { name: string; kind: string }[];
}

export function tableWarnings(t: Plan["tables"][number]): string[] {
  return [...t.columns.flatMap((c) => c.warnings.map((w) => `${c.source}: ${w}`)), ...t.warnings];
}

/** Verifies every planned table through `client` (inside or outside a transaction). */
export async function verifyPlan(db: SqliteDb, client: Client, plan: Plan, zone: string, onTable?: (source: string, ms: number) => void, readers?: ReaderPool): Promise<VerifyReport> {
  const tables: VerifyReport["tables"] = [];
  const mismatches: VerifyMismatch[] = [];
  const warnings: string[] = [];
  for (const t of plan.tables) {
    const r = await verifyTable(db, client, t, plan.schema, zone, t.target, readers);
    tables.push({ source: t.source, target: t.target, rows: r.rows, equal: r.equal });
    mismatches.push(...r.mismatches);
    for (const g of r.generatedDifferences) warnings.push(`generated column "${g.table}"."${g.column}" row ${g.key}: PostgreSQL computes ${g.message}`);
    onTable?.(t.source, r.ms);
  }
  return { equal: mismatches.length === 0, tables, mismatches, warnings };
}

export function formatMismatches(v: VerifyReport): string {
  return v.mismatches.slice(0, 50).map((m) => `  - table "${m.table}"${m.column ? ` column "${m.column}"` : ""}${m.key ? ` row ${m.key}` : ""}: ${m.message}`).join("\n");
}

/** Turns SQLite's corruption errors (found by the scan on files too large for an up-front quick_check) into a clear message. */
export function sqliteErrors<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) throw new Error(`SQLite file ${path} is corrupted (${(err as Error).message}); restore it from a backup or run sqlite3 ${path} ".recover"`);
    throw err;
  }
}

/**
 * Existing schema mode: read the target tables, re-plan with their column
 * types as overrides (so every value is checked against them), report every
 * problem together before any row is written, then return the plan aligned
 * to the target names, the FK load order and the sequence resets.
 */
async function prepareExisting(db: SqliteDb, client: Client, first: Plan, options: MigrateOptions, runAggregate: AggregateRunner): Promise<{ plan: Plan; order: Plan["tables"]; sequenceSql: string[]; dropForLoad: string[]; readdAfterLoad: string[] }> {
  const schema = first.schema;
  const catalog = await readTargetCatalog(client, schema);
  if (catalog.size === 0) throw new Error(`migration refused, target not touched: --schema-mode existing but schema "${schema}" has no tables; run the schema command (e.g. alembic upgrade head) first`);
  const { overrides, reasons, problems } = existingOverrides(first, catalog, options.typeOverrides ?? {});
  const plan = planFromDatabase(db, options.from, { ...options, typeOverrides: { ...overrides, ...(options.typeOverrides ?? {}) } }, { overrideReasons: reasons, runAggregate });
  const aligned = problems.length ? plan : alignPlan(plan, catalog);
  const errors: PlanError[] = [...problems, ...plan.errors];
  let truncate: string[] = [];
  // Every misfit is reported together: the value checks run on the columns that do match even when others do not.
  errors.push(...valueProblems(db, plan, catalog));
  errors.push(...(await serverTypeProblems(db, client, plan, catalog)));
  {
    errors.push(...enumProblems(aligned, catalog, (table, column, labels) => {
      const q = quoteSqliteIdent(column);
      const tp = aligned.tables.find((x) => x.source === table)!;
      const keys = tp.sourceKey.map((e) => e.replace(/ COLLATE BINARY$/, ""));
      const row = db.prepare(`SELECT ${keys.join(", ")}, ${q} FROM main.${quoteSqliteIdent(table)} WHERE ${q} IS NOT NULL AND ${q} NOT IN (${labels.map((l) => `'${l.replace(/'/g, "''")}'`).join(", ")}) LIMIT 1`).raw().get() as unknown[] | undefined;
      return row ? { key: showKey(keys.map((k) => k.replace(/^"|"$/g, "").replace(/""/g, '"')), row.slice(0, keys.length)), value: showValue(row[row.length - 1]) } : undefined;
    }));
    const full = aligned.tables.filter((t) => catalog.get(t.target)?.hasRows).map((t) => t.target);
    if (full.length && !options.replace) errors.push({ table: full[0], message: `target table(s) ${full.map((n) => `"${n}"`).join(", ")} in schema "${schema}" already hold rows; pass --replace to empty them first`, fix: "--replace" });
    else if (full.length) {
      // PostgreSQL truncates a table referenced by a foreign key only together with every table that
      // references it (an empty one too): one TRUNCATE of the loaded tables and all that reference them.
      const empty = emptiedByReplace(catalog, aligned.tables.map((t) => t.target));
      for (const n of empty.blocked) {
        errors.push({ table: n, message: `--replace must empty target table "${n}" (not in the SQLite file) because it references tables being loaded, but it holds rows that would be lost; empty it yourself, or leave the tables it references out with --skip-table`, fix: "empty it first" });
      }
      truncate = empty.tables;
    }
  }
  // The framework's history tables are not copied: the target's rows (written by the schema command) must describe its schema.
  const skipped = options.skipTables ?? FRAMEWORK_HISTORY_TABLES;
  for (const d of await compareHistory(db, skippedSources(db, skipped), client, schema, catalog.keys(), skipped)) {
    if (d.onlyInSource.length) errors.push({ table: d.table, message: `table "${d.table}": the SQLite file records ${d.onlyInSource.length} migration(s) that the target schema lacks (${someOf(d.onlyInSource)}): its data was written by a newer schema than the schema command built; run the app's current code (the version that wrote the SQLite file) as the schema command`, fix: "a schema command at the SQLite file's version" });
    if (d.onlyInTarget.length) plan.warnings.push(`${d.table}: the target schema has ${d.onlyInTarget.length} migration(s) the SQLite file does not record (${someOf(d.onlyInTarget)}); the data is loaded into that newer schema`);
  }
  if (errors.length) throw new Error(formatPlanErrors({ ...plan, errors }));
  if (truncate.length) {
    await client.query(`TRUNCATE ${truncate.map((n) => qualified(schema, n)).join(", ")}`);
    options.log?.(`--replace: emptied ${truncate.length} table(s) in one TRUNCATE: ${someOf(truncate, 10)}`);
  }
  // Non-deferrable FKs on a cycle cannot be satisfied by any table order: drop them for the load, re-add (validated) after.
  const cycles = cycleForeignKeys(catalog, aligned.tables.map((t) => t.target));
  const dropForLoad = cycles.map((c) => foreignKeySql("drop", schema, c.table, c.fk));
  const readdAfterLoad = cycles.map((c) => foreignKeySql("add", schema, c.table, c.fk));
  await client.query("SET CONSTRAINTS ALL DEFERRED");
  const order = fkOrder(plan).map((s) => aligned.tables.find((t) => t.source === s)!);
  const sequenceSql: string[] = [];
  for (const t of aligned.tables) {
    const target = catalog.get(t.target)!;
    const original = plan.tables.find((x) => x.source === t.source)!;
    for (const tc of target.columns) {
      if (!tc.sequence) continue;
      const restart = original.columns.find((c) => c.target === tc.name || c.source === tc.name)?.identity?.restartWith;
      sequenceSql.push(sequenceResetSql(schema, t.target, tc.name, restart ? BigInt(restart) - 1n : 0n));
    }
  }
  return { plan: aligned, order, sequenceSql, dropForLoad, readdAfterLoad };
}

/** A load error that a plan of every value could explain: PostgreSQL refused a value (SQLSTATE class 22 or 23). */
function planCanExplain(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code);
}

/** Rows of each table scanned for the tentative plan when the full scan runs in the background. */
const SAMPLE_ROWS = 20_000;

/** The mapping options alone (plain data for a reader thread: no callbacks, no connection string). */
function mappingOptions(o: MigrateOptions): MappingOptions {
  const { schema, typeOverrides, sourceTimezone, foldIdentifiers, orphanForeignKeys, schemaMode, skipTables, skipForeignKeys, skipIndexes } = o;
  return Object.fromEntries(Object.entries({ schema, typeOverrides, sourceTimezone, foldIdentifiers, orphanForeignKeys, schemaMode, skipTables, skipForeignKeys, skipIndexes }).filter(([, v]) => v !== undefined)) as MappingOptions;
}

async function sqliteErrorsAsync<T>(path: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    return sqliteErrors(path, () => { throw err; });
  }
}

/**
 * Whether two plans build the same thing: the same DDL (tables, keys,
 * indexes, FKs, views), and per table the same COPY line (or the same JS
 * encoders: conversion, epoch unit, integer width). Reasons and counts may differ.
 */
export function sameDdl(schema: string, a: Plan, b: Plan): boolean {
  const shape = (p: Plan) => JSON.stringify(p.tables.map((tp) => {
    const cols = tp.columns.filter((c) => !c.generated);
    return {
      ddl: tableCreateDdl(schema, tp).map(renderStatement),
      line: sqlLineExpression(cols, quoteSqliteIdent),
      cols: cols.map((c) => [c.source, c.target, c.conversion, c.pgType, c.epochUnit ?? null, !!c.fromRowid]),
      big: !!tp.bigIntegers,
      post: tablePostLoadDdl(schema, tp).map(renderStatement),
    };
  })) + JSON.stringify([foreignKeyDdl(p).map(renderStatement), viewDdl(p).map(renderStatement)]);
  return shape(a) === shape(b);
}

export async function migrate(options: MigrateOptions): Promise<MigrationReport> {
  const t0 = Date.now();
  const log = options.log ?? (() => undefined);
  const progress = options.onProgress ?? (() => undefined);
  const zone = options.sourceTimezone ?? "UTC";
  const existingMode = options.schemaMode === "existing";
  const src = openSource(options.from, readerOptions(options, log, !existingMode));
  try {
    // With reader threads to spare, the full value scan runs in the background while the load
    // starts from a plan scanned on a sample; before anything is committed the full plan must
    // refuse nothing and load exactly the same way, else the load is redone with it.
    const background = !existingMode && src.readers.canPlanInBackground ? src.readers.planInBackground(options.from, mappingOptions(options)) : undefined;
    background?.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    let plan = sqliteErrors(options.from, () => planFromDatabase(src.db, options.from, options, background ? { runAggregate: src.readers.sampleAggregate(SAMPLE_ROWS), tentative: true } : { runAggregate: src.readers.aggregate }));
    // A refusal seen in the sample is real: report it as the full scan words it, before touching the target.
    if (background && plan.errors.length) plan = await sqliteErrorsAsync(options.from, background);
    let planMs = Date.now() - t0;
    progress({ kind: "phase", phase: "plan", ms: planMs });
    // In existing mode the target columns' types decide, so refusals are judged after reading them.
    if (plan.errors.length && !existingMode) throw new Error(formatPlanErrors(plan));
    if (existingMode && options.schemaCommand) await runSchemaCommand(options.schemaCommand, options, log);
    const schema = plan.schema;
    const client = await connect(options);
    const timings = { planMs, schemaMs: 0, loadMs: 0, constraintsMs: 0, verifyMs: 0, totalMs: 0 };
    const tables: TableReport[] = [];
    const warnings = [...plan.warnings];
    let verified = false;
    const run = async (s: DdlStatement) => { await client.query(renderStatement(s)); };
    // Translated views, CHECKs and expression/partial indexes may still be refused by PostgreSQL
    // (or by the data, for CHECKs): those are reported, not fatal.
    const tryRun = async (s: DdlStatement, what: string) => {
      await client.query("SAVEPOINT s2p_optional");
      try {
        await client.query(renderStatement(s));
        await client.query("RELEASE SAVEPOINT s2p_optional");
      } catch (err) {
        await client.query("ROLLBACK TO SAVEPOINT s2p_optional");
        warnings.push(`${what} not created: PostgreSQL refused it (${redactError(err, options).message})`);
      }
    };
    const loadOne = async (tp: Plan["tables"][number], freeze: boolean) => {
      progress({ kind: "table-start", table: tp.source, totalRows: tp.rows });
      const r = await loadTable(src.db, client, tp, { schema, zone, freeze, readers: src.readers, onProgress: (rows) => progress({ kind: "table-progress", table: tp.source, rows, totalRows: tp.rows }) });
      progress({ kind: "table-done", table: tp.source, rows: r.rows, ms: r.ms });
      log(`loaded ${tp.source} → ${schema}.${tp.target}: ${r.rows} rows in ${r.ms} ms`);
      tables.push({ source: tp.source, target: tp.target, rows: r.rows, loadMs: r.ms, warnings: tableWarnings(tp), columns: tp.columns.map((c) => ({ source: c.source, target: c.target, declaredType: c.declaredType, pgType: c.pgType, reason: c.reason })) });
    };
    // Views and CHECKs PostgreSQL refuses are reported; an index never is dropped while the run says success (issue 16).
    const optional = (s: DdlStatement): string | null =>
      s.kind === "create-view" ? `view ${s.view.source}` : s.kind === "add-check" ? `CHECK ${s.name} on ${s.table}` : null;
    const createIndex = async (s: Extract<DdlStatement, { kind: "create-index" }>) => {
      try {
        await run(s);
      } catch (err) {
        const e = redactError(err, options) as Error & { code?: string };
        const wrapped = new Error(`${s.index.unique ? "unique " : ""}index ${s.index.source} on table "${s.table}": PostgreSQL refused it (${e.message}); an index is never dropped silently: fix the rows or drop it knowingly with ${shellFlag("--skip-index", s.index.source)}`) as Error & { code?: string };
        if (e.code) wrapped.code = e.code;
        throw wrapped;
      }
    };
    try {
      await client.query("BEGIN");
      await setSession(client, zone);
      // Sort PK/index builds in memory (PostgreSQL 16 default is 64MB).
      await client.query("SET LOCAL maintenance_work_mem = '256MB'");
      // One migration per schema at a time.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`sqlite-to-postgres:${schema}`]);
      let t = Date.now();
      if (existingMode) {
        const prepared = await prepareExisting(src.db, client, plan, options, src.readers.aggregate);
        plan = prepared.plan;
        planMs += Date.now() - t;
        timings.planMs = planMs;
        warnings.push(...prepared.plan.warnings.filter((w) => !warnings.includes(w)));
        timings.schemaMs = 0;
        t = Date.now();
        for (const sql of prepared.dropForLoad) await client.query(sql);
        for (const tp of prepared.order) await loadOne(tp, false);
        timings.loadMs = Date.now() - t;
        progress({ kind: "phase", phase: "load", ms: timings.loadMs });
        t = Date.now();
        for (const sql of prepared.readdAfterLoad) await client.query(sql);
        for (const sql of prepared.sequenceSql) await client.query(sql);
        await client.query("SET CONSTRAINTS ALL IMMEDIATE");
        timings.constraintsMs = Date.now() - t;
        progress({ kind: "phase", phase: "constraints", ms: timings.constraintsMs });
      }
      const existing = existingMode ? [] : await existingRelations(client, schema);
      if (existing.length && !options.replace) {
        throw new Error(`target schema "${schema}" already has ${existing.length} table(s)/view(s) (${existing.slice(0, 5).map((e) => e.name).join(", ")}${existing.length > 5 ? ", …" : ""}); refusing to write into it. Pass --replace to replace them, or choose another --schema`);
      }
      if (!existingMode) {
      // Not even CREATE SCHEMA IF NOT EXISTS when it exists: that needs CREATE on the database, which a
      // role allowed to create tables in "public" need not have (issue 16).
      const schemaExists = (await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).rowCount! > 0;
      if (!schemaExists) await run({ kind: "create-schema", schema });
      for (const s of collationDdl(plan)) await run(s);
      if (existing.length) {
        const ours = new Set([...plan.tables.map((x) => x.target), ...plan.views.map((v) => v.target)]);
        for (const e of existing) {
          if (!ours.has(e.name)) { warnings.push(`--replace: existing ${e.kind === "v" ? "view" : "table"} ${e.name} is not in the SQLite file and was left in place`); continue; }
          await run(e.kind === "v" || e.kind === "m" ? { kind: "drop-view", schema, view: e.name } : { kind: "drop-table", schema, table: e.name });
        }
        log(`--replace: dropped ${existing.filter((e) => ours.has(e.name)).length} existing relation(s)`);
      }
      if (background) await client.query("SAVEPOINT s2p_tentative");
      const build = async (p: Plan) => {
        for (const tp of p.tables) for (const s of tableCreateDdl(schema, tp)) await run(s);
        timings.schemaMs = Date.now() - t;
        progress({ kind: "phase", phase: "schema", ms: timings.schemaMs });
        t = Date.now();
        // FREEZE: the tables were created in this transaction, so rows are written already frozen.
        for (const tp of p.tables) await loadOne(tp, true);
        timings.loadMs = Date.now() - t;
        progress({ kind: "phase", phase: "load", ms: timings.loadMs });
        t = Date.now();
        for (const tp of p.tables) for (const s of tablePostLoadDdl(schema, tp)) { const o = optional(s); await (o ? tryRun(s, o) : s.kind === "create-index" ? createIndex(s) : run(s)); }
        for (const s of foreignKeyDdl(p)) await run(s);
        for (const s of viewDdl(p)) await tryRun(s, `view ${s.kind === "create-view" ? s.view.source : ""}`);
        timings.constraintsMs = Date.now() - t;
        progress({ kind: "phase", phase: "constraints", ms: timings.constraintsMs });
      };
      const mark = warnings.length;
      let buildError: unknown;
      try {
        await build(plan);
      } catch (err) {
        // Only a value PostgreSQL refused (a value beyond the sample: SQLSTATE class 22 data exception or
        // 23 integrity violation) can be explained by the full plan. Anything else (no permission, a killed
        // connection, a server gone) is the real cause: reported as it is, nothing redone (issue 16).
        if (!background || !planCanExplain(err)) throw err;
        buildError = err;
      }
      if (background) {
        // The full scan had the load and the index builds to finish in; only now is it needed.
        const waited = Date.now();
        const full = await sqliteErrorsAsync(options.from, background);
        timings.planMs += Date.now() - waited;
        if (full.errors.length) throw new Error(formatPlanErrors(full));
        const changed = !sameDdl(schema, plan, full);
        // The full plan loads exactly as the tentative one did: loading again would fail the same way.
        if (buildError !== undefined && !changed) throw buildError;
        if (changed) {
          log(`the full value scan changed the plan (${buildError === undefined ? "column mapping or encoding" : `it explains: ${redactError(buildError, options).message.split("\n")[0] ?? ""}`}); loading again with it`);
          await client.query("ROLLBACK TO SAVEPOINT s2p_tentative");
          tables.length = 0;
          warnings.length = mark;
          t = Date.now();
          await build(full);
        }
        // Reports and verification follow the full plan.
        for (const r of tables) {
          const tp = full.tables.find((x) => x.source === r.source)!;
          r.warnings = tableWarnings(tp);
          r.columns = tp.columns.map((c) => ({ source: c.source, target: c.target, declaredType: c.declaredType, pgType: c.pgType, reason: c.reason }));
        }
        warnings.splice(0, warnings.length, ...full.warnings, ...warnings.filter((w) => !plan.warnings.includes(w)));
        plan = full;
        await client.query("RELEASE SAVEPOINT s2p_tentative");
      }
      }

      if (options.verify !== false) {
        t = Date.now();
        const v = await verifyPlan(src.db, client, plan, zone, (source, ms) => {
          const r = tables.find((x) => x.source === source);
          if (r) r.verifyMs = ms;
        }, src.readers);
        timings.verifyMs = Date.now() - t;
        progress({ kind: "phase", phase: "verify", ms: timings.verifyMs });
        if (!v.equal) throw new Error(`verification failed, nothing committed:\n${formatMismatches(v)}`);
        warnings.push(...(v.warnings ?? []));
        verified = true;
      } else {
        warnings.push("verification skipped (--no-verify)");
      }
      t = Date.now();
      await client.query("COMMIT");
      progress({ kind: "phase", phase: "commit", ms: Date.now() - t });
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      const e = redactError(err, options);
      throw new Error(/refus|nothing committed|not touched/.test(e.message) ? e.message : `migration failed and was rolled back (target unchanged): ${e.message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    timings.totalMs = Date.now() - t0;
    return { schema, tables, timings, warnings, verified };
  } finally {
    src.close();
  }
}

/** Compares an already migrated target with the SQLite file, value by value. */
export async function verify(options: MigrateOptions): Promise<VerifyReport> {
  const zone = options.sourceTimezone ?? "UTC";
  const src = openSource(options.from, readerOptions(options, options.log ?? (() => undefined)));
  try {
    let plan = planFromDatabase(src.db, options.from, options, { runAggregate: src.readers.aggregate });
    if (plan.errors.length && options.schemaMode !== "existing") throw new Error(formatPlanErrors(plan));
    const client = await connect(options);
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      await setSession(client, zone);
      if (options.schemaMode === "existing") {
        const catalog = await readTargetCatalog(client, plan.schema);
        const { overrides, reasons, problems } = existingOverrides(plan, catalog, options.typeOverrides ?? {});
        const typed = planFromDatabase(src.db, options.from, { ...options, typeOverrides: { ...overrides, ...(options.typeOverrides ?? {}) } }, { overrideReasons: reasons, runAggregate: src.readers.aggregate });
        if (problems.length || typed.errors.length) throw new Error(formatPlanErrors({ ...typed, errors: [...problems, ...typed.errors] }));
        plan = alignPlan(typed, catalog);
      }
      const missing: VerifyMismatch[] = [];
      const present = new Set((await existingRelations(client, plan.schema)).map((r) => r.name));
      const planForVerify = { ...plan, tables: plan.tables.filter((t) => present.has(t.target) || (missing.push({ table: t.source, message: `table ${plan.schema}.${t.target} does not exist in PostgreSQL` }), false)) };
      const v = await verifyPlan(src.db, client, planForVerify, zone, undefined, src.readers);
      await client.query("COMMIT");
      return { equal: v.equal && missing.length === 0, tables: v.tables, mismatches: [...missing, ...v.mismatches], warnings: v.warnings };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw redactError(err, options);
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    src.close();
  }
}
