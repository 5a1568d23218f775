/**
 * "existing" schema mode: the application's own migrations create the schema
 * (e.g. `alembic upgrade head` with DATABASE_URL set, run as the owner), then
 * the engine loads the SQLite rows into the tables it finds.
 *
 * 1. Run the schema command, if any.
 * 2. Introspect the target tables (pg_catalog) and match SQLite tables and
 *    columns to them by name (exact, then case-insensitive).
 * 3. Plan with the engine's planner, each column forced to the target
 *    column's actual type (as a `--type` override would), so the engine's own
 *    scan checks every value against that type.
 * 4. Report every misfit together before writing a row: missing tables,
 *    missing or extra columns, type conflicts, values that cannot convert
 *    (length, precision, range, enum labels, NULLs into NOT NULL), non-empty
 *    target tables.
 * 5. In one transaction: load with the engine's COPY loader in foreign-key
 *    order (FKs of a cycle are dropped and re-added), reset the sequences,
 *    verify value by value, COMMIT.
 */
import { spawn } from "node:child_process";
import type { Client } from "pg";
import { showKey, showValue } from "./column-scan";
import { introspect } from "./introspect";
import { loadTable } from "./load-table";
import { formatMismatches, setSession, tableWarnings, verifyPlan } from "./migrate";
import { planFromDatabase } from "./plan";
import type { ColumnPlan, Plan, PlanError, TablePlan } from "./plan-types";
import { connect, redact, redactError, secretsOf } from "./pg-connection";
import { qualified, quoteIdent, quoteLiteral, quoteSqliteIdent } from "./quote";
import { openSource, type SqliteDb } from "./sqlite-source";
import { conversionForPgType } from "./type-mapping";
import type { MigrateOptions, MigrationReport, TableReport } from "./types";
import { decimalShape, shortestDecimal } from "./value-formats";

/** One column of a target table, from pg_catalog. */
export interface TargetColumn {
  name: string;
  /** `format_type()` of the column (of the base type for a domain), e.g. `character varying(200)`. */
  type: string;
  /** pg_type.typname of that type, e.g. `varchar`, `int4`, `agent_status`. */
  typeName: string;
  /** Labels when the type is an enum. */
  enumLabels?: string[];
  notNull: boolean;
  hasDefault: boolean;
  identity: boolean;
  generated: boolean;
  /** Character limit of varchar(n)/char(n). */
  maxChars?: number;
  /** numeric(p,s). */
  precision?: number;
  scale?: number;
  /** The sequence behind serial/identity, if any. */
  sequence?: string;
}

export interface TargetTable {
  name: string;
  columns: TargetColumn[];
  /** Tables this one references (other than itself). */
  references: string[];
  foreignKeys: { name: string; parent: string; definition: string; deferrable: boolean }[];
}

