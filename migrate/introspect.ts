/**
 * Reads the SQLite catalog into a frozen model: tables, columns, keys,
 * indexes, foreign keys, CHECKs, generated columns, views, triggers and
 * virtual tables.
 * https://www.sqlite.org/pragma.html#pragma_table_xinfo
 * https://www.sqlite.org/pragma.html#pragma_table_list
 */
import type { SqliteDb } from "./sqlite-source";
import { quoteSqliteIdent } from "./quote";
import { collationFixups } from "./source-copy";
import { isWord, matchParen, nameOf, splitTopLevel, textOf, tokenize, type Token } from "./sql-text";

export interface SqliteColumn {
  name: string;
  declaredType: string;
  notNull: boolean;
  /** Default expression as written, or null. */
  defaultSql: string | null;
  /** 1-based position in the primary key, 0 if not part of it. */
  pkOrder: number;
  generated?: { kind: "virtual" | "stored"; expression: string };
  collation?: string;
  /** Column-level CHECK expressions. */
  checks: { name?: string; expression: string }[];
  unique: boolean;
}

export interface SqliteIndex {
  name: string;
  unique: boolean;
  /** c = CREATE INDEX, u = UNIQUE constraint, pk = PRIMARY KEY. */
  origin: "c" | "u" | "pk";
  columns: { name: string | null; desc: boolean; collation: string; expression?: string }[];
  where?: string;
  sql: string | null;
}

export interface SqliteForeignKey {
  id: number;
  parent: string;
  from: string[];
  /** Parent columns; null entries mean "the parent's primary key". */
  to: (string | null)[];
  onUpdate: string;
  onDelete: string;
  deferred: boolean;
}

export interface SqliteTable {
  name: string;
  kind: "table" | "virtual";
  sql: string;
  withoutRowid: boolean;
  strict: boolean;
  autoincrement: boolean;
  columns: SqliteColumn[];
  /** Primary-key columns in key order. */
  primaryKey: string[];
  /** The column that aliases the rowid (`INTEGER PRIMARY KEY`), if any. */
  rowidAlias: string | null;
  indexes: SqliteIndex[];
  foreignKeys: SqliteForeignKey[];
  /** Table-level CHECK constraints. */
  checks: { name?: string; expression: string }[];
  virtual?: { module: string; args: string[] };
}

export interface SqliteModel {
  tables: SqliteTable[];
  views: { name: string; sql: string }[];
  triggers: { name: string; table: string; sql: string }[];
  /** FTS/R*Tree shadow tables: not copied. */
  shadowTables: string[];
  /** sqlite_sequence, sqlite_stat*: not copied. */
  internalTables: string[];
  /** sqlite_sequence contents. */
  sequences: Record<string, bigint>;
}

interface ColumnExtras {
  generated?: { kind: "virtual" | "stored"; expression: string };
  collation?: string;
  checks: { name?: string; expression: string }[];
  unique: boolean;
}

interface ParsedTable {
  columns: Map<string, ColumnExtras>;
  checks: { name?: string; expression: string }[];
  deferredFks: { from: string[]; parent: string }[];
}

const TABLE_CONSTRAINT = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

/** Cuts a CREATE TABLE statement into column extras and table CHECKs. */
export function parseCreateTable(sql: string): ParsedTable {
  const tokens = tokenize(sql);
  const result: ParsedTable = { columns: new Map(), checks: [], deferredFks: [] };
  const open = tokens.findIndex((t) => t.text === "(");
  if (open < 0) return result;
  const close = matchParen(tokens, open);
  if (close < 0) return result;
  for (const item of splitTopLevel(tokens, open + 1, close)) {
    if (item.length === 0) continue;
    const isTableConstraint = isWord(item[0], ...TABLE_CONSTRAINT) && !(item[0].kind === "ident");
    const extras: ColumnExtras = { checks: [], unique: false };
    const checks = isTableConstraint ? result.checks : extras.checks;
    let pendingName: string | undefined;
    for (let i = isTableConstraint ? 0 : 1; i < item.length; i++) {
      const t = item[i];
      if (isWord(t, "CONSTRAINT") && item[i + 1]) { pendingName = nameOf(item[i + 1]); i++; continue; }
      if (isWord(t, "CHECK") && item[i + 1]?.text === "(") {
        const end = matchParen(item, i + 1);
        checks.push({ name: pendingName, expression: textOf(sql, item, i + 2, end - 1) });
        pendingName = undefined;
        i = end;
        continue;
      }
      if (!isTableConstraint && isWord(t, "AS") && item[i + 1]?.text === "(") {
        const end = matchParen(item, i + 1);
        const kind = isWord(item[end + 1], "STORED") ? "stored" : "virtual";
        extras.generated = { kind, expression: textOf(sql, item, i + 2, end - 1) };
        i = end;
        continue;
      }
      if (!isTableConstraint && isWord(t, "COLLATE") && item[i + 1]) { extras.collation = nameOf(item[i + 1]); i++; continue; }
      if (!isTableConstraint && isWord(t, "UNIQUE")) extras.unique = true;
      if (isWord(t, "REFERENCES") && item[i + 1]) {
        const rest = item.slice(i).map((x) => x.text.toUpperCase()).join(" ");
        if (/DEFERRABLE INITIALLY DEFERRED/.test(rest) && !/NOT DEFERRABLE/.test(rest)) {
          const from = isTableConstraint ? fkColumns(item) : [nameOf(item[0])];
          result.deferredFks.push({ from, parent: nameOf(item[i + 1]) });
        }
      }
      if (!isWord(t, "CONSTRAINT")) pendingName = undefined;
    }
    if (!isTableConstraint) result.columns.set(nameOf(item[0]), extras);
  }
  return result;
}

