/**
 * `existing` schema mode: the target tables were created by the app's own
 * migrations (e.g. `alembic upgrade head`). Tables and columns are matched
 * by name, every value is checked against the target column's actual type
 * before anything is written, tables load in FK order, sequences are reset.
 */
import type { Client } from "pg";
import { showKey, showValue } from "./column-scan";
import type { Plan, PlanError, TablePlan } from "./plan-types";
import { qualified, quoteIdent, quoteLiteral, quoteSqliteIdent } from "./quote";
import type { SqliteDb } from "./sqlite-source";
import { conversionForPgType, overrideFlag } from "./type-mapping";

export interface TargetColumn {
  name: string;
  /** `format_type()` of the column, e.g. `character varying(255)`. */
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
  /** Identity or serial: has a sequence to reset. */
  sequence: boolean;
  enumLabels?: string[];
}

export interface TargetForeignKey {
  name: string;
  /** Referenced table (same schema). */
  parent: string;
  /** `pg_get_constraintdef()`, to re-add it after the load. */
  definition: string;
  deferrable: boolean;
}

export interface TargetTable {
  name: string;
  columns: TargetColumn[];
  hasRows: boolean;
  /** Foreign keys to tables of the same schema. */
  foreignKeys: TargetForeignKey[];
}

export async function readTargetCatalog(client: Client, schema: string): Promise<Map<string, TargetTable>> {
  const cols = await client.query(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            a.atthasdef AS has_default, a.attgenerated <> '' AS generated,
            (a.attidentity <> '' OR pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) IS NOT NULL) AS seq,
            CASE WHEN t.typtype = 'e' THEN (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END AS labels
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       JOIN pg_type t ON t.oid = a.atttypid
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname, a.attnum`, [schema]);
  const out = new Map<string, TargetTable>();
  for (const r of cols.rows as { table: string; name: string; type: string; not_null: boolean; has_default: boolean; generated: boolean; seq: boolean; labels: string[] | null }[]) {
    let t = out.get(r.table);
    if (!t) { t = { name: r.table, columns: [], hasRows: false, foreignKeys: [] }; out.set(r.table, t); }
    t.columns.push({ name: r.name, type: r.type, notNull: r.not_null, hasDefault: r.has_default, generated: r.generated, sequence: r.seq, ...(r.labels ? { enumLabels: r.labels } : {}) });
  }
  for (const t of out.values()) {
    const r = await client.query(`SELECT EXISTS (SELECT 1 FROM ${qualified(schema, t.name)}) AS x`);
    t.hasRows = r.rows[0].x as boolean;
  }
  const fks = await client.query(
    `SELECT c.relname AS table, p.relname AS parent, k.conname AS name, pg_get_constraintdef(k.oid) AS definition, k.condeferrable AS deferrable
       FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
      WHERE k.contype = 'f' AND n.nspname = $1 AND pn.nspname = $1 ORDER BY 1, 3`, [schema]);
  for (const r of fks.rows as ({ table: string } & TargetForeignKey)[]) {
    out.get(r.table)?.foreignKeys.push({ name: r.name, parent: r.parent, definition: r.definition, deferrable: r.deferrable });
  }
  return out;
}

/**
 * The non-deferrable foreign keys that no load order can satisfy: those
 * between tables on a cycle of the target's FK graph (self-references are
 * fine: a COPY checks them at its end). They are dropped for the load and
 * re-added (validated) in the same transaction.
 */
export function cycleForeignKeys(catalog: Map<string, TargetTable>, loaded: string[]): { table: string; fk: TargetForeignKey }[] {
  const pending = new Set(loaded);
  const parents = (n: string) => (catalog.get(n)?.foreignKeys ?? []).map((f) => f.parent).filter((p) => p !== n);
  for (;;) {
    const ready = [...pending].filter((n) => parents(n).every((p) => !pending.has(p)));
    if (!ready.length) break;
    for (const n of ready) pending.delete(n);
  }
  const out: { table: string; fk: TargetForeignKey }[] = [];
  for (const n of [...pending].sort()) {
    for (const fk of catalog.get(n)!.foreignKeys) if (!fk.deferrable && fk.parent !== n && pending.has(fk.parent)) out.push({ table: n, fk });
  }
  return out;
}

const INT_RANGES: Record<string, [bigint, bigint]> = { smallint: [-32768n, 32767n], integer: [-2147483648n, 2147483647n] };

/** `--skip-table NAME`, quoted for a shell when needed. */
function skipTableFlag(table: string): string {
  return /^[A-Za-z0-9_.]+$/.test(table) ? `--skip-table ${table}` : `--skip-table '${table.replace(/'/g, "'\\''")}'`;
}

