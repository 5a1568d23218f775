/**
 * Plans one SQLite table: columns (scan + type mapping), keys, uniques,
 * CHECKs, indexes. Foreign keys are planned in `plan.ts`, once every table's
 * types are known.
 */
import { classifyDeclared } from "./declared-type";
import { translateDefault } from "./default-value";
import type { ExpressionContext, ExpressionTranslator } from "./expression";
import { NameAllocator, shortenIdentifier, type IdentifierChange } from "./identifiers";
import type { SqliteTable } from "./introspect";
import { scanTable, scanUtf8, showKey, type AggregateRunner, type ScanColumn, type TableKey, type TextChecks } from "./column-scan";
import type { CheckPlan, CollationPlan, ColumnPlan, IndexPlan, PlanError, TablePlan } from "./plan-types";
import { qualified, quoteIdent, quoteSqliteIdent } from "./quote";
import { mapCollation, unmappedCollationWarning } from "./collation-mapping";
import type { SqliteDb } from "./sqlite-source";
import { conversionForPgType, mapColumnType, overrideFlag, shellFlag, TINYINT1 } from "./type-mapping";
import { existingModeFix } from "./existing-schema";

export interface TableContext {
  db: SqliteDb;
  fold: boolean;
  zone: string;
  overrides: Record<string, string>;
  /** Also look for invalid UTF-8 (a full read of the text columns; `migrate` finds it during the load instead). */
  checkUtf8?: boolean;
  /** Reasons for overrides that do not come from --type (existing schema mode). */
  overrideReasons?: Record<string, string>;
  /** Existing schema mode: fixes name the app's migrations, the SQLite rows or --skip-table, not --type. */
  existingMode?: boolean;
  translator: ExpressionTranslator;
  relations: NameAllocator;
  changes: IdentifierChange[];
  errors: PlanError[];
  /** Source names of columns referenced by some FK, per table (lower-cased table name). */
  referenced: Map<string, Set<string>>;
  sequences: Record<string, bigint>;
  tableTargets: Record<string, string>;
  schema: string;
  /** Runs the value scan's aggregate queries (default: one query on `db`). */
  runAggregate?: AggregateRunner;
  /**
   * Columns of this table that take the type of the column they reference (a foreign key ties them;
   * the type itself comes as an override): the column whose `--type` fixes a refusal (the chain's root).
   */
  ties?: Record<string, { table: string; column: string }>;
  /** SQLite index names not to create (`--skip-index`). */
  skipIndexes?: Set<string>;
  /** Collations created in the target for SQLite ones it lacks, by lower-cased SQLite name (shared by all tables). */
  collations?: Map<string, CollationPlan>;
}

const ID_NAME = /(^id$|_id$|[a-z0-9]Id$|uuid$|guid$)/i;

/** The target collation standing for SQLite's `name` (registered once in `cx.collations`), or null. */
function targetCollation(name: string, cx: TableContext): { name: string; note: string } | null {
  const m = mapCollation(name);
  if (!m || !cx.collations) return null;
  const key = name.toLowerCase();
  let plan = cx.collations.get(key);
  if (!plan) {
    plan = { name: shortenIdentifier(cx.fold ? name.toLowerCase() : name), sqlite: name, provider: "icu", locale: m.locale, deterministic: m.deterministic };
    cx.collations.set(key, plan);
  }
  return { name: plan.name, note: m.note };
}

function rowidName(t: SqliteTable): string {
  const names = new Set(t.columns.map((c) => c.name.toLowerCase()));
  return ["rowid", "_rowid_", "oid"].find((n) => !names.has(n)) ?? "rowid";
}

/** Checks made redundant by the PostgreSQL type: `x IN (0,1)` on booleans, `JSON_VALID(x)` on jsonb. */
function redundantCheck(expr: string, columns: ColumnPlan[], tr: ExpressionTranslator): string | null {
  for (const c of columns) {
    if (c.conversion === "boolean" && tr.isBooleanCheck(expr, c.source)) return `IN (0,1) check on ${c.source}: boolean enforces it`;
    if (c.conversion === "json" && tr.isJsonValidCheck(expr, c.source)) return `JSON_VALID check on ${c.source}: jsonb enforces it`;
  }
  return null;
}