function fkColumns(item: Token[]): string[] {
  const k = item.findIndex((t) => isWord(t, "FOREIGN"));
  const open = item.findIndex((t, i) => i > k && t.text === "(");
  if (k < 0 || open < 0) return [];
  const close = matchParen(item, open);
  return item.slice(open + 1, close).filter((t) => t.text !== ",").map(nameOf);
}

/** Body of `CREATE INDEX ... ON t (...) WHERE expr`: the WHERE text, if any. */
export function parseIndexWhere(sql: string): string | undefined {
  const tokens = tokenize(sql);
  const on = tokens.findIndex((t) => isWord(t, "ON"));
  const open = tokens.findIndex((t, i) => i > on && t.text === "(");
  if (open < 0) return undefined;
  const close = matchParen(tokens, open);
  const where = tokens.findIndex((t, i) => i > close && isWord(t, "WHERE"));
  if (where < 0) return undefined;
  return textOf(sql, tokens, where + 1, tokens.length - 1).replace(/;\s*$/, "");
}

/** The key expressions of `CREATE INDEX ... ON t (a, lower(b) DESC)`, in order, as written. */
export function parseIndexKeys(sql: string): string[] {
  const tokens = tokenize(sql);
  const on = tokens.findIndex((t) => isWord(t, "ON"));
  const open = tokens.findIndex((t, i) => i > on && t.text === "(");
  if (open < 0) return [];
  const close = matchParen(tokens, open);
  return splitTopLevel(tokens, open + 1, close).map((part) => {
    let end = part.length - 1;
    while (end > 0 && (isWord(part[end], "ASC", "DESC") || isWord(part[end - 1], "COLLATE"))) end -= isWord(part[end - 1], "COLLATE") ? 2 : 1;
    return sql.slice(part[0].start, part[end].end);
  });
}

function virtualInfo(sql: string): { module: string; args: string[] } {
  const tokens = tokenize(sql);
  const using = tokens.findIndex((t) => isWord(t, "USING"));
  const module = using >= 0 && tokens[using + 1] ? tokens[using + 1].value : "";
  const open = tokens.findIndex((t, i) => i > using && t.text === "(");
  const args = open < 0 ? [] : splitTopLevel(tokens, open + 1, matchParen(tokens, open)).map((p) => (p.length ? sql.slice(p[0].start, p[p.length - 1].end) : ""));
  return { module: module.toLowerCase(), args };
}

type Row = Record<string, unknown>;

export function introspect(db: SqliteDb): SqliteModel {
  const all = (sql: string) => db.prepare(sql).all() as Row[];
  const list = all("PRAGMA main.table_list");
  const schemaRows = all("SELECT type, name, tbl_name, sql FROM main.sqlite_schema");
  const sqlOf = new Map<string, string>();
  for (const r of schemaRows) if (r.sql) sqlOf.set(`${String(r.type)}:${String(r.name)}`, String(r.sql));
  const model: SqliteModel = { tables: [], views: [], triggers: [], shadowTables: [], internalTables: [], sequences: {} };
  for (const r of schemaRows) {
    if (r.type === "view") model.views.push({ name: String(r.name), sql: String(r.sql) });
    if (r.type === "trigger") model.triggers.push({ name: String(r.name), table: String(r.tbl_name), sql: String(r.sql) });
  }
  const names = list.filter((r) => r.schema === "main").map((r) => ({ name: String(r.name), type: String(r.type), wr: Number(r.wr) === 1, strict: Number(r.strict) === 1 }));
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of names) {
    if (t.type === "view") continue;
    if (t.type === "shadow") { model.shadowTables.push(t.name); continue; }
    if (/^sqlite_(schema|master|temp_schema|temp_master)$/i.test(t.name)) continue;
    if (/^sqlite_/i.test(t.name)) { model.internalTables.push(t.name); continue; }
    const sql = sqlOf.get(`table:${t.name}`) ?? "";
    model.tables.push(readTable(db, t.name, t.type === "virtual" ? "virtual" : "table", sql, t.wr, t.strict));
  }
  // A stand-in copy (source-copy.ts): the model keeps the original collation names.
  const fix = collationFixups(db);
  if (fix) {
    for (const t of model.tables) {
      for (const c of t.columns) c.collation = fix.columns.get(`${t.name}\u0000${c.name}`) ?? c.collation;
      for (const ix of t.indexes) ix.columns.forEach((k, i) => { k.collation = fix.indexKeys.get(`${ix.name}\u0000${i}`) ?? k.collation; });
    }
  }
  if (model.internalTables.includes("sqlite_sequence")) {
    for (const r of all("SELECT name, seq FROM main.sqlite_sequence")) model.sequences[String(r.name)] = BigInt(r.seq as bigint);
  }
  return model;
}