/**
 * The fix of a refused value in existing schema mode, where `--type` and
 * `--orphan-fks` do not apply: the target's own column types decide.
 */
export function existingModeFix(table: string, suggest?: string): string {
  return `change the target column's type${suggest ? ` (to ${suggest})` : ""} in the app's migrations, fix the row(s) in the SQLite file, or leave the table out with ${skipTableFlag(table)}`;
}

/** The fix of orphan FK rows in existing schema mode (the target's own foreign keys are kept). */
export function existingModeOrphanFix(table: string): string {
  return `fix or delete those rows in the SQLite file, drop the foreign key in the app's migrations, or leave the table out with ${skipTableFlag(table)}`;
}

/** `format_type()` spelling of the override names valueProblems checks (`int4` → `integer`, `float4` → `real`). */
function canonicalType(pgType: string): string {
  const t = pgType.trim().toLowerCase().replace(/\s+/g, " ");
  return ({ int4: "integer", int: "integer", int2: "smallint", float4: "real" } as Record<string, string>)[t] ?? t;
}

/**
 * Translate mode: the `--type` overrides as a target catalog, so
 * `valueProblems` refuses narrowing overrides (`real`, `integer`,
 * `smallint`) whose values PostgreSQL would round or reject.
 */
export function overrideCatalog(plan: Plan, overrides: Record<string, string>): Map<string, TargetTable> {
  const out = new Map<string, TargetTable>();
  for (const t of plan.tables) {
    const columns: TargetColumn[] = [];
    for (const c of t.columns) {
      const o = overrides[`${t.source}.${c.source}`];
      if (o && !c.fromRowid) columns.push({ name: c.target, type: canonicalType(o), notNull: false, hasDefault: false, generated: false, sequence: false });
    }
    if (columns.length) out.set(t.target, { name: t.target, columns, hasRows: false, foreignKeys: [] });
  }
  return out;
}

/**
 * Values the type overrides cannot see, checked in SQLite before loading:
 * NULLs for NOT NULL columns, integers outside smallint/integer, and doubles
 * a 4-byte `real` would round (PostgreSQL would store them silently changed).
 * `mode` picks the fix: the app's migrations (existing) or a `--type` override (translate).
 */