/** The tables of `schema` as the schema command left them. */
export async function introspectTarget(client: Client, schema: string): Promise<Map<string, TargetTable>> {
  const cols = await client.query(
    `SELECT c.relname AS table, a.attname AS column,
            format_type(coalesce(nullif(t.typbasetype, 0), a.atttypid), CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END) AS type,
            bt.typname AS type_name, bt.typtype AS type_kind,
            (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = bt.oid) AS labels,
            a.attnotnull AS not_null, a.atthasdef AS has_default, a.attidentity <> '' AS identity, a.attgenerated <> '' AS generated,
            pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) AS sequence
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type bt ON bt.oid = coalesce(nullif(t.typbasetype, 0), t.oid)
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const tables = new Map<string, TargetTable>();
  for (const r of cols.rows as Record<string, unknown>[]) {
    const name = r.table as string;
    if (!tables.has(name)) tables.set(name, { name, columns: [], references: [], foreignKeys: [] });
    const type = r.type as string;
    const len = /^(?:character varying|character|bit varying|bit)\((\d+)\)$/.exec(type);
    const num = /^numeric\((\d+),(-?\d+)\)$/.exec(type);
    tables.get(name)!.columns.push({
      name: r.column as string,
      type,
      typeName: r.type_name as string,
      enumLabels: r.type_kind === "e" ? (r.labels as string[]) : undefined,
      notNull: r.not_null as boolean,
      hasDefault: r.has_default as boolean,
      identity: r.identity as boolean,
      generated: r.generated as boolean,
      maxChars: len ? Number(len[1]) : undefined,
      precision: num ? Number(num[1]) : undefined,
      scale: num ? Number(num[2]) : undefined,
      sequence: (r.sequence as string | null) ?? undefined,
    });
  }
  const fks = await client.query(
    `SELECT c.relname AS table, p.relname AS parent, k.conname AS name, pg_get_constraintdef(k.oid) AS definition, k.condeferrable AS deferrable
       FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
      WHERE k.contype = 'f' AND n.nspname = $1 AND pn.nspname = $1`,
    [schema],
  );
  for (const r of fks.rows as { table: string; parent: string; name: string; definition: string; deferrable: boolean }[]) {
    const t = tables.get(r.table);
    if (!t) continue;
    t.foreignKeys.push({ name: r.name, parent: r.parent, definition: r.definition, deferrable: r.deferrable });
    if (r.parent !== r.table && !t.references.includes(r.parent)) t.references.push(r.parent);
  }
  return tables;
}

/** The type to force on a SQLite column so the engine converts to (and checks against) the target column. */
export function overrideForTarget(c: TargetColumn): string | null {
  if (c.enumLabels) return "text"; // enum input is the label's text; labels are checked separately
  return conversionForPgType(c.type) ? c.type : null;
}

/** Loading order: parents before children; tables on a cycle come last, their FKs dropped for the load. */
export function loadOrder(names: string[], targets: Map<string, TargetTable>): { order: string[]; cyclic: Set<string> } {
  const pending = new Set(names);
  const order: string[] = [];
  for (;;) {
    const ready = [...pending].filter((n) => (targets.get(n)?.references ?? []).every((p) => !pending.has(p)));
    if (!ready.length) break;
    for (const n of ready.sort()) {
      order.push(n);
      pending.delete(n);
    }
  }
  const cyclic = new Set(pending);
  order.push(...[...pending].sort());
  return { order, cyclic };
}

/** Runs the configured schema command with DATABASE_URL (and PG* variables) pointing at the target. Output is redacted. */
export async function runSchemaCommand(command: string, options: ExistingModeOptions, log: (line: string) => void): Promise<void> {
  const secrets = secretsOf(options);
  const url = new URL(options.to);
  if (options.password) url.password = encodeURIComponent(options.password);
  else if (!url.password && process.env.PGPASSWORD) url.password = encodeURIComponent(process.env.PGPASSWORD);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url.toString(),
    PGHOST: url.hostname,
    PGPORT: url.port || "5432",
    PGDATABASE: decodeURIComponent(url.pathname.replace(/^\//, "")),
    PGUSER: decodeURIComponent(url.username),
    ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}),
  };
  log(`schema command: ${redact(command, secrets)}`);
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], { env, stdio: ["ignore", "pipe", "pipe"] });
    const take = (d: Buffer) => {
      for (const line of d.toString().split("\n")) {
        if (!line) continue;
        const clean = redact(line, secrets);
        output.push(clean);
        log(`  | ${clean}`);
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  if (code !== 0) throw new Error(`schema command failed with exit code ${code}, nothing loaded: ${redact(command, secrets)}\n${output.slice(-40).join("\n")}`);
}

function findByName<T extends { name: string }>(items: Iterable<T>, name: string): T | undefined {
  const list = [...items];
  return list.find((x) => x.name === name) ?? list.find((x) => x.name.toLowerCase() === name.toLowerCase());
}

interface Matched {
  plan: Plan;
  /** Target table name per source table. */
  targets: Map<string, TargetTable>;
  misfits: PlanError[];
  warnings: string[];
}

/** Matches the SQLite file against the target tables and collects every misfit (reads SQLite only). */
export function matchExisting(db: SqliteDb, options: MigrateOptions, target: Map<string, TargetTable>): Matched {
  const misfits: PlanError[] = [];
  const warnings: string[] = [];
  const skip = new Set((options.skipTables ?? ["alembic_version"]).map((s) => s.toLowerCase()));
  if (Object.keys(options.typeOverrides ?? {}).length) {
    misfits.push({ table: "*", message: "--type overrides do not apply in existing schema mode: the target columns' types decide; change them in the schema command's migrations" });
  }
  const model = introspect(db);
  const overrides: Record<string, string> = {};
  const matchedTargets = new Map<string, TargetTable>();
  const columnOf = new Map<string, TargetColumn>();
  for (const t of model.tables) {
    if (t.kind !== "table" || skip.has(t.name.toLowerCase())) continue;
    const tt = findByName(target.values(), t.name);
    if (!tt) {
      misfits.push({ table: t.name, message: `table "${t.name}" has no table in PostgreSQL schema "${options.schema ?? "public"}"; create it in the schema command's migrations, or add it to skipTables` });
      continue;
    }
    matchedTargets.set(t.name, tt);
    for (const c of t.columns) {
      if (c.generated) continue;
      const tc = findByName(tt.columns, c.name);
      if (!tc) {
        misfits.push({ table: t.name, column: c.name, message: `table "${t.name}" column "${c.name}" has no column in PostgreSQL table "${tt.name}"; its values would be lost. Add the column in the migrations, or drop it from the SQLite file` });
        continue;
      }
      columnOf.set(`${t.name}\u0000${c.name}`, tc);
      if (tc.generated) {
        misfits.push({ table: t.name, column: c.name, message: `table "${t.name}" column "${c.name}": the PostgreSQL column is GENERATED and cannot be loaded` });
        continue;
      }
      const o = overrideForTarget(tc);
      if (!o) misfits.push({ table: t.name, column: c.name, message: `table "${t.name}" column "${c.name}": loading into PostgreSQL type ${tc.type} is not supported; use one of the types in the README's type table` });
      else overrides[`${t.name}.${c.name}`] = o;
    }
    for (const tc of tt.columns) {
      if (findByName(t.columns, tc.name)) continue;
      if (tc.notNull && !tc.hasDefault && !tc.identity && !tc.generated) {
        misfits.push({ table: t.name, column: tc.name, message: `PostgreSQL table "${tt.name}" column "${tc.name}" is NOT NULL without a default, and SQLite table "${t.name}" has no such column` });
      } else warnings.push(`PostgreSQL column "${tt.name}"."${tc.name}" has no SQLite column; it gets its default`);
    }
  }
  const plan = planFromDatabase(db, options.from, { ...options, schemaMode: "existing", typeOverrides: overrides });
  for (const e of plan.errors) {
    // The planner's fixes name translate-mode options; here the migrations decide types and FKs.
    const message = e.message
      .replace(/map the column with --type \S+/g, "change the column's type in the migrations")
      .replace(/--type \S+/g, "a different column type in the migrations")
      .replace(/fix the rows, or add the foreign key NOT VALID with --orphan-fks not-valid/g, "fix the rows (the foreign key exists in PostgreSQL)");
    misfits.push({ ...e, message, fix: e.fix?.startsWith("--") ? "fix the rows, or change the schema in the migrations" : e.fix });
  }
  const tables: TablePlan[] = [];
  for (const tp of plan.tables) {
    const tt = matchedTargets.get(tp.source);
    if (!tt) continue;
    const columns: ColumnPlan[] = [];
    for (const c of tp.columns) {
      const tc = columnOf.get(`${tp.source}\u0000${c.source}`);
      if (!tc || tc.generated || c.generated || c.fromRowid) continue;
      columns.push({ ...c, target: tc.name, pgType: tc.type });
      misfits.push(...valueMisfits(db, tp, c, tc));
    }
    const pkTargets = (tp.primaryKey?.columns ?? []).map((n) => columns.find((c) => c.source === tp.columns.find((x) => x.target === n)?.source)?.target);
    tables.push({
      ...tp,
      target: tt.name,
      columns,
      primaryKey: tp.primaryKey && pkTargets.every((x) => x !== undefined) ? { ...tp.primaryKey, columns: pkTargets as string[] } : undefined,
    });
  }
  return { plan: { ...plan, tables, views: [], errors: misfits }, targets: matchedTargets, misfits, warnings: [...warnings, ...plan.warnings] };
}

