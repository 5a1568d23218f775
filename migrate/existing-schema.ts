/**
 * `existing` schema mode: the target tables were created by the app's own
 * migrations (e.g. `alembic upgrade head`). Tables and columns are matched
 * by name, every value is checked against the target column's actual type
 * before anything is written, tables load in FK order, sequences are reset.
 */
import type { Client } from "pg";
import type { Plan, PlanError, TablePlan } from "./plan-types";
import { qualified, quoteIdent, quoteLiteral } from "./quote";
import { conversionForPgType } from "./type-mapping";

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

export interface TargetTable {
  name: string;
  columns: TargetColumn[];
  hasRows: boolean;
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
    if (!t) { t = { name: r.table, columns: [], hasRows: false }; out.set(r.table, t); }
    t.columns.push({ name: r.name, type: r.type, notNull: r.not_null, hasDefault: r.has_default, generated: r.generated, sequence: r.seq, ...(r.labels ? { enumLabels: r.labels } : {}) });
  }
  for (const t of out.values()) {
    const r = await client.query(`SELECT EXISTS (SELECT 1 FROM ${qualified(schema, t.name)}) AS x`);
    t.hasRows = r.rows[0].x as boolean;
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
    return { ...t, target: target.name, columns, primaryKey: undefined, uniques: [], checks: [], indexes: [], foreignKeys: [], fts: undefined };
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

/** SQL that sets every identity/serial sequence of the loaded tables past the largest value (and sqlite_sequence). */
export function sequenceResetSql(schema: string, table: string, column: string, floor: bigint): string {
  const seq = `pg_get_serial_sequence(${quoteLiteral(qualified(schema, table))}, ${quoteLiteral(column)})`;
  return `SELECT setval(${seq}, GREATEST(coalesce((SELECT max(${quoteIdent(column)}) FROM ${qualified(schema, table)}), 0), ${floor.toString()}) + 1, false)`;
}
