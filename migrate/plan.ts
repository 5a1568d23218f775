/**
 * Builds the whole translation plan as plain data: tables (via
 * `plan-table.ts`), foreign keys with orphan checks, views, triggers and the
 * objects that are skipped, with every warning and every refusal.
 */
import { expressionTranslator, type ExpressionContext } from "./expression";
import { NameAllocator, shortenIdentifier, type IdentifierChange } from "./identifiers";
import { introspect, type SqliteModel, type SqliteTable } from "./introspect";
import { planTable, type TableContext } from "./plan-table";
import type { ForeignKeyPlan, Plan, PlanError, TablePlan, ViewPlan } from "./plan-types";
import { quoteSqliteIdent } from "./quote";
import type { SqliteDb } from "./sqlite-source";
import { showKey, type AggregateRunner } from "./column-scan";
import { existingModeOrphanFix, overrideCatalog, valueProblems } from "./existing-schema";
import { assertTimeZone } from "./value-formats";
import { detectFramework, frameworkAdvice, FRAMEWORK_HISTORY_TABLES } from "./framework-history";
import type { MappingOptions } from "./types";

const FTS_MODULES = ["fts3", "fts4", "fts5"];

/** Type class for FK compatibility: PostgreSQL needs comparable key types. */
function keyClass(pgType: string): string {
  if (/^(varchar|text)/.test(pgType)) return "text";
  if (/^numeric/.test(pgType)) return "numeric";
  return pgType;
}


/** Internal planning inputs that are not user options. */
export interface PlanInternals {
  /** Why an override applies when it is not a --type (existing schema mode: the target column's type). */
  overrideReasons?: Record<string, string>;
  /** Look for invalid UTF-8 in text values while planning (the `plan` command). */
  checkUtf8?: boolean;
  /** Runs the value scan's aggregate queries, e.g. split by rowid range over worker threads (default: one query). */
  runAggregate?: AggregateRunner;
  /**
   * A tentative plan (`runAggregate` scans a sample; the full plan follows and decides): foreign
   * keys are planned without counting orphan rows, which reads every child row (1M rows: 0.33 s
   * before the load could start). An orphan then fails the FK's validation or the full plan refuses it.
   */
  tentative?: boolean;
}

