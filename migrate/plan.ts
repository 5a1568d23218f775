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
import { overrideFlag, shellFlag } from "./type-mapping";
import { detectFramework, frameworkAdvice, FRAMEWORK_HISTORY_TABLES } from "./framework-history";
import type { MappingOptions } from "./types";

const FTS_MODULES = ["fts3", "fts4", "fts5"];

/** How `--skip-fk` names a foreign key: the referencing table and its columns, `orders.user_id` or `line.a,b`. */
export function foreignKeyArg(table: string, columns: string[]): string {
  return `${table}.${columns.join(",")}`;
}

/** Tables in an order where each comes after the tables its foreign keys reference (cycles: in name order). */
function parentsFirst(tables: SqliteTable[], byLower: Map<string, SqliteTable>): SqliteTable[] {
  const order: SqliteTable[] = [];
  const seen = new Set<SqliteTable>();
  const visit = (t: SqliteTable) => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const fk of t.foreignKeys) {
      const p = byLower.get(fk.parent.toLowerCase());
      if (p && p !== t) visit(p);
    }
    order.push(t);
  };
  tables.forEach(visit);
  return order;
}

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

  const cx: TableContext = { db, fold, zone, overrides: options.typeOverrides ?? {}, overrideReasons: internals.overrideReasons, existingMode: options.schemaMode === "existing", checkUtf8: internals.checkUtf8, runAggregate: internals.runAggregate, translator, relations, changes, errors, referenced, sequences: model.sequences, tableTargets, schema, skipIndexes: new Set(options.skipIndexes ?? []), collations: new Map() };
  for (const key of Object.keys(cx.overrides)) {
    const [tn, ...rest] = key.split(".");
    const t = planned.find((x) => x.name === tn) ?? planned.find((x) => key.startsWith(`${x.name}.`));
    const cn = t ? key.slice(t.name.length + 1) : rest.join(".");
    if (!t || !t.columns.some((c) => c.name === cn)) errors.push({ table: tn, column: cn, message: `--type ${key}=${cx.overrides[key]}: no such table.column in the SQLite file`, fix: "check the spelling (names are case-sensitive)" });
  }
  const existingMode = options.schemaMode === "existing";
  for (const [flag, list, known] of [
    ["--skip-fk", options.skipForeignKeys ?? [], new Set(planned.flatMap((t) => t.foreignKeys.map((fk) => foreignKeyArg(t.name, fk.from))))],
    ["--skip-index", options.skipIndexes ?? [], new Set(planned.flatMap((t) => t.indexes.map((ix) => ix.name)))],
  ] as const) {
    for (const item of list) if (!known.has(item)) errors.push({ table: item.split(".")[0], message: `${flag} ${item}: no such ${flag === "--skip-fk" ? "foreign key (TABLE.COLUMN[,COLUMN...] of the referencing table)" : "index"} in the SQLite file`, fix: "check the spelling (names are case-sensitive)" });
  }

  // Parents first: a column tied to another by a foreign key takes its type (issue 16), so the parent's
  // type must be known when the child is planned. Plans, refusals and renamed identifiers keep table order.
  const planOf = new Map<string, TablePlan>();
  const tableErrors = new Map<string, PlanError[]>();
  const tableChanges = new Map<string, IdentifierChange[]>();
  /** "table.column" → the column at the root of its chain of foreign keys, whose --type moves them all. */
  const rootOf = new Map<string, { table: string; column: string }>();
  const findColumn = (tp: TablePlan, name: string) => tp.columns.find((x) => x.source === name) ?? tp.columns.find((x) => x.source.toLowerCase() === name.toLowerCase());
  const planOnce = (t: SqliteTable, tie: { overrides: Record<string, string>; reasons: Record<string, string>; ties: Record<string, { table: string; column: string }> }) => {
    const errs: PlanError[] = [];
    const mark = changes.length;
    const restore = relations.snapshot();
    const tp = planTable(t, { ...cx, errors: errs, overrides: { ...cx.overrides, ...tie.overrides }, overrideReasons: { ...(cx.overrideReasons ?? {}), ...tie.reasons }, ties: tie.ties });
    return { tp, errs, mark, undo: () => { restore(); changes.length = mark; } };
  };
  for (const t of parentsFirst(planned, byLower)) {
    let r = planOnce(t, { overrides: {}, reasons: {}, ties: {} });
    const tie = { overrides: {} as Record<string, string>, reasons: {} as Record<string, string>, ties: {} as Record<string, { table: string; column: string }> };
    if (!existingMode) {
      for (const fk of t.foreignKeys) {
        const parent = byLower.get(fk.parent.toLowerCase());
        const pp = parent && parent !== t ? planOf.get(parent.name) : undefined;
        if (!parent || !pp) continue; // missing parent, a cycle or a self-reference: judged with the foreign key below
        fk.from.forEach((from, i) => {
          const to = fk.to[i] ?? parent.primaryKey[i];
          const pc = to === undefined ? undefined : findColumn(pp, to);
          const cc = findColumn(r.tp, from);
          if (!pc || !cc) return;
          const key = `${t.name}.${cc.source}`;
          // A --type of the user's own on the referencing column stays: a conflict is refused with the foreign key.
          if (cx.overrides[key] !== undefined || tie.overrides[key] !== undefined) return;
          if (pc.pgType === cc.pgType && pc.conversion === cc.conversion) return;
          tie.overrides[key] = pc.pgType;
          tie.ties[cc.source] = rootOf.get(`${parent.name}.${pc.source}`) ?? { table: parent.name, column: pc.source };
          tie.reasons[key] = `${cc.declaredType ? `declared ${cc.declaredType}` : "no declared type"}; follows ${parent.name}.${pc.source} (${pc.pgType}) through the foreign key (${fk.from.join(", ")}): columns tied by a foreign key get the same type, whatever their values (on its own: ${cc.pgType})`;
        });
      }
      if (Object.keys(tie.overrides).length) {
        r.undo();
        r = planOnce(t, tie);
      }
    }
    for (const [column, root] of Object.entries(tie.ties)) rootOf.set(`${t.name}.${column}`, root);
    planOf.set(t.name, r.tp);
    tableErrors.set(t.name, r.errs);
    tableChanges.set(t.name, changes.splice(r.mark));
  }
  const tablePlans: TablePlan[] = planned.map((t) => planOf.get(t.name)!);
  for (const t of planned) {
    errors.push(...tableErrors.get(t.name)!);
    changes.push(...tableChanges.get(t.name)!);
  }

  // Foreign keys, after every table's column types are known.
  const requestedFkSkips = new Set(options.skipForeignKeys ?? []);
  for (const t of planned) {
    const tp = planOf.get(t.name)!;
    const fkNames = new NameAllocator(fold, changes, "constraint", t.name);
    for (const fk of t.foreignKeys) {
      const parent = byLower.get(fk.parent.toLowerCase());
      const pp = parent ? planOf.get(parent.name) : undefined;
      const fromCols = fk.from.map((c) => tp.columns.find((x) => x.source === c) ?? tp.columns.find((x) => x.source.toLowerCase() === c.toLowerCase()));
      const name = fkNames.allocate(`${tp.target}_${fk.from.join("_")}_fkey`);
      const base = { name, columns: fromCols.map((c) => c?.target ?? "?"), sourceParent: fk.parent, sourceColumns: fk.from, onDelete: fk.onDelete, onUpdate: fk.onUpdate, deferrable: fk.deferred };
      const arg = foreignKeyArg(t.name, fk.from);
      const skipFlag = shellFlag("--skip-fk", arg);
      // Never dropped while the run says success (issue 16): created, or refused with the fix. Dropping one
      // takes --skip-fk, and says so. Existing mode loads into the target's own keys, so there it is only reported.
      const skip = (reason: string, fixes: string[] = []): ForeignKeyPlan => {
        const skipped: ForeignKeyPlan = { ...base, parentTable: pp?.target ?? fk.parent, parentColumns: [], action: "skip", reason };
        if (existingMode) {
          tp.warnings.push(`foreign key (${fk.from.join(", ")}) → ${fk.parent} skipped: ${reason}`);
        } else if (requestedFkSkips.has(arg)) {
          tp.warnings.push(`foreign key (${fk.from.join(", ")}) → ${fk.parent} not created, as asked by ${skipFlag}: ${reason}`);
          skipped.reason = `${skipFlag}: ${reason}`;
        } else {
          const fix = [...fixes, skipFlag].join(", or ");
          errors.push({ table: t.name, column: fk.from.join(", "), fix,
            message: `table "${t.name}": foreign key (${fk.from.join(", ")}) → ${fk.parent} cannot be created: ${reason}; a foreign key is never dropped silently: ${fixes.length ? `${fixes.join(", or ")}, or ` : ""}drop it knowingly with ${skipFlag}` });
        }
        return skipped;
      };
      if (!existingMode && requestedFkSkips.has(arg)) {
        tp.warnings.push(`foreign key (${fk.from.join(", ")}) → ${fk.parent} not created, as asked by ${skipFlag}`);
        tp.foreignKeys.push({ ...base, parentTable: pp?.target ?? fk.parent, parentColumns: [], action: "skip", reason: `not created, as asked by ${skipFlag}` });
        continue;
      }
      if (!parent || !pp) { tp.foreignKeys.push(skip(model.tables.some((x) => x.name.toLowerCase() === fk.parent.toLowerCase()) ? `parent table ${fk.parent} is not migrated` : `parent table ${fk.parent} does not exist in the SQLite file (SQLite accepts such a key and fails every write with "no such table" once foreign keys are on)`)); continue; }
      const parentCols = fk.to.map((c, i) => c ?? parent.primaryKey[i]);
      const mismatchNote = `(SQLite itself fails every write to ${t.name} with "foreign key mismatch" once foreign keys are on)`;
      if (parentCols.some((c) => c === undefined) || parentCols.length !== fk.from.length) { tp.foreignKeys.push(skip(`parent ${fk.parent} has no primary key matching the referenced columns ${mismatchNote}`)); continue; }
      const pcs = parentCols.map((c) => pp.columns.find((x) => x.source === c) ?? pp.columns.find((x) => x.source.toLowerCase() === c!.toLowerCase()));
      if (pcs.some((c) => !c) || fromCols.some((c) => !c)) { tp.foreignKeys.push(skip(`referenced column ${parentCols.filter((c, i) => !pcs[i]).join(", ") || fk.from.filter((c, i) => !fromCols[i]).join(", ")} not found ${mismatchNote}`)); continue; }
      const pset = pcs.map((c) => c!.target).join("\u0000");
      const unique = pp.primaryKey?.columns.join("\u0000") === pset || pp.uniques.some((u) => u.columns.join("\u0000") === pset) || pp.indexes.some((i) => i.unique && i.action === "create" && !i.where && i.keys === pcs.map((c) => `"${c!.target.replace(/"/g, '""')}"`).join(", "));
      if (!unique) { tp.foreignKeys.push(skip(`referenced columns ${parentCols.join(", ")} of ${fk.parent} are not a primary key or unique ${mismatchNote}`, [`add a UNIQUE index on ${fk.parent} (${parentCols.join(", ")}) in the SQLite file`])); continue; }
      const mismatch = fromCols.findIndex((c, i) => keyClass(c!.pgType) !== keyClass(pcs[i]!.pgType));
      if (mismatch >= 0) {
        const pc = pcs[mismatch]!;
        tp.foreignKeys.push(skip(`column ${fk.from[mismatch]} is ${fromCols[mismatch]!.pgType} but ${fk.parent}.${parentCols[mismatch]} is ${pc.pgType} (columns tied by a foreign key must have the same type)`, [`give both the same type, e.g. ${overrideFlag(t.name, fk.from[mismatch], pc.pgType)}`]));
        continue;
      }
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
  const plan: Plan = { source: from, schema, sourceTimezone: zone, foldIdentifiers: fold, tables: tablePlans, views, triggers, skipped, identifiers: changes, ...(cx.collations!.size ? { collations: [...cx.collations!.values()] } : {}), warnings, errors };
  // Translate mode: narrowing overrides (real, integer, smallint) whose values PostgreSQL would round or reject.
  // Existing mode runs the same check against the target's actual column types (migrate.ts prepareExisting).
  if (options.schemaMode !== "existing" && Object.keys(cx.overrides).length) errors.push(...valueProblems(db, plan, overrideCatalog(plan, cx.overrides), "translate"));
  return plan;
}