export function valueProblems(db: SqliteDb, plan: Plan, catalog: Map<string, TargetTable>, mode: "existing" | "translate" = "existing"): PlanError[] {
  const out: PlanError[] = [];
  for (const t of plan.tables) {
    const target = find(catalog.values(), t.target);
    if (!target) continue;
    const qt = `main.${quoteSqliteIdent(t.source)}`;
    const keyExprs = t.sourceKey.map((e) => e.replace(/ COLLATE BINARY$/, ""));
    const keyNames = keyExprs.map((e) => e.replace(/^"|"$/g, "").replace(/""/g, '"'));
    for (const c of t.columns) {
      if (c.fromRowid) continue;
      const tc = find(target.columns, c.target);
      if (!tc || tc.generated) continue;
      const q = quoteSqliteIdent(c.source);
      const report = (n: number, row: unknown[], what: string, fix: string) =>
        out.push({ table: t.source, column: c.source, key: showKey(keyNames, row.slice(1)), value: showValue(row[0]),
          message: `table "${t.source}" column "${c.source}": ${n} ${what} for ${target.name}.${tc.name} ${tc.type}; first at row ${showKey(keyNames, row.slice(1))} value ${showValue(row[0])}; ${fix}`, fix });
      const widen = (pgType: string, existingFix: string) => (mode === "translate" ? `map the column with ${overrideFlag(t.source, c.source, pgType)}` : `${existingFix}, fix the row(s) in the SQLite file, or leave the table out with ${skipTableFlag(t.source)}`);
      const first = (cond: string, what: string, fix: string) => {
        const n = Number(db.prepare(`SELECT count(*) FROM ${qt} WHERE ${cond}`).pluck().get());
        if (n) report(n, db.prepare(`SELECT ${q}, ${keyExprs.join(", ")} FROM ${qt} WHERE ${cond} LIMIT 1`).raw().get() as unknown[], what, fix);
      };
      if (tc.notNull && !tc.hasDefault) first(`${q} IS NULL`, "NULL value(s)", "fix the rows, or make the column nullable in the app's migrations");
      else if (tc.notNull) first(`${q} IS NULL`, "NULL value(s) (a NOT NULL column; its default applies only when the column is left out)", "fix the rows, or make the column nullable in the app's migrations");
      const range = INT_RANGES[tc.type];
      if (range) first(`typeof(${q}) = 'integer' AND (${q} < ${range[0]} OR ${q} > ${range[1]})`, "integer(s) out of range", widen("bigint", "widen the column (bigint) in the app's migrations"));
      // Numbers go to text columns as their decimal text: PostgreSQL's COPY would reject one longer than varchar(n)/char(n).
      const len = /^(?:character varying|varchar|character|char|bpchar)\s*\(\s*(\d+)\s*\)$/i.exec(tc.type);
      if (len) {
        const max = Number(len[1]);
        let n = 0;
        let bad: unknown[] | undefined;
        // Integers as SQLite prints them (exact beyond 2^53), reals as the encoder does (String()).
        for (const r of db.prepare(`SELECT ${q}, ${keyExprs.join(", ")}, CASE WHEN typeof(${q}) = 'integer' THEN CAST(${q} AS TEXT) ELSE ${q} END FROM ${qt} WHERE typeof(${q}) IN ('real', 'integer')`).raw().iterate() as IterableIterator<unknown[]>) {
          if (String(r[r.length - 1]).length > max) { n++; bad ??= r.slice(0, -1); }
        }
        if (bad) report(n, bad, `number(s) whose text is longer than ${max} characters`, widen("text", `widen the column (text, or a longer ${tc.type.replace(/\(.*$/, "")}) in the app's migrations`));
      }
      if (tc.type === "real") {
        let n = 0;
        let bad: unknown[] | undefined;
        for (const r of db.prepare(`SELECT ${q}, ${keyExprs.join(", ")} FROM ${qt} WHERE typeof(${q}) IN ('real', 'integer')`).raw().iterate() as IterableIterator<unknown[]>) {
          const v = Number(r[0]);
          if (Math.fround(v) !== v) { n++; bad ??= r; }
        }
        if (bad) report(n, bad, "value(s) that a 4-byte real would round", widen("double precision", "make the column double precision in the app's migrations"));
      }
    }
  }
  return out;
}

function find<T extends { name: string }>(items: Iterable<T>, name: string): T | undefined {
  const list = [...items];
  return list.find((x) => x.name === name) ?? list.find((x) => x.name.toLowerCase() === name.toLowerCase());
}

/**
 * Type overrides that make the planner check every value against the target
 * columns' actual types (the plan is then rebuilt with them), plus the
 * structural problems (missing tables/columns, NOT NULL columns the source
 * cannot fill).
 */