export function planFromDatabase(db: SqliteDb, from: string, options: MappingOptions = {}, internals: PlanInternals = {}): Plan {
  const schema = options.schema ?? "public";
  const zone = options.sourceTimezone ?? "UTC";
  assertTimeZone(zone);
  const fold = options.foldIdentifiers ?? false;
  const model: SqliteModel = introspect(db);
  const changes: IdentifierChange[] = [];
  const errors: PlanError[] = [];
  const warnings: string[] = [];
  const relations = new NameAllocator(fold, changes, "table", schema);
  const translator = expressionTranslator();
  if (!translator.available) warnings.push("SQL expression translator not available: CHECKs, expression/partial indexes, generated columns and views that need translation are reported, not created");

  const skipped: Plan["skipped"] = [
    ...model.internalTables.map((name) => ({ name, kind: "internal" as const, reason: name === "sqlite_sequence" ? "SQLite bookkeeping; its values restart the identity columns" : "SQLite internal table" })),
    ...model.shadowTables.map((name) => ({ name, kind: "shadow" as const, reason: "shadow table of a virtual table; its content is migrated through the virtual table" })),
  ];
  const tables: SqliteTable[] = [];
  for (const t of model.tables) {
    if (t.kind === "virtual") {
      const module = t.virtual?.module ?? "";
      const contentless = t.virtual?.args.some((a) => /^content\s*=\s*(''|"")\s*$/i.test(a));
      if (!FTS_MODULES.includes(module)) { skipped.push({ name: t.name, kind: "virtual", reason: `virtual table (module ${module || "?"}) has no PostgreSQL equivalent; not migrated` }); warnings.push(`virtual table ${t.name} (${module}) not migrated`); continue; }
      if (contentless) { skipped.push({ name: t.name, kind: "virtual", reason: `contentless ${module} table stores no values to migrate; rebuild it from its source` }); warnings.push(`contentless FTS table ${t.name} not migrated`); continue; }
    }
    tables.push(t);
  }
  const skipSet = new Set((options.schemaMode === "existing" ? options.skipTables ?? FRAMEWORK_HISTORY_TABLES : []).map((s) => s.toLowerCase()));
  const planned = tables.filter((t) => !skipSet.has(t.name.toLowerCase()));
  const tableTargets: Record<string, string> = {};
  for (const t of planned) tableTargets[t.name] = relations.allocate(t.name, "table");

  const referenced = new Map<string, Set<string>>();
  const byLower = new Map(planned.map((t) => [t.name.toLowerCase(), t]));
  for (const t of planned) for (const fk of t.foreignKeys) {
    const parent = byLower.get(fk.parent.toLowerCase());
    if (!parent) continue;
    const set = referenced.get(parent.name.toLowerCase()) ?? new Set<string>();
    fk.to.forEach((c, i) => set.add(c ?? parent.primaryKey[i] ?? ""));
    referenced.set(parent.name.toLowerCase(), set);
  }

  const cx: TableContext = { db, fold, zone, overrides: options.typeOverrides ?? {}, overrideReasons: internals.overrideReasons, existingMode: options.schemaMode === "existing", checkUtf8: internals.checkUtf8, runAggregate: internals.runAggregate, translator, relations, changes, errors, referenced, sequences: model.sequences, tableTargets, schema };
  for (const key of Object.keys(cx.overrides)) {
    const [tn, ...rest] = key.split(".");
    const t = planned.find((x) => x.name === tn) ?? planned.find((x) => key.startsWith(`${x.name}.`));
    const cn = t ? key.slice(t.name.length + 1) : rest.join(".");
    if (!t || !t.columns.some((c) => c.name === cn)) errors.push({ table: tn, column: cn, message: `--type ${key}=${cx.overrides[key]}: no such table.column in the SQLite file`, fix: "check the spelling (names are case-sensitive)" });
  }
  const tablePlans: TablePlan[] = planned.map((t) => planTable(t, cx));
  const planOf = new Map(tablePlans.map((p) => [p.source, p]));

  // Foreign keys, after every table's column types are known.
  for (const t of planned) {
    const tp = planOf.get(t.name)!;
    const fkNames = new NameAllocator(fold, changes, "constraint", t.name);
    for (const fk of t.foreignKeys) {
      const parent = byLower.get(fk.parent.toLowerCase());
      const pp = parent ? planOf.get(parent.name) : undefined;
      const fromCols = fk.from.map((c) => tp.columns.find((x) => x.source === c) ?? tp.columns.find((x) => x.source.toLowerCase() === c.toLowerCase()));
      const name = fkNames.allocate(`${tp.target}_${fk.from.join("_")}_fkey`);
      const base = { name, columns: fromCols.map((c) => c?.target ?? "?"), sourceParent: fk.parent, sourceColumns: fk.from, onDelete: fk.onDelete, onUpdate: fk.onUpdate, deferrable: fk.deferred };
      const skip = (reason: string): ForeignKeyPlan => {
        tp.warnings.push(`foreign key (${fk.from.join(", ")}) → ${fk.parent} skipped: ${reason}`);
        return { ...base, parentTable: pp?.target ?? fk.parent, parentColumns: [], action: "skip", reason };
      };
      if (!parent || !pp) { tp.foreignKeys.push(skip(`parent table ${fk.parent} does not exist or is not migrated`)); continue; }
      const parentCols = fk.to.map((c, i) => c ?? parent.primaryKey[i]);
      if (parentCols.some((c) => c === undefined) || parentCols.length !== fk.from.length) { tp.foreignKeys.push(skip(`parent ${fk.parent} has no primary key matching the referenced columns`)); continue; }
      const pcs = parentCols.map((c) => pp.columns.find((x) => x.source === c) ?? pp.columns.find((x) => x.source.toLowerCase() === c!.toLowerCase()));
      if (pcs.some((c) => !c) || fromCols.some((c) => !c)) { tp.foreignKeys.push(skip("referenced column not found")); continue; }
      const pset = pcs.map((c) => c!.target).join("\u0000");
      const unique = pp.primaryKey?.columns.join("\u0000") === pset || pp.uniques.some((u) => u.columns.join("\u0000") === pset) || pp.indexes.some((i) => i.unique && i.action === "create" && !i.where && i.keys === pcs.map((c) => `"${c!.target.replace(/"/g, '""')}"`).join(", "));
      if (!unique) { tp.foreignKeys.push(skip(`referenced columns ${parentCols.join(", ")} of ${fk.parent} are not a primary key or unique`)); continue; }
      const mismatch = fromCols.findIndex((c, i) => keyClass(c!.pgType) !== keyClass(pcs[i]!.pgType));
      if (mismatch >= 0) { tp.foreignKeys.push(skip(`column ${fk.from[mismatch]} is ${fromCols[mismatch]!.pgType} but ${fk.parent}.${parentCols[mismatch]} is ${pcs[mismatch]!.pgType}; use --type to align them`)); continue; }
      // Orphan rows: children whose key is fully non-NULL and has no parent.
      const qc = quoteSqliteIdent(t.name);
      const qp = quoteSqliteIdent(parent.name);
      const cond = fk.from.map((c) => `c.${quoteSqliteIdent(c)} IS NOT NULL`).join(" AND ");
      const join = fk.from.map((c, i) => `p.${quoteSqliteIdent(parentCols[i]!)} = c.${quoteSqliteIdent(c)}`).join(" AND ");
      const orphanSql = `FROM main.${qc} AS c WHERE ${cond} AND NOT EXISTS (SELECT 1 FROM main.${qp} AS p WHERE ${join})`;
      const orphans = internals.tentative ? 0 : Number(db.prepare(`SELECT count(*) ${orphanSql}`).pluck().get());
      let action: ForeignKeyPlan["action"] = "create";
      let reason = "added after the load";
      if (orphans > 0) {
        const keyExprs = tp.sourceKey.map((e) => `c.${e.replace(/ COLLATE BINARY$/, "")}`);
        const first = db.prepare(`SELECT ${keyExprs.join(", ")}, ${fk.from.map((c) => `c.${quoteSqliteIdent(c)}`).join(", ")} ${orphanSql} LIMIT 1`).raw().get() as unknown[];
        const keyNames = tp.sourceKey.map((e) => e.replace(/ COLLATE BINARY$/, "").replace(/^"|"$/g, "").replace(/""/g, '"'));
        const where = `row ${showKey(keyNames, first.slice(0, keyExprs.length))} has ${showKey(fk.from, first.slice(keyExprs.length))}`;
        if ((options.orphanForeignKeys ?? "refuse") === "not-valid" && options.schemaMode !== "existing") {
          action = "create-not-valid";
          reason = `${orphans} orphan row(s) (first: ${where}); added NOT VALID by --orphan-fks not-valid`;
          tp.warnings.push(`foreign key (${fk.from.join(", ")}) → ${fk.parent}: ${reason}`);
        } else {
          const fix = options.schemaMode === "existing" ? existingModeOrphanFix(t.name) : "--orphan-fks not-valid";
          errors.push({ table: t.name, column: fk.from.join(", "), key: showKey(keyNames, first.slice(0, keyExprs.length)), fix,
            message: `table "${t.name}": ${orphans} row(s) reference missing ${fk.parent} rows via (${fk.from.join(", ")}); first: ${where}; ${options.schemaMode === "existing" ? fix : "fix the rows, or add the foreign key NOT VALID with --orphan-fks not-valid"}` });
          reason = `${orphans} orphan row(s)`;
        }
      }
      tp.foreignKeys.push({ ...base, parentTable: pp.target, parentColumns: pcs.map((c) => c!.target), action, reason });
    }
  }

  const views: ViewPlan[] = [];
  const viewTypes: Record<string, string> = {};
  // Target column names too: a renamed column (shortened, or xmin → xmin_…) must not fall back to its source name.
  const viewColumns: Record<string, string> = {};
  for (const tp of tablePlans) for (const c of tp.columns) { viewTypes[`${tp.source}.${c.source}`] = c.pgType; viewColumns[`${tp.source}.${c.source}`] = c.target; }
  const viewCtx: ExpressionContext = { tables: { ...tableTargets }, schema, columnTypes: viewTypes, columns: viewColumns, renameIdentifier: (n) => shortenIdentifier(fold ? n.toLowerCase() : n) };
  for (const v of model.views) {
    const target = relations.allocate(v.name, "view");
    viewCtx.tables![v.name] = target;
    const r = translator.view(v.sql, viewCtx);
    if (r.ok) views.push({ source: v.name, target, sqlite: v.sql, pg: r.sql, ...(r.columns ? { columns: r.columns.map((c) => shortenIdentifier(fold ? c.toLowerCase() : c)) } : {}), action: "create", reason: r.warning ? `translated (${r.warning})` : "translated" });
    else {
      views.push({ source: v.name, target, sqlite: v.sql, action: "skip", reason: r.reason });
      warnings.push(`view ${v.name} not created: ${r.reason}`);
    }
  }
  const triggers = model.triggers.map((t) => ({ name: t.name, table: t.table, sqlite: t.sql, action: "report" as const, reason: "triggers are not translated; re-create the logic in PostgreSQL (trigger function) or in the application" }));
  if (triggers.length) warnings.push(`${triggers.length} trigger(s) not migrated: ${triggers.map((t) => t.name).join(", ")}`);
  for (const c of changes) if (c.reason !== "folded") warnings.push(`${c.kind} ${c.scope === schema ? "" : `${c.scope}.`}${c.source} → ${c.target} (${c.reason})`);

  if (options.schemaMode !== "existing") {
    const hint = detectFramework(model.tables.map((t) => t.name));
    if (hint) warnings.push(frameworkAdvice(hint));
  }
  const plan: Plan = { source: from, schema, sourceTimezone: zone, foldIdentifiers: fold, tables: tablePlans, views, triggers, skipped, identifiers: changes, warnings, errors };
  // Translate mode: narrowing overrides (real, integer, smallint) whose values PostgreSQL would round or reject.
  // Existing mode runs the same check against the target's actual column types (migrate.ts prepareExisting).
  if (options.schemaMode !== "existing" && Object.keys(cx.overrides).length) errors.push(...valueProblems(db, plan, overrideCatalog(plan, cx.overrides), "translate"));
  return plan;
}