/** Checks the engine's type override cannot see: lengths, precision, integer ranges, float4, enum labels, NOT NULL. */
function valueMisfits(db: SqliteDb, tp: TablePlan, c: ColumnPlan, tc: TargetColumn): PlanError[] {
  const out: PlanError[] = [];
  const qt = `main.${quoteSqliteIdent(tp.source)}`;
  const q = quoteSqliteIdent(c.source);
  const keyExprs = tp.sourceKey.map((e) => e.replace(/ COLLATE BINARY$/, ""));
  const keyNames = keyExprs.map((e) => e.replace(/^"|"$/g, "").replace(/""/g, '"'));
  const where = `table "${tp.source}" column "${c.source}" → ${tp.target}.${tc.name} ${tc.type}`;
  const first = (cond: string, params: unknown[] = []): { n: number; key?: string; value?: string } => {
    const n = Number(db.prepare(`SELECT count(*) FROM ${qt} WHERE ${cond}`).pluck().get(...params));
    if (!n) return { n };
    const row = db.prepare(`SELECT ${q}, ${keyExprs.join(", ")} FROM ${qt} WHERE ${cond} LIMIT 1`).raw().get(...params) as unknown[];
    return { n, key: showKey(keyNames, row.slice(1)), value: showValue(row[0]) };
  };
  const report = (f: { n: number; key?: string; value?: string }, what: string) => {
    if (f.n) out.push({ table: tp.source, column: c.source, key: f.key, value: f.value, message: `${where}: ${f.n} ${what}; first: row ${f.key} value ${f.value}`, fix: "fix the rows, or change the column type in the migrations" });
  };
  if (tc.notNull && c.storage.null > 0) report(first(`${q} IS NULL`), "NULL value(s) for a NOT NULL column");
  if (tc.maxChars !== undefined) report(first(`typeof(${q}) = 'text' AND length(${q}) > ?`, [tc.maxChars]), `value(s) longer than ${tc.maxChars} characters`);
  if (tc.enumLabels) {
    // SQLite string literals quote like PostgreSQL's.
    const labels = tc.enumLabels.map(quoteLiteral).join(", ");
    report(first(`${q} IS NOT NULL AND (typeof(${q}) <> 'text' OR ${q} NOT IN (${labels || "NULL"}))`), `value(s) that are not labels of enum ${tc.typeName} (${tc.enumLabels.join(", ")})`);
  }
  const ranges: Record<string, [bigint, bigint]> = { int2: [-32768n, 32767n], int4: [-2147483648n, 2147483647n] };
  const range = ranges[tc.typeName];
  if (range) report(first(`typeof(${q}) = 'integer' AND (${q} < ${range[0]} OR ${q} > ${range[1]})`), `integer(s) outside the range of ${tc.type}`);
  if (tc.typeName === "float4") {
    const bad = (db.prepare(`SELECT ${q}, ${keyExprs.join(", ")} FROM ${qt} WHERE typeof(${q}) IN ('real', 'integer')`).raw().all() as unknown[][]).filter((r) => Math.fround(Number(r[0])) !== Number(r[0]));
    if (bad.length) report({ n: bad.length, key: showKey(keyNames, bad[0].slice(1)), value: showValue(bad[0][0]) }, "value(s) that a 4-byte real cannot hold exactly");
  }
  if (tc.precision !== undefined) {
    const p = tc.precision;
    const s = tc.scale ?? 0;
    let n = 0;
    let firstBad: unknown[] | undefined;
    for (const r of db.prepare(`SELECT ${q}, ${keyExprs.join(", ")} FROM ${qt} WHERE typeof(${q}) IN ('real', 'integer')`).raw().iterate() as IterableIterator<unknown[]>) {
      const v = r[0];
      const shape = decimalShape(typeof v === "bigint" ? v.toString() : shortestDecimal(Number(v)));
      if (shape.intDigits > p - s || shape.scale > s) {
        n++;
        firstBad ??= r;
      }
    }
    if (firstBad) report({ n, key: showKey(keyNames, firstBad.slice(1)), value: showValue(firstBad[0]) }, `value(s) that do not fit numeric(${p},${s}) exactly`);
  }
  return out;
}