export function existingOverrides(plan: Plan, catalog: Map<string, TargetTable>, userOverrides: Record<string, string>): { overrides: Record<string, string>; reasons: Record<string, string>; problems: PlanError[] } {
  const overrides: Record<string, string> = {};
  const reasons: Record<string, string> = {};
  const problems: PlanError[] = [];
  for (const t of plan.tables) {
    const target = find(catalog.values(), t.target);
    if (!target) { problems.push({ table: t.source, message: `table "${t.source}": no table "${t.target}" in target schema "${plan.schema}" (the schema command did not create it)`, fix: "create it with the schema command, or use --schema-mode translate" }); continue; }
    for (const c of t.columns) {
      if (c.fromRowid) continue;
      const tc = find(target.columns, c.target);
      if (!tc) { problems.push({ table: t.source, column: c.source, message: `table "${t.source}" column "${c.source}": no column of that name in ${plan.schema}.${target.name}; its values would be lost`, fix: "add the column in the app's migrations" }); continue; }
      const key = `${t.source}.${c.source}`;
      if (userOverrides[key]) continue;
      const conv = conversionForPgType(tc.type);
      overrides[key] = tc.enumLabels || !conv ? "text" : tc.type;
      reasons[key] = `existing column ${target.name}.${tc.name} is ${tc.type}${tc.enumLabels ? " (enum)" : ""}`;
      if (!conv && !tc.enumLabels) problems.push({ table: t.source, column: c.source, message: `table "${t.source}" column "${c.source}": target type ${tc.type} is not one the engine converts to; values are sent as text`, fix: overrideFlagHint(t.source, c.source) });
    }
    for (const tc of target.columns) {
      const fed = t.columns.some((c) => !c.fromRowid && (c.target === tc.name || c.target.toLowerCase() === tc.name.toLowerCase()));
      if (!fed && tc.notNull && !tc.hasDefault && !tc.generated) problems.push({ table: t.source, column: tc.name, message: `table "${t.source}": target column ${target.name}.${tc.name} is NOT NULL without a default and the SQLite table has no such column`, fix: "give it a default in the app's migrations" });
    }
  }
  return { overrides, reasons, problems: problems.filter((p) => !/values are sent as text/.test(p.message)) };
}

/**
 * Target columns of a type the engine has no conversion for (macaddr, ranges, domains, …) get the
 * SQLite value's text. PostgreSQL's own parser judges every distinct value before any row is written
 * (`pg_input_is_valid`), and its output text must be the value itself, else the app would read back
 * something else (and verification would refuse it after the load).
 */