function readTable(db: SqliteDb, name: string, kind: "table" | "virtual", sql: string, withoutRowid: boolean, strict: boolean): SqliteTable {
  const q = quoteSqliteIdent(name);
  const xinfo = db.prepare(`PRAGMA main.table_xinfo(${q})`).all() as Row[];
  const parsed = kind === "table" ? parseCreateTable(sql) : { columns: new Map<string, ColumnExtras>(), checks: [], deferredFks: [] };
  const columns: SqliteColumn[] = [];
  for (const c of xinfo) {
    const hidden = Number(c.hidden);
    if (hidden === 1) continue; // hidden columns of virtual tables
    const cname = String(c.name);
    const extras = parsed.columns.get(cname) ?? [...parsed.columns.entries()].find(([k]) => k.toLowerCase() === cname.toLowerCase())?.[1];
    columns.push({
      name: cname,
      declaredType: String(c.type ?? ""),
      notNull: Number(c.notnull) === 1,
      defaultSql: c.dflt_value === null || c.dflt_value === undefined ? null : String(c.dflt_value),
      pkOrder: Number(c.pk),
      generated: hidden === 2 || hidden === 3 ? extras?.generated ?? { kind: hidden === 3 ? "stored" : "virtual", expression: "" } : undefined,
      collation: extras?.collation,
      checks: extras?.checks ?? [],
      unique: extras?.unique ?? false,
    });
  }
  const primaryKey = columns.filter((c) => c.pkOrder > 0).sort((a, b) => a.pkOrder - b.pkOrder).map((c) => c.name);
  const pkCol = primaryKey.length === 1 ? columns.find((c) => c.name === primaryKey[0]) : undefined;
  const rowidAlias = kind === "table" && !withoutRowid && pkCol && pkCol.declaredType.toUpperCase() === "INTEGER" ? pkCol.name : null;
  const indexes: SqliteIndex[] = [];
  const foreignKeys: SqliteForeignKey[] = [];
  if (kind === "table") {
    for (const il of db.prepare(`PRAGMA main.index_list(${q})`).all() as Row[]) {
      const iname = String(il.name);
      const isql = (db.prepare("SELECT sql FROM main.sqlite_schema WHERE type = 'index' AND name = ?").pluck().get(iname) as string | null) ?? null;
      const keys = isql ? parseIndexKeys(isql) : [];
      const cols = (db.prepare(`PRAGMA main.index_xinfo(${quoteSqliteIdent(iname)})`).all() as Row[])
        .filter((x) => Number(x.key) === 1)
        .map((x, i) => ({
          name: x.name === null ? null : String(x.name),
          desc: Number(x.desc) === 1,
          collation: String(x.coll ?? "BINARY"),
          expression: x.name === null ? keys[i] : undefined,
        }));
      indexes.push({
        name: iname,
        unique: Number(il.unique) === 1,
        origin: String(il.origin) as SqliteIndex["origin"],
        columns: cols,
        where: Number(il.partial) === 1 && isql ? parseIndexWhere(isql) : undefined,
        sql: isql,
      });
    }
    const fkRows = db.prepare(`PRAGMA main.foreign_key_list(${q})`).all() as Row[];
    const byId = new Map<number, SqliteForeignKey>();
    for (const f of fkRows) {
      const id = Number(f.id);
      let fk = byId.get(id);
      if (!fk) {
        fk = { id, parent: String(f.table), from: [], to: [], onUpdate: String(f.on_update), onDelete: String(f.on_delete), deferred: false };
        byId.set(id, fk);
      }
      fk.from.push(String(f.from));
      fk.to.push(f.to === null ? null : String(f.to));
    }
    for (const fk of byId.values()) {
      fk.deferred = parsed.deferredFks.some((d) => d.parent.toLowerCase() === fk.parent.toLowerCase() && d.from.join("\u0000").toLowerCase() === fk.from.join("\u0000").toLowerCase());
      foreignKeys.push(fk);
    }
    // PRAGMA foreign_key_list numbers FKs from the last declared; keep declaration order.
    foreignKeys.sort((a, b) => b.id - a.id);
  }
  return {
    name,
    kind,
    sql,
    withoutRowid,
    strict,
    autoincrement: /\bAUTOINCREMENT\b/i.test(sql),
    columns,
    primaryKey,
    rowidAlias,
    indexes,
    foreignKeys,
    checks: parsed.checks,
    virtual: kind === "virtual" ? virtualInfo(sql) : undefined,
  };
}