export function planTable(t: SqliteTable, cx: TableContext): TablePlan {
  const { db } = cx;
  const target = cx.tableTargets[t.name];
  const warnings: string[] = [];
  const isFts = t.kind === "virtual";
  const colNames = new NameAllocator(cx.fold, cx.changes, "column", t.name);
  // PostgreSQL's system column names cannot be user columns (GIS tables often have xmin/xmax): renamed and reported.
  // https://www.postgresql.org/docs/16/ddl-system-columns.html
  for (const sys of ["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"]) colNames.reserve(sys);
  const pkSet = new Set(t.primaryKey);
  const fkCols = new Set(t.foreignKeys.flatMap((f) => f.from));
  const refCols = cx.referenced.get(t.name.toLowerCase()) ?? new Set<string>();
  const hasPk = t.primaryKey.length > 0;
  const rid = rowidName(t);
  const key: TableKey = hasPk
    ? { exprs: t.primaryKey.map((c) => quoteSqliteIdent(c)), names: t.primaryKey }
    : { exprs: [rid], names: [rid] };

  // NULLs in a primary key: SQLite allows them outside INTEGER PRIMARY KEY / WITHOUT ROWID.
  if (hasPk && !t.rowidAlias && !t.withoutRowid) {
    const cond = t.primaryKey.map((c) => `${quoteSqliteIdent(c)} IS NULL`).join(" OR ");
    const n = Number(db.prepare(`SELECT count(*) FROM main.${quoteSqliteIdent(t.name)} WHERE ${cond}`).pluck().get());
    if (n > 0) {
      const r = db.prepare(`SELECT ${rid}, ${key.exprs.join(", ")} FROM main.${quoteSqliteIdent(t.name)} WHERE ${cond} LIMIT 1`).raw().get() as unknown[];
      cx.errors.push({ table: t.name, column: t.primaryKey.join(", "), key: showKey([rid, ...t.primaryKey], r), message: `table "${t.name}": ${n} row(s) have NULL in primary key (${t.primaryKey.join(", ")}), which PostgreSQL forbids; first at ${showKey([rid, ...t.primaryKey], r)}; fix or delete those rows in the SQLite file` });
    }
  }
  const keyNullable = hasPk && !t.rowidAlias && !t.withoutRowid;

  const families = t.columns.map((c) => {
    // A numeric(p,s) override is scanned for fit against its own precision.
    const o = cx.overrides[`${t.name}.${c.name}`];
    const ps = o ? /^(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/i.exec(o.trim()) : null;
    return ps ? { kind: "numeric" as const, precision: Number(ps[1]), scale: Number(ps[2] ?? 0) } : classifyDeclared(c.declaredType);
  });
  const jsonChecked: boolean[] = [];
  const scanCols: ScanColumn[] = t.columns.map((c, i) => {
    const f = families[i];
    const override = cx.overrides[`${t.name}.${c.name}`];
    const keyish = pkSet.has(c.name) || fkCols.has(c.name) || refCols.has(c.name) || ID_NAME.test(c.name);
    const uuidCandidate = (f.kind === "varchar" || f.kind === "text" || f.kind === "inferred") && keyish;
    const tinyint1 = !override && TINYINT1.test(c.declaredType);
    const profile = !!override || ["uuid", "datetime", "date", "time", "boolean", "numeric", "inferred"].includes(f.kind) || uuidCandidate || tinyint1;
    const oc = override ? conversionForPgType(override) : null;
    const checks: TextChecks = override
      ? { uuid: oc === "uuid", boolean: oc === "boolean", datetime: oc === "timestamptz" || oc === "timestamp" || oc === "interval", date: oc === "date", time: oc === "time", interval: oc === "interval", ...(oc === "inet" ? { net: /^\s*cidr/i.test(override) ? "cidr" as const : "inet" as const } : {}) }
      : { uuid: f.kind === "uuid" || uuidCandidate, boolean: f.kind === "boolean" || tinyint1, datetime: f.kind === "datetime", date: f.kind === "date", time: f.kind === "time" };
    const jsonCheck = [...c.checks, ...t.checks].some((k) => cx.translator.isJsonValidCheck(k.expression, c.name));
    jsonChecked.push(jsonCheck);
    const len = override ? /^(?:character varying|varchar|character|char|bpchar)\s*\(\s*(\d+)\s*\)$/i.exec(override.trim()) : null;
    const maxChars = len ? Number(len[1]) : !override && f.kind === "varchar" && f.length !== undefined ? f.length : undefined;
    return { name: c.name, family: f, profile, checks, json: f.kind === "json" || jsonCheck || !!override, sampleAll: !!override, ...(maxChars !== undefined ? { maxChars } : {}) };
  });
  const stats = scanTable(db, t.name, scanCols, key, cx.runAggregate);
  const rows = stats.size ? stats.values().next().value!.rows : Number(db.prepare(`SELECT count(*) FROM main.${quoteSqliteIdent(t.name)}`).pluck().get());

  const columns: ColumnPlan[] = [];
  if (isFts) columns.push({ source: rid, target: colNames.allocate("rowid"), declaredType: "rowid", storage: { integer: rows, real: 0, text: 0, blob: 0, null: 0 }, pgType: "bigint", conversion: "integer", reason: "FTS rowid (links rows to their content)", warnings: [], notNull: true, fromRowid: true });
  const ctx: ExpressionContext = { table: t.name, columns: {}, tables: cx.tableTargets, schema: cx.schema, columnTypes: {} };
  t.columns.forEach((c, i) => {
    const s = stats.get(c.name)!;
    const override = cx.overrides[`${t.name}.${c.name}`];
    const m = mapColumnType({
      table: t.name, column: c.name, declaredType: c.declaredType, family: families[i], stats: s,
      isKey: pkSet.has(c.name) || fkCols.has(c.name) || refCols.has(c.name),
      hasJsonCheck: jsonChecked[i], override, sourceTimezone: cx.zone,
      ...(override && cx.overrideReasons?.[`${t.name}.${c.name}`] ? { overrideReason: cx.overrideReasons[`${t.name}.${c.name}`] } : {}),
    });
    if (m.refusal) {
      const at = m.refusal.sample ? `; first at row ${m.refusal.sample.key} value ${m.refusal.sample.value}` : "";
      const tie = cx.ties?.[c.name];
      const fix = cx.existingMode ? existingModeFix(t.name, m.refusal.suggest)
        : tie ? `${overrideFlag(tie.table, tie.column, m.refusal.suggest ?? "text")} (${t.name}.${c.name} references it and follows its type)` : m.refusal.fix;
      cx.errors.push({ table: t.name, column: c.name, key: m.refusal.sample?.key, value: m.refusal.sample?.value, fix,
        message: `table "${t.name}" column "${c.name}": ${m.refusal.problem}${at}; ${cx.existingMode ? fix : `fix the row(s) or map the column with ${fix}`}` });
    }
    const col: ColumnPlan = {
      source: c.name, target: colNames.allocate(c.name), declaredType: c.declaredType, storage: s.storage, pgType: m.pgType,
      conversion: m.conversion, reason: m.reason, warnings: [...m.warnings],
      notNull: c.notNull || pkSet.has(c.name) && !keyNullable,
    };
    if (m.epochUnit) col.epochUnit = m.epochUnit;
    if (c.collation && c.collation.toUpperCase() !== "BINARY") {
      col.collation = c.collation;
      const mapped = !cx.existingMode && col.conversion === "text" ? targetCollation(c.collation, cx) : null;
      if (mapped) {
        col.pgCollation = mapped.name;
        col.warnings.push(mapped.note);
      } else col.warnings.push(unmappedCollationWarning(c.collation));
    }
    ctx.columns![c.name] = col.target;
    ctx.columnTypes![c.name] = col.pgType;
    columns.push(col);
  });
  if (cx.checkUtf8) {
    const textCols = columns.filter((c) => !c.fromRowid && c.conversion !== "bytea" && c.storage.text > 0).map((c) => c.source);
    for (const [col, sample] of scanUtf8(db, t.name, textCols, key)) {
      const fix = overrideFlag(t.name, col, "bytea");
      cx.errors.push({ table: t.name, column: col, key: sample.key, value: sample.value, fix, message: `table "${t.name}" column "${col}": row ${sample.key} holds invalid UTF-8 ${sample.value}; fix the row or map the column with ${fix}` });
    }
  }
  // Defaults, generated columns, identity (need every column's target name first).
  const offset = isFts ? 1 : 0;
  t.columns.forEach((c, i) => {
    const col = columns[i + offset];
    if (c.generated) {
      const r = cx.translator.expression(c.generated.expression, ctx);
      if (r.ok) { col.generated = { sqlite: c.generated.expression, pg: r.sql }; if (r.warning) col.warnings.push(r.warning); }
      else col.warnings.push(`generated column (${c.generated.kind}) kept as a plain column holding the computed values: expression not translated (${r.reason})`);
    }
    if (c.defaultSql !== null && !c.generated) {
      const r = translateDefault(c.defaultSql, col.conversion, col.pgType, cx.zone, cx.translator, ctx, col.epochUnit);
      if (r.ok) { if (r.sql) col.default = r.sql; if (r.warning) col.warnings.push(r.warning); }
      else col.warnings.push(`DEFAULT ${c.defaultSql} not translated (${r.reason}); the column has no default in PostgreSQL`);
    }
    if (t.rowidAlias === c.name && col.conversion === "integer") {
      const max = db.prepare(`SELECT max(${quoteSqliteIdent(c.name)}) FROM main.${quoteSqliteIdent(t.name)}`).pluck().get() as bigint | null;
      const seq = cx.sequences[t.name] ?? 0n;
      let next = (max ?? 0n) > seq ? (max ?? 0n) : seq;
      next = next < 0n ? 1n : next + 1n;
      col.identity = { restartWith: String(next) };
      col.reason += t.autoincrement ? "; AUTOINCREMENT → identity" : "; INTEGER PRIMARY KEY → identity";
    }
  });

  const byName = (n: string) => columns.find((c) => c.source === n) ?? columns.find((c) => c.source.toLowerCase() === n.toLowerCase());
  const primaryKey = hasPk ? { name: cx.relations.allocate(`${target}_pkey`, "constraint"), columns: t.primaryKey.map((c) => byName(c)!.target) } : undefined;

  const uniques: TablePlan["uniques"] = [];
  const indexes: IndexPlan[] = [];
  for (const ix of t.indexes) {
    if (ix.origin === "pk") continue;
    const colsOk = ix.columns.every((k) => k.name !== null);
    if (ix.origin === "u" && colsOk && !ix.where) {
      uniques.push({ name: cx.relations.allocate(`${target}_${ix.columns.map((k) => byName(k.name!)!.target).join("_")}_key`, "constraint"), columns: ix.columns.map((k) => byName(k.name!)!.target), source: ix.name });
      continue;
    }
    const keys: string[] = [];
    let skip: string | null = null;
    for (const k of ix.columns) {
      let sql: string;
      if (k.name !== null) {
        const col = byName(k.name);
        if (!col) { skip = `column ${k.name} not found`; break; }
        sql = quoteIdent(col.target);
      } else {
        const r = k.expression ? cx.translator.expression(k.expression, ctx) : { ok: false as const, reason: "expression not readable" };
        if (!r.ok) { skip = `expression ${k.expression ?? "?"} not translated (${r.reason})`; break; }
        sql = `(${r.sql})`;
        if (r.warning) warnings.push(`index ${ix.name}: ${r.warning}`);
      }
      if (k.collation.toUpperCase() !== "BINARY") {
        const col = k.name !== null ? byName(k.name) : undefined;
        const mapped = !cx.existingMode && (k.name === null || col?.conversion === "text") ? targetCollation(k.collation, cx) : null;
        // A column's own collation carries into its index; another one is named on the key.
        if (mapped && col?.pgCollation !== mapped.name) sql += ` COLLATE ${qualified(cx.schema, mapped.name)}`;
        else if (!mapped) warnings.push(`index ${ix.name}: COLLATE ${k.collation} dropped (no PostgreSQL equivalent)`);
      }
      keys.push(k.desc ? `${sql} DESC` : sql);
    }
    let where: string | undefined;
    if (!skip && ix.where) {
      const r = cx.translator.expression(ix.where, ctx);
      if (r.ok) { where = r.sql; if (r.warning) warnings.push(`index ${ix.name}: ${r.warning}`); }
      else skip = `WHERE ${ix.where} not translated (${r.reason})`;
    }
    const name = cx.relations.allocate(ix.name, "index");
    // Never dropped while the run says success (issue 16): created, or refused with the fix; --skip-index drops it, and says so.
    const skipFlag = shellFlag("--skip-index", ix.name);
    if (!cx.existingMode && cx.skipIndexes?.has(ix.name)) {
      warnings.push(`index ${ix.name} not created, as asked by ${skipFlag}${skip ? `: ${skip}` : ""}`);
      skip = `not created, as asked by ${skipFlag}${skip ? ` (${skip})` : ""}`;
    } else if (skip && cx.existingMode) warnings.push(`index ${ix.name} skipped: ${skip}`);
    else if (skip) {
      cx.errors.push({ table: t.name, fix: skipFlag, message: `table "${t.name}": ${ix.unique ? "unique " : ""}index ${ix.name} cannot be created: ${skip}; an index is never dropped silently: drop it knowingly with ${skipFlag}` });
    }
    indexes.push({ source: ix.name, target: name, unique: ix.unique, keys: keys.join(", "), ...(where ? { where } : {}), action: skip ? "skip" : "create", reason: skip ?? (ix.origin === "u" ? "UNIQUE constraint with expressions or WHERE" : "CREATE INDEX") });
  }

  const checks: CheckPlan[] = [];
  const allChecks = [...t.columns.flatMap((c) => c.checks), ...t.checks];
  const checkNames = new NameAllocator(cx.fold, cx.changes, "constraint", t.name);
  for (const k of allChecks) {
    const red = redundantCheck(k.expression, columns, cx.translator);
    if (red) { checks.push({ ...(k.name ? { name: k.name } : {}), sqlite: k.expression, action: "drop", reason: red }); continue; }
    const r = cx.translator.expression(k.expression, ctx);
    if (r.ok) checks.push({ name: checkNames.allocate(k.name ?? `${target}_check${checks.length + 1}`), sqlite: k.expression, pg: r.sql, action: "create", reason: r.warning ? `translated (${r.warning})` : "translated" });
    else {
      checks.push({ ...(k.name ? { name: k.name } : {}), sqlite: k.expression, action: "skip", reason: r.reason });
      warnings.push(`CHECK (${k.expression}) not translated: ${r.reason}`);
    }
  }

  const plan: TablePlan = {
    source: t.name, target, kind: isFts ? "fts" : "table", withoutRowid: t.withoutRowid, strict: t.strict, rows, columns,
    sourceKey: key.exprs.map((e, i) => (hasPk && columns.find((c) => c.source === t.primaryKey[i])?.conversion === "text" ? `${e} COLLATE BINARY` : e)),
    ...(primaryKey ? { primaryKey } : isFts ? { primaryKey: { name: cx.relations.allocate(`${target}_pkey`, "constraint"), columns: [columns[0].target] } } : {}),
    uniques, checks, indexes, foreignKeys: [], warnings,
  };
  if ([...stats.values()].some((x) => x.intBeyondDouble > 0 || x.epochMaxAbs > 9007199254740992)) plan.bigIntegers = true;
  if (isFts) {
    const textCols = columns.slice(1).filter((c) => c.conversion === "text");
    const col = colNames.allocate("search_vector");
    plan.fts = { column: col, config: "simple", sourceColumns: textCols.map((c) => c.target), index: cx.relations.allocate(`${target}_${col}_idx`, "index") };
  }
  return plan;
}