/** `MigrateOptions` plus the schema command of existing mode. */
export interface ExistingModeOptions extends MigrateOptions {
  /** Shell command that creates the schema (e.g. `alembic upgrade head`); runs first, with DATABASE_URL and PG* set to the target. */
  schemaCommand?: string;
}

function formatMisfits(from: string, misfits: PlanError[]): string {
  return `migration refused, no row written: ${misfits.length} misfit(s) between ${from} and the existing tables:\n${misfits.map((m) => `  - ${m.message}`).join("\n")}`;
}

/** Existing-mode migration (called by `migrate()` for `schemaMode: "existing"`). */
export async function migrateIntoExisting(options: ExistingModeOptions): Promise<MigrationReport> {
  const t0 = Date.now();
  const log = options.log ?? (() => undefined);
  const progress = options.onProgress ?? (() => undefined);
  const zone = options.sourceTimezone ?? "UTC";
  const schema = options.schema ?? "public";
  const src = openSource(options.from);
  try {
    const timings = { planMs: 0, schemaMs: 0, loadMs: 0, constraintsMs: 0, verifyMs: 0, totalMs: 0 };
    if (options.schemaCommand) {
      await runSchemaCommand(options.schemaCommand, options, log);
      timings.schemaMs = Date.now() - t0;
      progress({ kind: "phase", phase: "schema", ms: timings.schemaMs });
    }
    const client = await connect(options);
    const tables: TableReport[] = [];
    let verified = false;
    let warnings: string[] = [];
    try {
      await client.query("BEGIN");
      await setSession(client, zone);
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`sqlite-to-postgres:${schema}`]);
      let t = Date.now();
      const target = await introspectTarget(client, schema);
      if (!target.size) throw new Error(`existing schema mode: schema "${schema}" has no tables; run the app's migrations first (--schema-command "alembic upgrade head") or use --schema-mode translate`);
      const m = matchExisting(src.db, options, target);
      warnings = m.warnings;
      for (const tp of m.plan.tables) {
        const rows = await client.query(`SELECT EXISTS (SELECT 1 FROM ${qualified(schema, tp.target)}) AS any`);
        if (rows.rows[0].any) m.misfits.push({ table: tp.source, message: `PostgreSQL table "${tp.target}" already has rows; existing mode loads only into empty tables` });
      }
      timings.planMs = Date.now() - t;
      progress({ kind: "phase", phase: "plan", ms: timings.planMs });
      if (m.misfits.length) throw new Error(formatMisfits(options.from, m.misfits));

      t = Date.now();
      const byTarget = new Map(m.plan.tables.map((tp) => [tp.target, tp]));
      const { order, cyclic } = loadOrder([...byTarget.keys()], target);
      await client.query("SET CONSTRAINTS ALL DEFERRED");
      const dropped: { table: string; name: string; definition: string }[] = [];
      for (const name of cyclic) {
        for (const fk of target.get(name)!.foreignKeys) {
          if (fk.deferrable || !cyclic.has(fk.parent) || fk.parent === name) continue;
          await client.query(`ALTER TABLE ${qualified(schema, name)} DROP CONSTRAINT ${quoteIdent(fk.name)}`);
          dropped.push({ table: name, name: fk.name, definition: fk.definition });
        }
      }
      for (const name of order) {
        const tp = byTarget.get(name)!;
        progress({ kind: "table-start", table: tp.source, totalRows: tp.rows });
        const r = await loadTable(src.db, client, tp, { schema, zone, onProgress: (rows) => progress({ kind: "table-progress", table: tp.source, rows, totalRows: tp.rows }) });
        progress({ kind: "table-done", table: tp.source, rows: r.rows, ms: r.ms });
        log(`loaded ${tp.source} → ${schema}.${tp.target}: ${r.rows} rows in ${r.ms} ms`);
        tables.push({ source: tp.source, target: tp.target, rows: r.rows, loadMs: r.ms, warnings: tableWarnings(tp) });
      }
      timings.loadMs = Date.now() - t;
      progress({ kind: "phase", phase: "load", ms: timings.loadMs });

      t = Date.now();
      for (const d of dropped) await client.query(`ALTER TABLE ${qualified(schema, d.table)} ADD CONSTRAINT ${quoteIdent(d.name)} ${d.definition}`);
      await client.query("SET CONSTRAINTS ALL IMMEDIATE");
      // Sequences (serial and identity) continue after the loaded keys.
      for (const name of order) {
        for (const c of target.get(name)!.columns) {
          if (!c.sequence) continue;
          await client.query(`SELECT setval($1::regclass, coalesce(max(${quoteIdent(c.name)})::bigint, 1), max(${quoteIdent(c.name)}) IS NOT NULL) FROM ${qualified(schema, name)}`, [c.sequence]);
        }
      }
      timings.constraintsMs = Date.now() - t;
      progress({ kind: "phase", phase: "constraints", ms: timings.constraintsMs });

      if (options.verify !== false) {
        t = Date.now();
        const v = await verifyPlan(src.db, client, m.plan, zone, (source, ms) => {
          const r = tables.find((x) => x.source === source);
          if (r) r.verifyMs = ms;
        });
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
      throw new Error(/refus|nothing committed|no row written/.test(e.message) ? e.message : `migration failed and was rolled back (no row written): ${e.message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    timings.totalMs = Date.now() - t0;
    return { schema, tables, timings, warnings, verified };
  } finally {
    src.close();
  }
}