export async function serverTypeProblems(db: SqliteDb, client: Client, plan: Plan, catalog: Map<string, TargetTable>): Promise<PlanError[]> {
  const out: PlanError[] = [];
  for (const t of plan.tables) {
    const target = find(catalog.values(), t.target);
    if (!target) continue;
    const keyExprs = t.sourceKey.map((e) => e.replace(/ COLLATE BINARY$/, ""));
    const keyNames = keyExprs.map((e) => e.replace(/^"|"$/g, "").replace(/""/g, '"'));
    for (const c of t.columns) {
      const tc = c.fromRowid ? undefined : find(target.columns, c.target);
      if (!tc || tc.generated || tc.enumLabels || conversionForPgType(tc.type)) continue;
      const q = quoteSqliteIdent(c.source);
      const firstKey = new Map<string, unknown[]>();
      const stmt = db.prepare(`SELECT ${q}, ${keyExprs.join(", ")} FROM main.${quoteSqliteIdent(t.source)} WHERE ${q} IS NOT NULL`).raw().safeIntegers(true);
      for (const r of stmt.iterate() as IterableIterator<unknown[]>) {
        // The text the loader sends (copy-encode.ts asText): strings as they are, blobs as UTF-8, numbers printed.
        const v = typeof r[0] === "string" ? r[0] : Buffer.isBuffer(r[0]) ? r[0].toString("utf8") : String(r[0]);
        if (!firstKey.has(v)) firstKey.set(v, r.slice(1));
      }
      const values = [...firstKey.keys()];
      let invalid: { n: number; v?: string } = { n: 0 };
      let changed: { n: number; v?: string; back?: string } = { n: 0 };
      for (let i = 0; i < values.length; i += 1000) {
        const batch = values.slice(i, i + 1000);
        await client.query("SAVEPOINT s2p_types");
        try {
          // The cast runs only on rows the WHERE let through (valid input).
          const r = await client.query({ text: `SELECT u.v, u.v::${tc.type}::text AS back FROM unnest($1::text[]) AS u(v) WHERE pg_input_is_valid(u.v, $2)`, values: [batch, tc.type] });
          const valid = new Map((r.rows as { v: string; back: string }[]).map((x) => [x.v, x.back]));
          for (const v of batch) {
            const back = valid.get(v);
            if (back === undefined) { invalid = { n: invalid.n + 1, v: invalid.v ?? v }; continue; }
            if (back !== v) changed = changed.n ? { ...changed, n: changed.n + 1 } : { n: 1, v, back };
          }
          await client.query("RELEASE SAVEPOINT s2p_types");
        } catch (err) {
          await client.query("ROLLBACK TO SAVEPOINT s2p_types");
          out.push({ table: t.source, column: c.source, message: `table "${t.source}" column "${c.source}": the values cannot be checked against ${target.name}.${tc.name} ${tc.type} (${(err as Error).message}); ${existingModeFix(t.source)}`, fix: existingModeFix(t.source) });
          break;
        }
      }
      const at = (v: string) => `row ${showKey(keyNames, firstKey.get(v)!)} value ${showValue(v)}`;
      if (invalid.n) out.push({ table: t.source, column: c.source, key: showKey(keyNames, firstKey.get(invalid.v!)!), value: showValue(invalid.v), fix: existingModeFix(t.source),
        message: `table "${t.source}" column "${c.source}": ${invalid.n} distinct value(s) that PostgreSQL does not accept as ${tc.type} (${target.name}.${tc.name}); first at ${at(invalid.v!)}; ${existingModeFix(t.source)}` });
      if (changed.n) out.push({ table: t.source, column: c.source, key: showKey(keyNames, firstKey.get(changed.v!)!), value: showValue(changed.v), fix: existingModeFix(t.source),
        message: `table "${t.source}" column "${c.source}": ${changed.n} distinct value(s) that ${tc.type} (${target.name}.${tc.name}) would store as different text, so the app would read back another value; first at ${at(changed.v!)}, read back as ${showValue(changed.back)}; store them in that form in the SQLite file, or ${existingModeFix(t.source)}` });
    }
  }
  return out;
}

function overrideFlagHint(table: string, column: string): string {
  return `--type ${table}.${column}=text`;
}

/** Re-points the plan's names at the existing tables/columns; target generated columns are not copied. */
export function alignPlan(plan: Plan, catalog: Map<string, TargetTable>): Plan {
  const tables: TablePlan[] = plan.tables.map((t) => {
    const target = find(catalog.values(), t.target)!;
    const columns = t.columns.filter((c) => !c.fromRowid).map((c) => {
      const tc = find(target.columns, c.target)!;
      const col = { ...c, target: tc.name, identity: undefined, default: undefined };
      if (tc.generated) col.generated = { sqlite: c.generated?.sqlite ?? "", pg: "(generated by the existing table)" };
      else delete col.generated;
      return col;
    });
    // The source's key, under the target's column names: verification reads both sides in its order
    // (no DDL is rendered from an aligned plan).
    const kept = t.columns.filter((c) => !c.fromRowid);
    const renamed = new Map(kept.map((c, i) => [c.target, columns[i].target]));
    const keyCols = t.primaryKey?.columns.map((n) => renamed.get(n));
    const primaryKey = t.primaryKey && keyCols?.every((n) => n !== undefined) ? { name: t.primaryKey.name, columns: keyCols as string[] } : undefined;
    return { ...t, target: target.name, columns, primaryKey, uniques: [], checks: [], indexes: [], foreignKeys: [], fts: undefined };
  });
  return { ...plan, tables, views: [] };
}

/** Values of enum columns that are not labels of the enum, checked in SQLite before loading. */
export function enumProblems(plan: Plan, catalog: Map<string, TargetTable>, firstBadLabel: (table: string, column: string, labels: string[]) => { key: string; value: string } | undefined): PlanError[] {
  const out: PlanError[] = [];
  for (const t of plan.tables) {
    const target = catalog.get(t.target);
    if (!target) continue;
    for (const c of t.columns) {
      const tc = target.columns.find((x) => x.name === c.target);
      if (!tc?.enumLabels) continue;
      const bad = firstBadLabel(t.source, c.source, tc.enumLabels);
      if (bad) out.push({ table: t.source, column: c.source, key: bad.key, value: bad.value, message: `table "${t.source}" column "${c.source}": row ${bad.key} value ${bad.value} is not a label of enum ${tc.type} (${tc.enumLabels.join(", ")})`, fix: "fix the row, or add the label in the app's migrations" });
    }
  }
  return out;
}

/** Source table names, parents before children, so each COPY's FK checks pass. Cycles keep plan order. */
export function fkOrder(plan: Plan): string[] {
  const bySource = new Map(plan.tables.map((t) => [t.source.toLowerCase(), t]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: string[] = [];
  const visit = (t: TablePlan) => {
    if (done.has(t.source) || visiting.has(t.source)) return;
    visiting.add(t.source);
    for (const fk of t.foreignKeys) {
      const parent = bySource.get(fk.sourceParent.toLowerCase());
      if (parent && parent !== t) visit(parent);
    }
    visiting.delete(t.source);
    done.add(t.source);
    out.push(t.source);
  };
  for (const t of plan.tables) visit(t);
  return out;
}

/**
 * What `--replace` empties: the loaded tables plus every table that references one of them, directly or
 * through others (PostgreSQL refuses to TRUNCATE a referenced table without them). `blocked`: the
 * referencing tables that are not loaded and hold rows, which emptying would lose.
 */
export function emptiedByReplace(catalog: Map<string, TargetTable>, loaded: string[]): { tables: string[]; blocked: string[] } {
  const set = new Set(loaded);
  for (let grew = true; grew;) {
    grew = false;
    for (const t of catalog.values()) {
      if (!set.has(t.name) && t.foreignKeys.some((fk) => set.has(fk.parent))) { set.add(t.name); grew = true; }
    }
  }
  const tables = [...loaded, ...[...set].filter((n) => !loaded.includes(n)).sort()];
  return { tables, blocked: tables.filter((n) => !loaded.includes(n) && catalog.get(n)?.hasRows) };
}

/** The SQLite tables of `names` (skipped, so not in the plan), as the file spells them. */
export function skippedSources(db: SqliteDb, names: string[]): string[] {
  const want = new Set(names.map((n) => n.toLowerCase()));
  return (db.prepare(`SELECT name FROM main.sqlite_schema WHERE type = 'table'`).pluck().all() as string[]).filter((n) => want.has(n.toLowerCase()));
}

/** Drops, or re-adds (validating it), one foreign key of an existing table. */
export function foreignKeySql(action: "drop" | "add", schema: string, table: string, fk: TargetForeignKey): string {
  const alter = `ALTER TABLE ${qualified(schema, table)}`;
  return action === "drop" ? `${alter} DROP CONSTRAINT ${quoteIdent(fk.name)}` : `${alter} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}`;
}

/** SQL that sets every identity/serial sequence of the loaded tables past the largest value (and sqlite_sequence). */
export function sequenceResetSql(schema: string, table: string, column: string, floor: bigint): string {
  const seq = `pg_get_serial_sequence(${quoteLiteral(qualified(schema, table))}, ${quoteLiteral(column)})`;
  return `SELECT setval(${seq}, GREATEST(coalesce((SELECT max(${quoteIdent(column)}) FROM ${qualified(schema, table)}), 0), ${floor.toString()}) + 1, false)`;
}
