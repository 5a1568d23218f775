/**
 * Translates SQLite SQL expressions (DEFAULTs, CHECKs, partial-index WHERE
 * clauses, index expressions, generated columns) and view SELECTs into
 * PostgreSQL 16 SQL, or refuses with a reason. Pure: no I/O, no driver.
 *
 * The rule is "same meaning or refuse". SQLite and PostgreSQL differ in ways
 * that do not show up as syntax errors, and each is handled explicitly:
 * - operator precedence (`||` binds tighter than `*` in SQLite, looser in
 *   PostgreSQL; `<` binds tighter than `=` in SQLite): every nested operator
 *   is parenthesized in the output.
 *   https://www.sqlite.org/lang_expr.html#operators_and_parse_affecting_attributes
 * - `LIKE` is case-insensitive for ASCII and has no default escape character
 *   in SQLite: `ILIKE … ESCAPE ''`, and only for ASCII literal patterns.
 * - `a IS b` is null-safe equality: `IS NOT DISTINCT FROM`.
 * - integer division truncates in SQLite depending on the values stored at
 *   run time; a division is emitted only when both sides are known integers
 *   or one side is known floating point.
 * - comparisons apply column affinity in SQLite (`text_col = 0` compares
 *   with '0'), so numeric literals compared with text columns become strings,
 *   and 0/1 compared with boolean columns become false/true.
 * - `CAST(x AS INTEGER)` truncates in SQLite and rounds in PostgreSQL.
 * - `round()` rounds half away from zero in SQLite; only numeric does so in
 *   PostgreSQL.
 * - the time functions use UTC for 'now' in SQLite.
 * - comparison affinity: only columns and CASTs convert the other operand;
 *   `10 = '10'` is false in SQLite, so number/text comparisons without a
 *   column are refused, as are CASE/coalesce branches of mixed types.
 * - dates are text in SQLite and compare character by character, so
 *   comparisons with date/time columns are refused.
 * - text orders bytewise (BINARY) in SQLite: `COLLATE "C"` on ordering
 *   comparisons, ORDER BY and min/max; lower/upper fold ASCII only.
 * - x / 0 and x % 0 are NULL in SQLite: the divisor goes through nullif().
 * Not reproducible, and documented as unspecified by both: the element order
 * of group_concat()/string_agg() without ORDER BY.
 *
 * Tables in view SELECTs are qualified with `ctx.schema` when given;
 * otherwise PostgreSQL resolves them through search_path at CREATE VIEW.
 */
import type { Conversion } from "./plan-types";
import { quoteIdent, quoteLiteral } from "./quote";
import { Refusal, refuse, tokenize, type Tok } from "./sql-expression-tokens";
import { canonicalNetAddress } from "./network-address";
import { durationMicros, isBooleanText, microsToIso, normalizeDateText, normalizeTimeText, parseDateTimeText, parseUuid, partsToMicros } from "./value-formats";

export { isBooleanCheck, isJsonValidCheck } from "./sql-check-recognizers";

export type TranslateResult =
  | { ok: true; sql: string; warning?: string }
  | { ok: false; reason: string };

export interface ExpressionContext {
  /**
   * PostgreSQL types of the columns the expression may reference. For a
   * single table (CHECK, index, default): `{ column: "bigint" }`. For views:
   * `{ "Table.Column": "bigint" }`. Keys are matched case-insensitively, as
   * SQLite does. Without types, rules that depend on them (division, `+` on
   * text, affinity of literals) refuse or stay literal.
   */
  columnTypes?: Record<string, string>;
  /**
   * Maps a source table/column/alias name to its PostgreSQL name (folding,
   * shortening). Default: unchanged. Names over 63 bytes are refused without it.
   */
  renameIdentifier?: (name: string) => string;
  /** SQLite column name -> PostgreSQL column name (single-table expressions). Matched case-insensitively. */
  columns?: Record<string, string>;
  /** SQLite table/view name -> PostgreSQL name. Matched case-insensitively. */
  tables?: Record<string, string>;
  /** Target schema: relations in FROM are qualified with it, so views do not depend on search_path. */
  schema?: string;
  /** The table a single-table expression belongs to (informational). */
  table?: string;
}

export interface DefaultOptions {
  /** IANA zone in which naive datetime literals are read. Default `UTC`. */
  sourceTimezone?: string;
  /** How integer defaults of a timestamp column are read. Without it only 0 is accepted. */
  epochUnit?: "s" | "ms";
  /**
   * The planner's conversion for the column. With it, a default the rules
   * for `pgType` refuse is typed by the conversion instead (TRUE/FALSE, the
   * 'now' forms, numbers, strings, blobs), or translated as an expression in
   * `context`; when that fails too, the first refusal stands.
   */
  conversion?: Conversion;
  /** Columns a default expression may reference (with `conversion`). */
  context?: ExpressionContext;
}

// ---------------------------------------------------------------------------
// Types of sub-expressions (as far as they matter for meaning)

type Ty = "int" | "float" | "numeric" | "text" | "bool" | "blob" | "time" | "json" | "null" | "unknown";

/** Maps a PostgreSQL type name (as the planner chose it) to the class that matters here. */
export function typeClass(pgType: string): Ty {
  const t = pgType.trim().toLowerCase();
  if (/^(bigint|integer|int|int2|int4|int8|smallint|serial|bigserial)\b/.test(t)) return "int";
  if (/^(double precision|float8|float4|real|float)\b/.test(t)) return "float";
  if (/^(numeric|decimal)\b/.test(t)) return "numeric";
  if (/^(text|varchar|character varying|character|char|bpchar|citext|name)\b/.test(t)) return "text";
  if (/^bool/.test(t)) return "bool";
  if (/^bytea\b/.test(t)) return "blob";
  if (/^(timestamptz|timestamp|date|timetz|time)\b/.test(t)) return "time";
  if (/^jsonb?\b/.test(t)) return "json";
  return "unknown";
}

/** A translated sub-expression. */
interface Out {
  sql: string;
  ty: Ty;
  /** No parentheses needed when used as an operand. */
  atom: boolean;
  /** Present for literals: the value as SQLite sees it. */
  lit?: { kind: "int" | "float" | "string" | "null" | "blob" | "bool"; value: string };
  /** Present for plain column references. */
  col?: string;
  /** A CAST: like a column, it has an affinity in SQLite. */
  cast?: boolean;
}

const operand = (o: Out): string => (o.atom ? o.sql : `(${o.sql})`);

/**
 * A value used as a condition. SQLite tests it as a number ('yes' is false);
 * PostgreSQL reads a string literal as a boolean ('yes' is true): refused.
 */
function cond(o: Out): Out {
  if (o.lit?.kind === "string") refuse(`the text ${o.sql} used as a condition: SQLite reads it as a number, PostgreSQL as a boolean`);
  return o;
}

/** SQLite applies affinity in comparisons only from column references and CASTs. https://www.sqlite.org/datatype3.html#affinity_of_expressions */
const hasAffinity = (o: Out): boolean => o.col !== undefined || o.cast === true;

/** The class of values an expression yields, for "one type per result" checks. */
function valueClass(o: Out): string | undefined {
  if (o.lit?.kind === "string") return "text";
  if (o.lit?.kind === "int" || o.lit?.kind === "float") return "number";
  switch (o.ty) {
    case "int": case "float": case "numeric": return "number";
    case "null": case "unknown": return undefined;
    default: return o.ty;
  }
}

/** SQLite keeps each value's own type; PostgreSQL converts all branches to one type (or fails). Refuse when that changes values. */
function oneClass(what: string, os: Out[]): void {
  const classes = new Set(os.map(valueClass).filter((c) => c !== undefined));
  if (classes.size > 1) refuse(`${what} mixes ${[...classes].join(" and ")} values: SQLite keeps each value's type, PostgreSQL converts them to one type`);
}

// ---------------------------------------------------------------------------
// Parser + renderer

const RESERVED_AFTER_EXPR = new Set([
  "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "WINDOW", "ON", "USING",
  "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "OUTER", "AS", "AND", "OR", "NOT", "THEN", "WHEN", "ELSE", "END",
  "IS", "IN", "LIKE", "GLOB", "MATCH", "REGEXP", "BETWEEN", "ISNULL", "NOTNULL", "COLLATE", "ESCAPE", "ASC", "DESC", "NULLS",
  "SELECT", "VALUES", "INDEXED", "FILTER", "OVER", "DISTINCT", "ALL", "CASE", "CAST", "EXISTS", "NULL", "WITH", "BY",
]);

interface ScopeEntry {
  /** The spelling the FROM clause uses for it (SQLite names are case-insensitive, PostgreSQL's quoted names are not). */
  spelling: string;
  /** The table it stands for, canonical spelling; undefined for subqueries and CTEs. */
  table?: string;
}

interface Scope {
  /** alias or table name (lower case) -> entry. */
  tables: Map<string, ScopeEntry>;
  parent?: Scope;
}

const NOW_FULL_FORMATS = new Set(["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%f"]);

class Translator {
  private pos = 0;
  private readonly toks: Tok[];
  private readonly types = new Map<string, string>();
  /** Canonical spellings from the column-type keys: lower -> as declared. */
  private readonly tableSpelling = new Map<string, string>();
  /** Original spelling of every column-map / column-type key, by lower case. */
  private readonly keySpelling = new Map<string, string>();
  private readonly columnTargets = new Map<string, string>();
  private readonly tableTargets = new Map<string, string>();

  constructor(
    private readonly src: string,
    private readonly ctx: ExpressionContext = {},
    /** In DEFAULT context SQLite reads "x" as the string 'x' (there are no columns). */
    private readonly doubleQuotedAreStrings = false,
  ) {
    this.toks = tokenize(src);
    for (const [k, v] of Object.entries(ctx.tables ?? {})) { this.tableTargets.set(k.toLowerCase(), v); this.tableSpelling.set(k.toLowerCase(), k); }
    for (const [k, v] of Object.entries(ctx.columns ?? {})) { this.columnTargets.set(k.toLowerCase(), v); this.keySpelling.set(k.toLowerCase(), k); }
    for (const [k, v] of Object.entries(ctx.columnTypes ?? {})) { this.types.set(k.toLowerCase(), v); this.keySpelling.set(k.toLowerCase(), k); }
    // "Table.Column" keys: the table is everything before the last dot unless the caller's table map says otherwise.
    for (const k of this.keySpelling.values()) {
      const dot = k.lastIndexOf(".");
      if (dot > 0 && !this.tableSpelling.has(k.slice(0, dot).toLowerCase())) this.tableSpelling.set(k.slice(0, dot).toLowerCase(), k.slice(0, dot));
    }
  }

  /** The declared spelling of column `col` of `table` (or of a bare key when `table` is undefined). */
  private columnSpelling(col: string, table?: string): string | undefined {
    if (table === undefined) return this.keySpelling.get(col.toLowerCase());
    const k = this.keySpelling.get(`${table.toLowerCase()}.${col.toLowerCase()}`);
    return k === undefined ? undefined : k.slice(table.length + 1);
  }

  /** The declared spelling of a table name (SQLite matches names case-insensitively). */
  private canonicalTable(name: string): string {
    return this.tableSpelling.get(name.toLowerCase()) ?? name;
  }

  private lookup(q: string, scope?: Scope): ScopeEntry | undefined {
    for (let s = scope; s; s = s.parent) { const e = s.tables.get(q.toLowerCase()); if (e) return e; }
    return undefined;
  }

  /** Canonical [qualifier?, column] spellings for a reference, and the table it resolves to. */
  private canonicalRef(parts: string[], scope?: Scope): { ref: string[]; table?: string } {
    const col = parts[parts.length - 1];
    if (parts.length === 2) {
      const e = this.lookup(parts[0], scope);
      const table = e ? e.table : this.canonicalTable(parts[0]);
      const c = table ? this.columnSpelling(col, table) : undefined;
      return { ref: [e ? e.spelling : this.canonicalTable(parts[0]), c ?? col], table };
    }
    const direct = this.columnSpelling(col);
    if (direct) return { ref: [direct] };
    for (let s = scope; s; s = s.parent) {
      const hits = new Map<string, string>();
      for (const e of s.tables.values()) {
        const c = e.table ? this.columnSpelling(col, e.table) : undefined;
        if (c && e.table) hits.set(c, e.table);
      }
      if (hits.size === 1) { const [[c, table]] = [...hits]; return { ref: [c], table }; }
      if (hits.size > 1) break;
    }
    return { ref: [col] };
  }

  // --- token helpers
  private peek(o = 0): Tok { return this.toks[Math.min(this.pos + o, this.toks.length - 1)]; }
  private next(): Tok { return this.toks[this.pos++ < this.toks.length - 1 ? this.pos - 1 : this.toks.length - 1]; }
  private isWord(w: string, o = 0): boolean { const t = this.peek(o); return t.kind === "word" && t.value === w; }
  private isOp(op: string, o = 0): boolean { const t = this.peek(o); return t.kind === "op" && t.value === op; }
  private acceptWord(w: string): boolean { if (this.isWord(w)) { this.pos++; return true; } return false; }
  private acceptOp(op: string): boolean { if (this.isOp(op)) { this.pos++; return true; } return false; }
  private expectWord(w: string): void { if (!this.acceptWord(w)) this.unexpected(w); }
  private expectOp(op: string): void { if (!this.acceptOp(op)) this.unexpected(`"${op}"`); }
  private unexpected(wanted?: string): never {
    const t = this.peek();
    refuse(t.kind === "eof" ? `unexpected end of SQL${wanted ? `, expected ${wanted}` : ""}` : `cannot parse near ${JSON.stringify(this.src.slice(t.start, t.start + 30))}${wanted ? `, expected ${wanted}` : ""}`);
  }
  atEnd(): boolean {
    while (this.isOp(";")) this.pos++;
    return this.peek().kind === "eof";
  }

  // --- identifiers
  name(raw: string): string {
    const renamed = this.ctx.renameIdentifier ? this.ctx.renameIdentifier(raw) : raw;
    if (Buffer.byteLength(renamed, "utf8") > 63) refuse(`identifier ${JSON.stringify(raw)} is longer than 63 bytes and no renaming was given`);
    if (renamed.includes("\u0000")) refuse(`identifier ${JSON.stringify(raw)} contains NUL`);
    return quoteIdent(renamed);
  }
  /** A column name: the caller's column map first, then the generic renaming. */
  private colName(raw: string, table?: string): string {
    const t = (table !== undefined ? this.columnTargets.get(`${table.toLowerCase()}.${raw.toLowerCase()}`) : undefined) ?? this.columnTargets.get(raw.toLowerCase());
    return t !== undefined ? quoteIdent(t) : this.name(raw);
  }
  /** A table/view name: the caller's table map first, then the generic renaming. */
  private relName(raw: string): string {
    const t = this.tableTargets.get(raw.toLowerCase());
    return t !== undefined ? quoteIdent(t) : this.name(raw);
  }
  /** The qualifier of `q.col`: a table keeps its target name, an alias its own spelling. */
  private qualifierName(q: string, scope?: Scope): string {
    const e = this.lookup(q, scope);
    if (e && !(e.table !== undefined && e.spelling === e.table)) return this.name(e.spelling);
    return this.relName(e?.table ?? q);
  }
  private isIdentTok(t: Tok): boolean {
    return t.kind === "ident" || (t.kind === "word" && !RESERVED_AFTER_EXPR.has(t.value));
  }
  private identName(t: Tok): string { return t.kind === "ident" ? t.value : t.text; }

  private columnType(parts: string[], scope?: Scope): Ty {
    if (this.types.size === 0) return "unknown";
    const col = parts[parts.length - 1].toLowerCase();
    if (parts.length >= 2) {
      const q = parts[parts.length - 2].toLowerCase();
      const e = this.lookup(q, scope);
      const table = e ? (e.table ?? "").toLowerCase() : q;
      const t = this.types.get(`${table}.${col}`);
      return t ? typeClass(t) : "unknown";
    }
    const direct = this.types.get(col);
    if (direct) return typeClass(direct);
    const found = new Set<Ty>();
    for (let s = scope; s; s = s.parent) {
      for (const e of s.tables.values()) {
        const t = e.table ? this.types.get(`${e.table.toLowerCase()}.${col}`) : undefined;
        if (t) found.add(typeClass(t));
      }
      if (found.size) break;
    }
    return found.size === 1 ? [...found][0] : "unknown";
  }

  // --- expressions, lowest precedence first (SQLite's order)
  expr(scope?: Scope): Out { return this.or(scope); }

  private or(scope?: Scope): Out {
    let l = this.and(scope);
    while (this.acceptWord("OR")) { const r = this.and(scope); l = { sql: `${operand(cond(l))} OR ${operand(cond(r))}`, ty: "bool", atom: false }; }
    return l;
  }
  private and(scope?: Scope): Out {
    let l = this.not(scope);
    while (this.acceptWord("AND")) { const r = this.not(scope); l = { sql: `${operand(cond(l))} AND ${operand(cond(r))}`, ty: "bool", atom: false }; }
    return l;
  }
  private not(scope?: Scope): Out {
    if (this.acceptWord("NOT")) { const e = this.not(scope); return { sql: `NOT ${operand(cond(e))}`, ty: "bool", atom: false }; }
    return this.equality(scope);
  }

  private equality(scope?: Scope): Out {
    let l = this.relational(scope);
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && (t.value === "=" || t.value === "==" || t.value === "!=" || t.value === "<>")) {
        this.pos++;
        const r = this.relational(scope);
        l = this.compare(l, t.value === "=" || t.value === "==" ? "=" : "<>", r);
        continue;
      }
      if (t.kind !== "word") return l;
      if (t.value === "ISNULL" || t.value === "NOTNULL") { this.pos++; l = { sql: `${operand(l)} IS ${t.value === "NOTNULL" ? "NOT " : ""}NULL`, ty: "bool", atom: false }; continue; }
      if (t.value === "IS") {
        this.pos++;
        const not = this.acceptWord("NOT");
        if (this.acceptWord("DISTINCT")) {
          this.expectWord("FROM");
          const r = this.relational(scope);
          l = { sql: `${operand(l)} IS ${not ? "NOT " : ""}DISTINCT FROM ${operand(r)}`, ty: "bool", atom: false };
          continue;
        }
        const r = this.relational(scope);
        if (r.lit?.kind === "null") { l = { sql: `${operand(l)} IS ${not ? "NOT " : ""}NULL`, ty: "bool", atom: false }; continue; }
        if (r.lit?.kind === "bool") {
          if (l.ty !== "bool") refuse(`"IS ${r.sql}" on a non-boolean value tests SQLite truthiness; not portable`);
          l = { sql: `${operand(l)} IS ${not ? "NOT " : ""}${r.sql}`, ty: "bool", atom: false };
          continue;
        }
        this.noTimeComparison(l, r);
        const rr = this.coerceLiteral(r, l);
        const ll = this.coerceLiteral(l, r);
        // https://www.sqlite.org/lang_expr.html#isisnot: IS is equality that treats NULLs as equal.
        l = { sql: `${operand(ll)} IS ${not ? "" : "NOT "}DISTINCT FROM ${operand(rr)}`, ty: "bool", atom: false };
        continue;
      }
      if (t.value === "NOT" && this.isWord("NULL", 1)) { this.pos += 2; l = { sql: `${operand(l)} IS NOT NULL`, ty: "bool", atom: false }; continue; }
      const not = t.value === "NOT" ? 1 : 0;
      const w = this.peek(not);
      if (w.kind !== "word") return l;
      if (w.value === "IN") { this.pos += not + 1; l = this.inList(l, !!not, scope); continue; }
      if (w.value === "BETWEEN") {
        this.pos += not + 1;
        const lo = this.coerceLiteral(this.relational(scope), l);
        this.expectWord("AND");
        const hi = this.coerceLiteral(this.relational(scope), l);
        this.noTimeComparison(l, lo, hi);
        const collate = [l, lo, hi].some((o) => o.ty === "text") ? ' COLLATE "C"' : "";
        l = { sql: `${operand(l)}${collate} ${not ? "NOT " : ""}BETWEEN ${operand(lo)} AND ${operand(hi)}`, ty: "bool", atom: false };
        continue;
      }
      if (w.value === "LIKE" || w.value === "GLOB") { this.pos += not + 1; l = this.like(l, w.value, !!not, scope); continue; }
      if (w.value === "MATCH" || w.value === "REGEXP") refuse(`${w.value} has no portable PostgreSQL equivalent`);
      return l;
    }
  }

  /** SQLite applies column affinity to the other operand of a comparison. */
  private coerceLiteral(lit: Out, other: Out): Out {
    if (!lit.lit) return lit;
    if (other.ty === "bool" && (lit.lit.kind === "int" || lit.lit.kind === "string")) {
      const v = lit.lit.value.toLowerCase();
      if (v === "1" || v === "0") return { ...lit, sql: v === "1" ? "true" : "false", ty: "bool" };
      if (lit.lit.kind === "string" && (v === "t" || v === "f" || v === "true" || v === "false")) return { ...lit, sql: v[0] === "t" ? "true" : "false", ty: "bool" };
      refuse(`comparison of a boolean column with ${lit.sql}`);
    }
    if (other.ty === "text" && (lit.lit.kind === "int" || lit.lit.kind === "float")) {
      if (!hasAffinity(other)) refuse(`comparison of ${other.sql} (text, no column affinity) with the number ${lit.sql}: SQLite never finds a number equal to text, PostgreSQL converts`);
      if (lit.lit.kind === "float") refuse(`comparison of a text column with the real number ${lit.sql}: SQLite compares with its text rendering`);
      return { ...lit, sql: quoteLiteral(lit.lit.value), ty: "text" };
    }
    if (lit.lit.kind === "string" && (other.ty === "int" || other.ty === "float" || other.ty === "numeric") && !hasAffinity(other)) {
      refuse(`comparison of ${other.sql} (a number, no column affinity) with the text ${lit.sql}: SQLite never finds text equal to a number, PostgreSQL converts the text`);
    }
    return lit;
  }

  /**
   * SQLite stores dates as text and compares them character by character
   * ('1997-12-31 00:00:00.000' > '1997-12-31 00:00:00'); PostgreSQL compares
   * instants. The results differ as soon as values are stored in more than one
   * format, so comparisons involving a date/time column are refused.
   */
  private noTimeComparison(...os: Out[]): void {
    const t = os.find((o) => o.ty === "time");
    if (t) refuse(`comparison involving ${t.sql} (a date/time in PostgreSQL): SQLite compares the stored text character by character, PostgreSQL compares instants; results differ when the text has another format (e.g. '1997-12-31 00:00:00.000' vs '1997-12-31')`);
  }

  private compare(l: Out, op: string, r: Out): Out {
    this.noTimeComparison(l, r);
    const ll = this.coerceLiteral(l, r);
    const rr = this.coerceLiteral(r, l);
    // SQLite orders text bytewise (BINARY); so does PostgreSQL's "C" collation, whatever the database default.
    const collate = op !== "=" && op !== "<>" && (ll.ty === "text" || rr.ty === "text") ? ' COLLATE "C"' : "";
    return { sql: `${operand(ll)}${collate} ${op} ${operand(rr)}`, ty: "bool", atom: false };
  }

  private inList(l: Out, not: boolean, scope?: Scope): Out {
    if (!this.isOp("(")) refuse("IN with a table name is not portable");
    this.pos++;
    if (this.isWord("SELECT") || this.isWord("WITH") || this.isWord("VALUES")) {
      this.noTimeComparison(l);
      const q = this.select(scope);
      this.expectOp(")");
      return { sql: `${operand(l)} ${not ? "NOT " : ""}IN (${q})`, ty: "bool", atom: false };
    }
    const items: string[] = [];
    if (!this.isOp(")")) {
      do {
        const e = this.expr(scope);
        this.noTimeComparison(l, e);
        items.push(this.coerceLiteral(e, l).sql);
      } while (this.acceptOp(","));
    }
    this.expectOp(")");
    // SQLite: x IN () is false, x NOT IN () is true; PostgreSQL refuses the empty list.
    if (items.length === 0) return { sql: not ? "true" : "false", ty: "bool", atom: true };
    return { sql: `${operand(l)} ${not ? "NOT " : ""}IN (${items.join(", ")})`, ty: "bool", atom: false };
  }

  private like(l: Out, op: "LIKE" | "GLOB", not: boolean, scope?: Scope): Out {
    const pat = this.relational(scope);
    let esc: Out | undefined;
    if (this.acceptWord("ESCAPE")) esc = this.relational(scope);
    if (pat.lit?.kind !== "string") refuse(`${op} with a non-literal pattern is not portable (case rules differ)`);
    const p = pat.lit.value;
    if (op === "GLOB") {
      if (esc) refuse("GLOB does not take ESCAPE");
      if (/[[\]]/.test(p)) refuse(`GLOB character classes in ${pat.sql} are not translated`);
      // GLOB is case-sensitive with * and ?; LIKE with an explicit escape is the same.
      const likePat = p.replace(/[\\%_]/g, (m) => `\\${m}`).replace(/\*/g, "%").replace(/\?/g, "_");
      return { sql: `${operand(l)} ${not ? "NOT " : ""}LIKE ${quoteLiteral(likePat)}${/\\/.test(likePat) ? ` ESCAPE '\\'` : ""}`, ty: "bool", atom: false };
    }
    // https://www.sqlite.org/lang_expr.html#like: case-insensitive for ASCII letters only, no default escape.
    if (/[^\x00-\x7f]/.test(p)) refuse(`LIKE pattern ${pat.sql} has non-ASCII characters: SQLite matches them case-sensitively, ILIKE does not`);
    let escSql = "";
    if (esc) {
      if (esc.lit?.kind !== "string" || [...esc.lit.value].length !== 1) refuse("LIKE ESCAPE must be a single-character literal");
      escSql = ` ESCAPE ${esc.sql}`;
    } else if (p.includes("\\")) {
      escSql = " ESCAPE ''";
    }
    return { sql: `${operand(l)} ${not ? "NOT " : ""}ILIKE ${pat.sql}${escSql}`, ty: "bool", atom: false };
  }

  private relational(scope?: Scope): Out {
    let l = this.bitwise(scope);
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && (t.value === "<" || t.value === "<=" || t.value === ">" || t.value === ">=")) {
        this.pos++;
        const r = this.bitwise(scope);
        l = this.compare(l, t.value, r);
        continue;
      }
      return l;
    }
  }

  private bitwise(scope?: Scope): Out {
    let l = this.additive(scope);
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && ["&", "|", "<<", ">>"].includes(t.value)) {
        this.pos++;
        const r = this.additive(scope);
        if (!(isIntLike(l) && isIntLike(r))) refuse(`bitwise ${t.value} needs integer operands of known type`);
        l = { sql: `${operand(l)} ${t.value === "|" ? "|" : t.value} ${operand(r)}`, ty: "int", atom: false };
        continue;
      }
      return l;
    }
  }

  private additive(scope?: Scope): Out {
    let l = this.multiplicative(scope);
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && (t.value === "+" || t.value === "-")) {
        this.pos++;
        const r = this.multiplicative(scope);
        for (const o of [l, r]) if (o.ty === "text" || o.lit?.kind === "string") refuse(`"${t.value}" on text: SQLite converts the text to a number, PostgreSQL does not`);
        l = { sql: `${operand(l)} ${t.value} ${operand(r)}`, ty: arith(l.ty, r.ty), atom: false };
        continue;
      }
      return l;
    }
  }

  private multiplicative(scope?: Scope): Out {
    let l = this.concat(scope);
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && (t.value === "*" || t.value === "/" || t.value === "%")) {
        this.pos++;
        const r = this.concat(scope);
        for (const o of [l, r]) if (o.ty === "text" || o.lit?.kind === "string") refuse(`"${t.value}" on text: SQLite converts the text to a number, PostgreSQL does not`);
        if (t.value === "/") {
          const floaty = (o: Out) => o.ty === "float" || o.lit?.kind === "float";
          if (!(floaty(l) || floaty(r) || (isIntLike(l) && isIntLike(r)))) {
            refuse(`division ${this.describe(l)} / ${this.describe(r)}: SQLite truncates when both values are stored as integers (decided row by row), PostgreSQL decides by type; give column types or make one side real (e.g. 100.0)`);
          }
        }
        if (t.value === "%" && !(isIntLike(l) && isIntLike(r))) refuse("% on non-integer operands: SQLite converts them to integers first");
        // SQLite yields NULL for x / 0 and x % 0; PostgreSQL raises an error.
        const nonZeroLiteral = (r.lit?.kind === "int" || r.lit?.kind === "float") && Number(r.lit.value) !== 0;
        const divisor = t.value === "*" || nonZeroLiteral ? operand(r) : `nullif(${r.sql}, 0)`;
        l = { sql: `${operand(l)} ${t.value} ${divisor}`, ty: t.value === "%" ? "int" : arith(l.ty, r.ty), atom: false };
        continue;
      }
      return l;
    }
  }

  private describe(o: Out): string {
    return `${o.sql} (${o.ty === "unknown" ? "type unknown" : o.ty})`;
  }

  private concat(scope?: Scope): Out {
    let l = this.collate(scope);
    for (;;) {
      if (this.acceptOp("||")) {
        const r = this.collate(scope);
        for (const o of [l, r]) {
          if (["float", "numeric", "bool", "blob", "time", "json"].includes(o.ty) || o.lit?.kind === "float" || o.lit?.kind === "blob") {
            refuse(`"||" on ${this.describe(o)}: SQLite renders it as text differently from PostgreSQL`);
          }
        }
        const txt = (o: Out) => (o.ty === "int" ? `CAST(${o.sql} AS text)` : operand(o));
        l = { sql: `${txt(l)} || ${txt(r)}`, ty: "text", atom: false };
        continue;
      }
      if (this.isOp("->") || this.isOp("->>")) refuse("JSON operators -> and ->> take SQLite JSON paths; not portable");
      return l;
    }
  }

  private collate(scope?: Scope): Out {
    let e = this.unary(scope);
    while (this.acceptWord("COLLATE")) {
      const t = this.next();
      const c = this.identName(t).toUpperCase();
      if (c === "BINARY") e = { ...e, sql: `${operand(e)} COLLATE "C"`, atom: false, lit: undefined, col: undefined };
      else refuse(`COLLATE ${c} has no built-in PostgreSQL equivalent`);
    }
    return e;
  }

  private unary(scope?: Scope): Out {
    const t = this.peek();
    if (t.kind === "op" && (t.value === "-" || t.value === "+" || t.value === "~")) {
      this.pos++;
      const e = this.unary(scope);
      if (t.value === "+") return { ...e, col: undefined, cast: undefined }; // +x has no affinity in SQLite
      if (t.value === "~") {
        if (!isIntLike(e)) refuse("~ needs an integer operand of known type");
        return { sql: `~${operand(e)}`, ty: "int", atom: false };
      }
      if (e.ty === "text" || e.lit?.kind === "string") refuse("unary minus on text is not portable");
      if (e.lit && (e.lit.kind === "int" || e.lit.kind === "float")) {
        const v = e.lit.value.startsWith("-") ? e.lit.value.slice(1) : `-${e.lit.value}`;
        return { sql: v, ty: e.ty, atom: !v.startsWith("-") || true, lit: { kind: e.lit.kind, value: v } };
      }
      return { sql: `-${operand(e)}`, ty: e.ty, atom: false };
    }
    return this.primary(scope);
  }

  private primary(scope?: Scope): Out {
    const t = this.next();
    switch (t.kind) {
      case "number": return numberLiteral(t.value);
      case "string":
        if (t.value.includes("\u0000")) refuse("string literal contains NUL");
        return { sql: quoteLiteral(t.value), ty: "text", atom: true, lit: { kind: "string", value: t.value } };
      case "blob": return { sql: `'\\x${t.value}'::bytea`, ty: "blob", atom: true, lit: { kind: "blob", value: t.value } };
      case "param": refuse(`bound parameter ${t.text} in a schema expression`);
      case "op":
        if (t.value === "(") {
          if (this.isWord("SELECT") || this.isWord("WITH") || this.isWord("VALUES")) {
            const q = this.select(scope);
            this.expectOp(")");
            return { sql: `(${q})`, ty: "unknown", atom: true };
          }
          const e = this.expr(scope);
          if (this.isOp(",")) refuse("row values are not translated");
          this.expectOp(")");
          return e.atom ? e : { ...e, sql: `(${e.sql})`, atom: true };
        }
        if (t.value === "*") refuse("unexpected *");
        this.pos--;
        return this.unexpected("an expression");
      case "ident":
        if (this.doubleQuotedAreStrings && t.text.startsWith('"')) {
          return { sql: quoteLiteral(t.value), ty: "text", atom: true, lit: { kind: "string", value: t.value } };
        }
        return this.columnRef(t, scope);
      case "word": return this.wordExpr(t, scope);
      case "eof": this.pos--; return this.unexpected("an expression");
    }
  }

  private columnRef(first: Tok, scope?: Scope): Out {
    const parts = [this.identName(first)];
    while (this.isOp(".")) {
      this.pos++;
      const t = this.next();
      if (!(t.kind === "ident" || t.kind === "word")) { this.pos--; this.unexpected("a name after ."); }
      parts.push(this.identName(t));
    }
    if (parts.length > 3) refuse(`name ${parts.join(".")} has too many parts`);
    if (parts.length === 3) {
      if (parts[0].toLowerCase() !== "main") refuse(`reference to attached database ${JSON.stringify(parts[0])}`);
      parts.shift();
    }
    const col = parts[parts.length - 1];
    if (["rowid", "_rowid_", "oid"].includes(col.toLowerCase()) && first.kind === "word" && this.columnType(parts, scope) === "unknown" && this.types.size > 0) {
      refuse(`${col} is SQLite's implicit row id; PostgreSQL has none`);
    }
    const ty = this.columnType(parts, scope);
    const { ref, table } = this.canonicalRef(parts, scope);
    const sql = ref.length === 2 ? `${this.qualifierName(ref[0], scope)}.${this.colName(ref[1], table)}` : this.colName(ref[0], table);
    return { sql, ty, atom: true, col };
  }

  private wordExpr(t: Tok, scope?: Scope): Out {
    const w = t.value;
    if (this.isOp("(") && !["NOT", "EXISTS", "CAST", "CASE"].includes(w)) return this.call(t, scope);
    switch (w) {
      case "NULL": return { sql: "NULL", ty: "null", atom: true, lit: { kind: "null", value: "NULL" } };
      case "TRUE": return { sql: "true", ty: "bool", atom: true, lit: { kind: "bool", value: "1" } };
      case "FALSE": return { sql: "false", ty: "bool", atom: true, lit: { kind: "bool", value: "0" } };
      case "CURRENT_TIMESTAMP": return { sql: "now()", ty: "time", atom: true };
      case "CURRENT_DATE": return { sql: UTC_DATE, ty: "time", atom: true };
      case "CURRENT_TIME": return { sql: UTC_TIME, ty: "time", atom: true };
      case "CAST": return this.cast(scope);
      case "CASE": return this.caseExpr(scope);
      case "EXISTS": {
        this.expectOp("(");
        const q = this.select(scope);
        this.expectOp(")");
        return { sql: `EXISTS (${q})`, ty: "bool", atom: true };
      }
      case "RAISE": refuse("RAISE() only exists in SQLite triggers");
      default:
        if (RESERVED_AFTER_EXPR.has(w)) { this.pos--; return this.unexpected("an expression"); }
        return this.columnRef(t, scope);
    }
  }

  private cast(scope?: Scope): Out {
    this.expectOp("(");
    const e = this.expr(scope);
    this.expectWord("AS");
    const words: string[] = [];
    for (let depth = 0; (depth > 0 || !this.isOp(")")) && this.peek().kind !== "eof";) {
      const w = this.next();
      if (w.kind === "op" && w.value === "(") depth++;
      if (w.kind === "op" && w.value === ")") depth--;
      words.push(w.text);
    }
    this.expectOp(")");
    const type = words.join(" ").toUpperCase();
    // https://www.sqlite.org/datatype3.html#determination_of_column_affinity
    if (/INT/.test(type)) {
      if (e.ty === "int") return { sql: `CAST(${e.sql} AS bigint)`, ty: "int", atom: true, cast: true };
      if (e.ty === "bool") refuse("CAST of a boolean to INTEGER");
      // SQLite truncates toward zero; PostgreSQL's cast rounds.
      return { sql: `CAST(trunc(CAST(${e.sql} AS numeric)) AS bigint)`, ty: "int", atom: true, cast: true };
    }
    if (/CHAR|CLOB|TEXT/.test(type)) {
      if (!(e.ty === "text" || e.ty === "int" || e.lit?.kind === "string" || e.lit?.kind === "int" || e.ty === "null")) {
        refuse(`CAST(${e.sql} AS TEXT) of a ${e.ty} value: SQLite's text rendering differs`);
      }
      return { sql: `CAST(${e.sql} AS text)`, ty: "text", atom: true, cast: true };
    }
    if (type === "" || /BLOB/.test(type)) refuse("CAST to BLOB is not translated");
    if (/REAL|FLOA|DOUB/.test(type)) {
      if (e.ty === "bool") refuse("CAST of a boolean to REAL");
      return { sql: `CAST(${e.sql} AS double precision)`, ty: "float", atom: true, cast: true };
    }
    refuse(`CAST to ${type} (NUMERIC affinity) yields integer or real depending on the value in SQLite`);
  }

  private caseExpr(scope?: Scope): Out {
    let base: Out | undefined;
    if (!this.isWord("WHEN")) base = this.expr(scope);
    const parts: string[] = ["CASE"];
    if (base) parts.push(base.sql);
    const results: Out[] = [];
    if (!this.isWord("WHEN")) this.unexpected("WHEN");
    while (this.acceptWord("WHEN")) {
      let w = this.expr(scope);
      if (!base) w = cond(w);
      if (base) w = this.coerceLiteral(w, base);
      this.expectWord("THEN");
      const r = this.expr(scope);
      results.push(r);
      parts.push(`WHEN ${w.sql} THEN ${r.sql}`);
    }
    if (this.acceptWord("ELSE")) { const r = this.expr(scope); results.push(r); parts.push(`ELSE ${r.sql}`); }
    this.expectWord("END");
    parts.push("END");
    oneClass("CASE", results);
    const tys = new Set<Ty>(results.map((r) => r.ty).filter((x) => x !== "null"));
    const ty: Ty = tys.size === 1 ? [...tys][0] : [...tys].every((t) => t === "int" || t === "float" || t === "numeric") ? [...tys].reduce((x, y) => arith(x, y)) : "unknown";
    return { sql: parts.join(" "), ty, atom: true };
  }

  private args(scope?: Scope): { list: Out[]; distinct: boolean; star: boolean } {
    this.expectOp("(");
    const list: Out[] = [];
    let distinct = false;
    let star = false;
    if (this.acceptOp("*")) star = true;
    else if (!this.isOp(")")) {
      distinct = this.acceptWord("DISTINCT");
      do { list.push(this.expr(scope)); } while (this.acceptOp(","));
    }
    if (this.isWord("ORDER")) refuse("ORDER BY inside an aggregate call is not translated");
    this.expectOp(")");
    if (this.isWord("FILTER")) refuse("aggregate FILTER clauses are not translated");
    if (this.isWord("OVER")) refuse("window functions are not translated");
    return { list, distinct, star };
  }

  private call(nameTok: Tok, scope?: Scope): Out {
    const fn = nameTok.value.toLowerCase();
    const { list: a, distinct, star } = this.args(scope);
    const arity = (...ok: number[]) => { if (!ok.includes(a.length)) refuse(`${fn}() with ${a.length} arguments`); };
    const s = (i: number) => a[i].sql;
    const f = (name: string, ty: Ty): Out => ({ sql: `${name}(${a.map((x) => x.sql).join(", ")})`, ty, atom: true });
    if (distinct && !["count", "sum", "avg", "min", "max", "group_concat", "total"].includes(fn)) refuse(`DISTINCT in ${fn}()`);
    const d = distinct ? "DISTINCT " : "";
    switch (fn) {
      // aggregates
      case "count":
        if (star) return { sql: "count(*)", ty: "int", atom: true };
        arity(1);
        return { sql: `count(${d}${s(0)})`, ty: "int", atom: true };
      case "sum": arity(1); return { sql: `sum(${d}${s(0)})`, ty: a[0].ty === "float" ? "float" : "numeric", atom: true };
      case "avg": arity(1); return { sql: `avg(${d}${s(0)})`, ty: "float", atom: true };
      case "total": arity(1); return { sql: `CAST(coalesce(sum(${d}${s(0)}), 0) AS double precision)`, ty: "float", atom: true };
      case "min": case "max":
        if (a.length !== 1) refuse(`multi-argument ${fn}() returns NULL when any argument is NULL in SQLite; ${fn === "max" ? "greatest" : "least"}() ignores NULLs`);
        return { sql: `${fn}(${d}${a[0].ty === "text" ? `${operand(a[0])} COLLATE "C"` : s(0)})`, ty: a[0].ty, atom: true };
      case "group_concat": case "string_agg": {
        arity(1, 2);
        if (!["text", "int", "unknown"].includes(a[0].ty) || (a[0].ty === "unknown" && a[0].lit && a[0].lit.kind !== "string")) refuse(`${fn}() of ${this.describe(a[0])}`);
        const sep = a.length === 2 ? a[1].sql : "','";
        return { sql: `string_agg(${d}CAST(${s(0)} AS text), ${sep})`, ty: "text", atom: true };
      }
      // scalar, same name and meaning
      case "abs": arity(1); return f("abs", a[0].ty);
      case "coalesce": if (a.length < 2) refuse("coalesce() needs two arguments"); oneClass("coalesce()", a); return f("coalesce", a.find((x) => x.ty !== "null")?.ty ?? "unknown");
      case "ifnull": arity(2); oneClass("ifnull()", a); return { ...f("coalesce", a[0].ty), ty: a[0].ty };
      case "nullif": arity(2); oneClass("nullif()", a); return f("nullif", a[0].ty);
      case "lower": case "upper":
        arity(1);
        // SQLite folds ASCII letters only; PostgreSQL does so under the "C" collation (others fold all of Unicode).
        return { sql: `${fn}(${operand(a[0])} COLLATE "C")`, ty: "text", atom: true };
      case "length":
        arity(1);
        if (!["text", "blob", "unknown", "null"].includes(a[0].ty)) refuse(`length() of ${this.describe(a[0])}: SQLite measures its text rendering`);
        return f("length", "int");
      case "replace":
        arity(3);
        // SQLite returns X unchanged for an empty pattern even when the replacement is NULL; PostgreSQL's replace() is strict.
        if (a[1].lit?.kind === "string" && a[1].lit.value !== "") return f("replace", "text");
        if (a[1].lit?.kind === "string") {
          if (a[0].ty === "text" || a[0].lit?.kind === "string" || a[0].ty === "null") return { ...a[0], col: undefined, cast: undefined };
          if (a[0].ty === "int") return { sql: `CAST(${a[0].sql} AS text)`, ty: "text", atom: true };
          refuse(`replace() of ${this.describe(a[0])}: SQLite returns its text rendering`);
        }
        return { sql: `CASE WHEN ${operand(a[1])} = '' THEN ${s(0)} ELSE replace(${a.map((x) => x.sql).join(", ")}) END`, ty: "text", atom: true };
      case "trim": case "ltrim": case "rtrim":
        arity(1, 2);
        return { sql: `${a.length === 2 && fn === "trim" ? "btrim" : fn}(${a.map((x) => x.sql).join(", ")})`, ty: "text", atom: true };
      case "instr": arity(2); return f("strpos", "int");
      case "substr": case "substring": {
        arity(2, 3);
        const start = a[1].lit;
        if (!(start && start.kind === "int" && !start.value.startsWith("-"))) refuse(`${fn}() with a start that is not a non-negative integer literal (SQLite counts negative starts from the end)`);
        if (a[2]?.lit && a[2].lit.value.startsWith("-")) refuse(`${fn}() with a negative length`);
        if (a[0].ty === "blob") refuse(`${fn}() of a blob`);
        return f("substr", "text");
      }
      case "round": {
        arity(1, 2);
        if (a[1] && !(a[1].lit?.kind === "int")) refuse("round() with a non-literal precision");
        // SQLite rounds half away from zero and returns REAL; so does numeric's round().
        return { sql: `CAST(round(CAST(${s(0)} AS numeric)${a[1] ? `, ${s(1)}` : ""}) AS double precision)`, ty: "float", atom: true };
      }
      case "sign": arity(1); return f("sign", a[0].ty);
      case "iif": arity(3); oneClass("iif()", [a[1], a[2]]); return { sql: `CASE WHEN ${cond(a[0]).sql} THEN ${a[1].sql} ELSE ${a[2].sql} END`, ty: a[1].ty, atom: true };
      case "likely": case "unlikely": arity(1); return a[0];
      case "random":
        arity(0);
        // SQLite: a random signed 64-bit integer; PostgreSQL's random() is a double in [0, 1).
        return { sql: "CAST(floor(CAST(random() AS numeric) * 18446744073709551616) - 9223372036854775808 AS bigint)", ty: "int", atom: true };
      case "datetime": case "date": case "time": case "strftime": case "unixepoch": case "julianday":
        return this.timeCall(fn, a);
      case "json_valid": refuse("json_valid() has no PostgreSQL equivalent; the caller drops the check when the column is jsonb");
      case "typeof": refuse("typeof() reports SQLite storage classes, which PostgreSQL does not have");
      default:
        refuse(`function ${fn}() is not translated`);
    }
  }

  private timeCall(fn: string, a: Out[]): Out {
    const strs = a.map((x) => (x.lit?.kind === "string" ? x.lit.value : undefined));
    let fmt: string | undefined;
    let rest = strs;
    if (fn === "strftime") {
      fmt = strs[0];
      if (fmt === undefined) refuse("strftime() with a non-literal format");
      rest = strs.slice(1);
    }
    const args = rest.length === 0 ? ["now"] : rest;
    if (args.some((x) => x === undefined)) refuse(`${fn}() of a column value: the stored text and PostgreSQL's date types do not compare alike`);
    const [value, ...mods] = args as string[];
    if (value.toLowerCase() !== "now") {
      if (mods.length === 0 && (fn === "datetime" || fn === "date") && /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/.test(value)) {
        // A constant: SQLite yields canonical text, which compares with both text and timestamps.
        const full = fn === "date" ? value.slice(0, 10) : value.length === 10 ? `${value} 00:00:00` : value.length === 16 ? `${value}:00` : value;
        return { sql: quoteLiteral(full), ty: "unknown", atom: true, lit: { kind: "string", value: full } };
      }
      refuse(`${fn}(${a.map((x) => x.sql).join(", ")}) is not translated`);
    }
    if (mods.length > 0) {
      if (mods.length === 1 && mods[0].toLowerCase() === "localtime") {
        refuse(`${fn}('now', 'localtime') is the wall-clock time of the machine that wrote the row; use now() with --source-timezone set to that machine's zone`);
      }
      refuse(`${fn}('now', ${mods.map((m) => quoteLiteral(m)).join(", ")}): modifiers are not translated`);
    }
    switch (fn) {
      case "datetime": return { sql: "now()", ty: "time", atom: true };
      case "date": return { sql: UTC_DATE, ty: "time", atom: true };
      case "time": return { sql: UTC_TIME, ty: "time", atom: true };
      case "unixepoch": return { sql: EPOCH_SECONDS, ty: "int", atom: true };
      case "julianday": refuse("julianday() is not translated");
    }
    if (fmt && NOW_FULL_FORMATS.has(fmt)) return { sql: "now()", ty: "time", atom: true };
    if (fmt === "%Y-%m-%d") return { sql: UTC_DATE, ty: "time", atom: true };
    if (fmt === "%s") return { sql: EPOCH_SECONDS, ty: "int", atom: true };
    return refuse(`strftime(${quoteLiteral(fmt ?? "")}, 'now') is not translated`);
  }

  // --- SELECT
  select(outer?: Scope): string {
    const parts: string[] = [];
    if (this.acceptWord("WITH")) {
      if (this.acceptWord("RECURSIVE")) refuse("recursive CTEs are not translated");
      const ctes: string[] = [];
      const cteScope: Scope = { tables: new Map(), parent: outer };
      do {
        const n = this.next();
        if (!this.isIdentTok(n)) { this.pos--; this.unexpected("a CTE name"); }
        let cols = "";
        if (this.acceptOp("(")) {
          const cs: string[] = [];
          do { cs.push(this.name(this.identName(this.next()))); } while (this.acceptOp(","));
          this.expectOp(")");
          cols = ` (${cs.join(", ")})`;
        }
        this.expectWord("AS");
        if (this.isWord("MATERIALIZED") || this.isWord("NOT")) refuse("MATERIALIZED CTE hints are not translated");
        this.expectOp("(");
        const q = this.select(cteScope);
        this.expectOp(")");
        ctes.push(`${this.name(this.identName(n))}${cols} AS (${q})`);
        cteScope.tables.set(this.identName(n).toLowerCase(), { spelling: this.identName(n) });
      } while (this.acceptOp(","));
      outer = cteScope;
      parts.push(`WITH ${ctes.join(", ")}`);
    }
    const ops: string[] = [];
    const cores: string[] = [this.selectCore(outer, true)];
    for (;;) {
      let op: string | undefined;
      if (this.acceptWord("UNION")) op = this.acceptWord("ALL") ? "UNION ALL" : "UNION";
      else if (this.acceptWord("INTERSECT")) op = "INTERSECT";
      else if (this.acceptWord("EXCEPT")) op = "EXCEPT";
      if (!op) break;
      ops.push(op);
      cores.push(this.selectCore(outer, false));
    }
    // SQLite evaluates compound operators left to right; PostgreSQL binds INTERSECT tighter.
    if (ops.includes("INTERSECT") && ops.some((o) => o !== "INTERSECT")) refuse("INTERSECT mixed with UNION/EXCEPT groups differently in PostgreSQL");
    let body = cores[0];
    ops.forEach((op, i) => { body += ` ${op} ${cores[i + 1]}`; });
    parts.push(body);
    if (this.acceptWord("ORDER")) {
      this.expectWord("BY");
      const order = this.orderTerms(this.lastScope ?? outer);
      if (order.collated && (ops.length > 0 || this.lastDistinct)) {
        // PostgreSQL accepts only output column names in the ORDER BY of a compound or DISTINCT select: order the result from outside.
        const inner = parts.join(" ");
        parts.length = 0;
        parts.push(`SELECT * FROM (${inner}) AS ${quoteIdent("ordered")} ORDER BY ${order.sql}`);
      } else {
        parts.push(`ORDER BY ${order.sql}`);
      }
    }
    if (this.acceptWord("LIMIT")) {
      const x = this.expr(outer);
      let limit = x.sql;
      let offset: string | undefined;
      if (this.acceptOp(",")) { offset = x.sql; limit = this.expr(outer).sql; } else if (this.acceptWord("OFFSET")) offset = this.expr(outer).sql;
      if (/^-\d+$/.test(limit)) limit = "ALL";
      parts.push(`LIMIT ${limit}${offset ? ` OFFSET ${offset}` : ""}`);
    }
    return parts.join(" ");
  }

  private lastScope?: Scope;
  private lastDistinct = false;

  private orderTerms(scope?: Scope): { sql: string; collated: boolean } {
    const terms: string[] = [];
    let collated = false;
    do {
      let e = this.expr(scope);
      // ORDER BY 2 is a column position in both dialects; text orders bytewise as in SQLite.
      if (e.ty === "text" && !e.lit) { e = { ...e, sql: `${operand(e)} COLLATE "C"` }; collated = true; }
      let dir = "ASC";
      if (this.acceptWord("DESC")) dir = "DESC"; else this.acceptWord("ASC");
      let nulls = dir === "ASC" ? "NULLS FIRST" : "NULLS LAST"; // SQLite: NULLs are the smallest values
      if (this.acceptWord("NULLS")) nulls = this.acceptWord("FIRST") ? "NULLS FIRST" : (this.expectWord("LAST"), "NULLS LAST");
      terms.push(`${e.sql} ${dir} ${nulls}`);
    } while (this.acceptOp(","));
    return { sql: terms.join(", "), collated };
  }

  private selectCore(outer: Scope | undefined, first: boolean): string {
    if (this.acceptWord("VALUES")) {
      const rows: string[] = [];
      do {
        this.expectOp("(");
        const vs: string[] = [];
        do { vs.push(this.expr(outer).sql); } while (this.acceptOp(","));
        this.expectOp(")");
        rows.push(`(${vs.join(", ")})`);
      } while (this.acceptOp(","));
      return `VALUES ${rows.join(", ")}`;
    }
    this.expectWord("SELECT");
    let head = "SELECT";
    const distinct = this.acceptWord("DISTINCT");
    if (distinct) head += " DISTINCT"; else this.acceptWord("ALL");
    // Result columns reference the FROM clause that follows them: parse FROM first.
    const colStart = this.pos;
    this.skipToClause();
    const scope: Scope = { tables: new Map(), parent: outer };
    let from = "";
    if (this.acceptWord("FROM")) from = ` FROM ${this.fromClause(scope)}`;
    const afterFrom = this.pos;
    this.pos = colStart;
    const cols = this.resultColumns(scope, first);
    if (!(this.isWord("FROM") || this.peek().kind === "eof" || this.atClauseEnd())) this.unexpected();
    this.pos = afterFrom;
    let tail = "";
    if (this.acceptWord("WHERE")) tail += ` WHERE ${cond(this.expr(scope)).sql}`;
    if (this.acceptWord("GROUP")) {
      this.expectWord("BY");
      const gs: string[] = [];
      do { gs.push(this.expr(scope).sql); } while (this.acceptOp(","));
      tail += ` GROUP BY ${gs.join(", ")}`;
    }
    if (this.acceptWord("HAVING")) tail += ` HAVING ${cond(this.expr(scope)).sql}`;
    if (this.isWord("WINDOW")) refuse("WINDOW clauses are not translated");
    // Set last, after any nested SELECT: the caller's ORDER BY belongs to this core.
    this.lastScope = scope;
    this.lastDistinct = distinct;
    return `${head} ${cols}${from}${tail}`;
  }

  private atClauseEnd(): boolean {
    const t = this.peek();
    return t.kind === "eof" || (t.kind === "op" && (t.value === ")" || t.value === ";")) ||
      (t.kind === "word" && ["WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "INTERSECT", "EXCEPT", "WINDOW"].includes(t.value));
  }

  /** Moves past the result columns to FROM (or the end of the core) at depth 0. */
  private skipToClause(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === "eof") return;
      if (t.kind === "op" && t.value === "(") { depth++; this.pos++; continue; }
      if (t.kind === "op" && t.value === ")") { if (depth === 0) return; depth--; this.pos++; continue; }
      if (depth === 0 && (t.kind === "word" && t.value === "FROM")) return;
      if (depth === 0 && this.atClauseEnd()) return;
      this.pos++;
    }
  }

  /** `nameColumns`: in the first (or only) SELECT of a compound, the one that names the view's columns. */
  private resultColumns(scope: Scope, nameColumns: boolean): string {
    const cols: string[] = [];
    do {
      if (this.acceptOp("*")) { cols.push("*"); continue; }
      if (this.isIdentTok(this.peek()) && this.isOp(".", 1) && this.isOp("*", 2)) {
        const t = this.next();
        this.pos += 2;
        cols.push(`${this.qualifierName(this.identName(t), scope)}.*`);
        continue;
      }
      const start = this.peek().start;
      const e = this.expr(scope);
      const end = this.toks[this.pos - 1].end;
      let alias: string | undefined;
      if (this.acceptWord("AS")) alias = this.aliasName();
      else if (this.isIdentTok(this.peek()) || this.peek().kind === "string") alias = this.aliasName();
      if (alias !== undefined) cols.push(`${e.sql} AS ${this.name(alias)}`);
      else if (e.col !== undefined || !nameColumns) cols.push(e.sql);
      else {
        // SQLite names an unaliased expression column by its text; keep that name.
        const text = this.src.slice(start, end);
        cols.push(Buffer.byteLength(text, "utf8") <= 63 ? `${e.sql} AS ${quoteIdent(text)}` : e.sql);
      }
    } while (this.acceptOp(","));
    return cols.join(", ");
  }

  private aliasName(): string {
    const t = this.next();
    if (t.kind === "string" || t.kind === "ident" || t.kind === "word") return t.kind === "word" ? t.text : t.value;
    this.pos--;
    return this.unexpected("an alias");
  }

  private fromClause(scope: Scope): string {
    let out = this.tableOrSubquery(scope);
    for (;;) {
      if (this.acceptOp(",")) { out += `, ${this.tableOrSubquery(scope)}`; continue; }
      let join = "";
      if (this.acceptWord("NATURAL")) join = "NATURAL ";
      if (this.acceptWord("LEFT")) { this.acceptWord("OUTER"); join += "LEFT JOIN"; }
      else if (this.acceptWord("RIGHT")) { this.acceptWord("OUTER"); join += "RIGHT JOIN"; }
      else if (this.acceptWord("FULL")) { this.acceptWord("OUTER"); join += "FULL JOIN"; }
      else if (this.acceptWord("INNER")) join += "JOIN";
      else if (this.acceptWord("CROSS")) join += "CROSS JOIN";
      if (!this.acceptWord("JOIN")) {
        if (join) this.unexpected("JOIN");
        return out;
      }
      if (!join || join === "NATURAL ") join += "JOIN";
      const right = this.tableOrSubquery(scope);
      out += ` ${join} ${right}`;
      if (this.acceptWord("ON")) out += ` ON ${cond(this.expr(scope)).sql}`;
      else if (this.acceptWord("USING")) {
        this.expectOp("(");
        const cs: string[] = [];
        do { cs.push(this.colName(this.identName(this.next()))); } while (this.acceptOp(","));
        this.expectOp(")");
        out += ` USING (${cs.join(", ")})`;
      } else if (!join.startsWith("NATURAL") && join !== "CROSS JOIN") {
        // SQLite allows a JOIN without ON (a cross join); PostgreSQL requires one.
        out = out.replace(new RegExp(`${join} ${escapeRegExp(right)}$`), `CROSS JOIN ${right}`);
      }
    }
  }

  private tableOrSubquery(scope: Scope): string {
    if (this.acceptOp("(")) {
      if (this.isWord("SELECT") || this.isWord("WITH") || this.isWord("VALUES")) {
        const q = this.select(scope.parent);
        this.expectOp(")");
        const alias = this.tableAlias();
        if (alias === undefined) return `(${q}) AS ${quoteIdent(`subquery_${this.pos}`)}`; // PostgreSQL 16 requires an alias
        scope.tables.set(alias.toLowerCase(), { spelling: alias });
        return `(${q}) AS ${this.name(alias)}`;
      }
      const inner = this.fromClause(scope);
      this.expectOp(")");
      return `(${inner})`;
    }
    const t = this.next();
    if (!this.isIdentTok(t)) { this.pos--; this.unexpected("a table name"); }
    let table = this.identName(t);
    if (this.acceptOp(".")) {
      if (table.toLowerCase() !== "main") refuse(`reference to attached database ${JSON.stringify(table)}`);
      table = this.identName(this.next());
    }
    if (this.isOp("(")) refuse(`table-valued function ${table}() is not translated`);
    const alias = this.tableAlias();
    if (this.acceptWord("INDEXED")) { this.expectWord("BY"); this.next(); } // a planner hint only
    else if (this.isWord("NOT") && this.isWord("INDEXED", 1)) this.pos += 2;
    const cte = this.lookup(table, scope.parent);
    const canonical = cte && !cte.table ? cte.spelling : this.canonicalTable(table);
    scope.tables.set((alias ?? table).toLowerCase(), { spelling: alias ?? canonical, table: cte && !cte.table ? undefined : canonical });
    const rel = cte && !cte.table ? this.name(canonical) : `${this.ctx.schema ? `${quoteIdent(this.ctx.schema)}.` : ""}${this.relName(canonical)}`;
    return alias === undefined ? rel : `${rel} AS ${this.name(alias)}`;
  }

  private tableAlias(): string | undefined {
    if (this.acceptWord("AS")) return this.aliasName();
    const t = this.peek();
    if (this.isIdentTok(t) && !(t.kind === "word" && t.value === "INDEXED")) return this.aliasName();
    return undefined;
  }

  /** `CREATE VIEW … AS select` or a bare select. */
  view(): TranslateResult & { columns?: string[] } {
    let columns: string[] | undefined;
    if (this.acceptWord("CREATE")) {
      if (!this.acceptWord("TEMP")) this.acceptWord("TEMPORARY");
      this.expectWord("VIEW");
      if (this.acceptWord("IF")) { this.expectWord("NOT"); this.expectWord("EXISTS"); }
      this.next();
      if (this.acceptOp(".")) this.next();
      if (this.acceptOp("(")) {
        columns = [];
        do { columns.push(this.identName(this.next())); } while (this.acceptOp(","));
        this.expectOp(")");
      }
      this.expectWord("AS");
    }
    const q = this.select();
    if (!this.atEnd()) this.unexpected("the end of the view");
    return columns ? { ok: true, sql: q, columns } : { ok: true, sql: q };
  }
}

const UTC_DATE = "CAST(now() AT TIME ZONE 'UTC' AS date)";
const UTC_TIME = "CAST(date_trunc('second', now() AT TIME ZONE 'UTC') AS time)";
const EPOCH_SECONDS = "CAST(floor(extract(epoch FROM now())) AS bigint)";

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isIntLike(o: Out): boolean {
  return o.ty === "int" || o.lit?.kind === "int";
}

function arith(a: Ty, b: Ty): Ty {
  if (a === "float" || b === "float") return "float";
  if (a === "numeric" || b === "numeric") return "numeric";
  if (a === "int" && b === "int") return "int";
  if (a === "time" || b === "time") return "unknown";
  if ((a === "int" || a === "null") && (b === "int" || b === "null")) return "int";
  return "unknown";
}

function numberLiteral(v: string): Out {
  if (/^0x/i.test(v)) {
    const n = BigInt(v);
    if (n > 0xffffffffffffffffn) refuse(`hex literal ${v} does not fit in 64 bits`);
    const signed = n > 0x7fffffffffffffffn ? n - 0x10000000000000000n : n; // SQLite reads hex as two's complement
    return { sql: signed.toString(), ty: "int", atom: signed >= 0n, lit: { kind: "int", value: signed.toString() } };
  }
  if (/^\d+$/.test(v)) {
    const n = BigInt(v);
    if (n > 0x7fffffffffffffffn) refuse(`integer literal ${v} is too large for SQLite, which reads it as a real`);
    return { sql: n.toString(), ty: "int", atom: true, lit: { kind: "int", value: n.toString() } };
  }
  let text = v;
  if (text.startsWith(".")) text = `0${text}`;
  if (/\.$/.test(text)) text = `${text}0`;
  text = text.replace(/\.(?=[eE])/, ".0");
  if (!Number.isFinite(Number(text))) refuse(`number ${v} is not finite`);
  return { sql: text, ty: "float", atom: true, lit: { kind: "float", value: text } };
}

function run(fn: () => string): TranslateResult {
  try {
    return { ok: true, sql: fn() };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, reason: err.message };
    throw err;
  }
}

// ---------------------------------------------------------------------------
// Public API

/**
 * Translates one SQLite expression (CHECK body, index expression, partial-index
 * WHERE, generated column) to PostgreSQL, or refuses with the reason.
 */
export function translateExpression(sql: string, ctx?: ExpressionContext): TranslateResult {
  return run(() => {
    const t = new Translator(sql, ctx);
    const e = t.expr();
    if (!t.atEnd()) refuse(`unexpected text after the expression in ${JSON.stringify(sql)}`);
    return e.sql;
  });
}

/**
 * Translates a SQLite column DEFAULT (as `PRAGMA table_info` reports it) into a
 * PostgreSQL DEFAULT for a column of type `pgType`, typing literals the way
 * SQLite's column affinity would have stored them. With `opts.conversion`
 * (the planner's), what those rules refuse gets a second chance: typed by the
 * conversion, or as an expression over `opts.context` (the engine's one
 * DEFAULT translator; `default-value.ts` only binds a planned column to it).
 */
export function translateDefault(sql: string, pgType: string, opts: DefaultOptions = {}): TranslateResult {
  let typed: TranslateResult;
  try {
    typed = translateDefaultOrThrow(sql, pgType, opts);
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    typed = { ok: false, reason: err.message };
  }
  if (typed.ok || opts.conversion === undefined) return typed;
  return defaultForConversion(sql, opts.conversion, pgType, opts.sourceTimezone ?? "UTC") ?? defaultExpression(sql, opts.context) ?? typed;
}

function translateDefaultOrThrow(sql: string, pgType: string, opts: DefaultOptions): TranslateResult {
  const ty = typeClass(pgType);
  const t0 = pgType.trim().toLowerCase();
  const tzType = t0.startsWith("timestamptz") || /^timestamp.*with time zone/.test(t0);
  // https://www.sqlite.org/lang_datefunc.html#modifiers: 'localtime' shifts UTC to the writer's zone.
  if (/^\(?\s*(datetime\s*\(\s*'now'|strftime\s*\(\s*'%Y-%m-%d[ T]%H:%M:%[Sf]'\s*,\s*'now')\s*,\s*'localtime'\s*\)\s*\)?$/i.test(sql.trim())) {
    if (tzType) return { ok: true, sql: "now()", warning: "SQLite's 'now','localtime' stored the writer's local wall-clock time; now() is the same instant when --source-timezone is the writer's zone" };
    refuse(`DEFAULT ${sql.trim()} for a ${pgType} column: 'localtime' is the wall-clock time of the machine that wrote the row; only a timestamptz column can take it (as now())`);
  }
  const tr = new Translator(sql, {}, true);
  const e = tr.expr();
  if (!tr.atEnd()) refuse(`unexpected text in DEFAULT ${sql}`);
  const ok = (s: string, warning?: string): TranslateResult => (warning ? { ok: true, sql: s, warning } : { ok: true, sql: s });
  const lit = e.lit;
  const bad = (why: string): never => refuse(`DEFAULT ${sql.trim()} for a ${pgType} column: ${why}`);
  if (lit?.kind === "null") return ok("NULL");

  // Time defaults: 'now' forms are time-typed non-literals.
  const isNow = e.sql === "now()";
  const isToday = e.sql === UTC_DATE;
  const isTimeNow = e.sql === UTC_TIME;
  if (isNow || isToday || isTimeNow) {
    const fmtMs = /%f/.test(sql);
    switch (ty) {
      case "time": {
        const t = pgType.trim().toLowerCase();
        if (t.startsWith("timestamp")) {
          const tz = !/without time zone/.test(t) && (t.startsWith("timestamptz") || /with time zone/.test(t));
          if (isNow) return ok(tz ? "now()" : "(now() AT TIME ZONE 'UTC')");
          if (isToday) return ok(tz ? `(CAST(CAST(now() AT TIME ZONE 'UTC' AS date) AS timestamp) AT TIME ZONE ${quoteLiteral(opts.sourceTimezone ?? "UTC")})` : `CAST(CAST(now() AT TIME ZONE 'UTC' AS date) AS timestamp)`);
          bad("a time of day is not a timestamp");
        }
        if (t.startsWith("date")) return isTimeNow ? bad("a time of day is not a date") : ok(UTC_DATE);
        if (t.startsWith("time")) return isToday ? bad("a date is not a time of day") : ok(UTC_TIME);
        return bad("unknown time type");
      }
      case "text":
        // SQLite stores the UTC text; keep that format.
        if (isNow) return ok(`to_char(now() AT TIME ZONE 'UTC', ${quoteLiteral(fmtMs ? "YYYY-MM-DD HH24:MI:SS.MS" : "YYYY-MM-DD HH24:MI:SS")})`);
        if (isToday) return ok(`to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')`);
        return ok(`to_char(now() AT TIME ZONE 'UTC', 'HH24:MI:SS')`);
      default:
        return bad("the current time does not fit this type");
    }
  }
  if (e.sql === EPOCH_SECONDS) return ty === "int" ? ok(EPOCH_SECONDS) : bad("epoch seconds fit only an integer column");

  if (!lit) {
    // A general expression: translate it; PostgreSQL coerces the result to the column type.
    const r = translateExpression(sql);
    if (!r.ok) return r;
    return ok(r.sql);
  }

  const v = lit.value;
  switch (ty) {
    case "bool": {
      const s = v.toLowerCase();
      if (["1", "t", "true", "y", "yes", "on"].includes(s) && lit.kind !== "blob" && lit.kind !== "float") return ok("true");
      if (["0", "f", "false", "n", "no", "off"].includes(s) && lit.kind !== "blob" && lit.kind !== "float") return ok("false");
      if (lit.kind === "float" && Number(v) === 0) return ok("false");
      if (lit.kind === "float" && Number(v) === 1) return ok("true");
      return bad("not a boolean value");
    }
    case "int": {
      let n: bigint;
      const trimmed = lit.kind === "string" ? v.trim() : v;
      if (lit.kind === "int" || (lit.kind === "string" && /^[+-]?\d+$/.test(trimmed))) n = BigInt(trimmed);
      else if ((lit.kind === "float" || lit.kind === "string") && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) && Number.isInteger(Number(trimmed)) && Math.abs(Number(trimmed)) <= Number.MAX_SAFE_INTEGER) {
        n = BigInt(Number(trimmed)); // INTEGER affinity stores an integral real as an integer
      } else if (lit.kind === "bool") n = BigInt(v);
      else return bad(`SQLite would store ${e.sql} as ${lit.kind === "string" ? "text" : lit.kind}, which is not an integer`);
      const t = pgType.trim().toLowerCase();
      const max = /^(smallint|int2)\b/.test(t) ? 32767n : /^(integer|int|int4)\b/.test(t) ? 2147483647n : 9223372036854775807n;
      if (n > max || n < -max - 1n) return bad("out of range");
      return ok(n.toString());
    }
    case "float": {
      const s = lit.kind === "string" ? v.trim() : v;
      if (lit.kind === "int" || lit.kind === "float" || (lit.kind === "string" && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s))) {
        if (!Number.isFinite(Number(s))) return bad("not finite");
        return ok(numberLiteral(s.replace(/^\+/, "").replace(/^-/, "")).sql.replace(/^/, s.startsWith("-") ? "-" : ""));
      }
      return bad("not a number");
    }
    case "numeric": {
      const s = lit.kind === "string" ? v.trim() : v;
      if (!(lit.kind === "int" || lit.kind === "float" || (lit.kind === "string" && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(s)))) return bad("not an exact decimal number");
      if (/[eE]/.test(s)) return bad("exponent notation is not translated");
      const m = /numeric\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/i.exec(pgType) ?? /decimal\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/i.exec(pgType);
      const norm = s.replace(/^\+/, "");
      if (m) {
        const p = Number(m[1]);
        const sc = Number(m[2] ?? 0);
        const [ip, fp = ""] = norm.replace(/^-/, "").split(".");
        const frac = fp.replace(/0+$/, "");
        if (frac.length > sc) return bad(`has more than ${sc} decimal places; PostgreSQL would round it`);
        if (ip.replace(/^0+/, "").length > p - sc) return bad(`does not fit numeric(${p},${sc})`);
      }
      return ok(norm.startsWith(".") ? `0${norm}` : norm.startsWith("-.") ? `-0${norm.slice(1)}` : norm);
    }
    case "text": {
      let s: string;
      if (lit.kind === "string") s = v;
      else if (lit.kind === "int") s = v; // TEXT affinity stores the number's text
      else return bad(`SQLite would store ${e.sql} with a text rendering that is not reproduced`);
      const m = /(?:varchar|character varying|char|character)\s*\(\s*(\d+)\s*\)/i.exec(pgType);
      if (m && [...s].length > Number(m[1])) return bad(`longer than ${m[1]} characters`);
      return ok(quoteLiteral(s));
    }
    case "blob":
      if (lit.kind === "blob") return ok(e.sql);
      return bad("SQLite would store a non-blob value");
    case "json":
      if (lit.kind !== "string") return bad("not a JSON text");
      try { JSON.parse(v); } catch { return bad("not valid JSON"); }
      return ok(quoteLiteral(v));
    case "time": {
      const t = pgType.trim().toLowerCase();
      if (lit.kind === "int" || lit.kind === "float") {
        if (!t.startsWith("timestamp")) return bad("a number is not a date or time");
        if (Number(v) === 0) return ok(t.startsWith("timestamptz") || /with time zone/.test(t) ? "'1970-01-01 00:00:00+00'" : "'1970-01-01 00:00:00'");
        if (!opts.epochUnit || lit.kind !== "int") return bad("an epoch number needs the column's epoch unit (seconds or milliseconds)");
        const secs = opts.epochUnit === "ms" ? `${v} / 1000.0` : v;
        return ok(t.startsWith("timestamptz") || /with time zone/.test(t) ? `to_timestamp(${secs})` : `(to_timestamp(${secs}) AT TIME ZONE 'UTC')`);
      }
      if (lit.kind !== "string") return bad("not a date or time text");
      const dt = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?))?$/.exec(v.trim());
      const tm = /^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/.exec(v.trim());
      if (t.startsWith("timestamp")) {
        if (!dt) return bad("not an ISO-8601 date/time text");
        const naive = `${dt[1]} ${dt[2] ?? "00:00:00"}`;
        if (t.startsWith("timestamptz") || /with time zone/.test(t)) return ok(`(TIMESTAMP ${quoteLiteral(naive)} AT TIME ZONE ${quoteLiteral(opts.sourceTimezone ?? "UTC")})`);
        return ok(`TIMESTAMP ${quoteLiteral(naive)}`);
      }
      if (t.startsWith("date")) {
        if (!dt || dt[2]) return bad("not a plain date");
        return ok(`DATE ${quoteLiteral(dt[1])}`);
      }
      if (!tm) return bad("not a time of day");
      return ok(`TIME ${quoteLiteral(v.trim())}`);
    }
    default:
      if (lit.kind === "string") {
        if (/^uuid\b/i.test(pgType.trim())) {
          const hex = v.replace(/-/g, "");
          if (!/^[0-9a-f]{32}$/i.test(hex)) return bad("not a UUID");
          return ok(quoteLiteral(v));
        }
      }
      return bad("the type is not handled");
  }
}

// ---------------------------------------------------------------------------
// Defaults typed by the planner's conversion (what the rules above refuse)

const NOW_UTC = "(now() AT TIME ZONE 'UTC')";

function nowForConversion(conversion: Conversion, fmt?: string): TranslateResult {
  if (fmt === "%s") return conversion === "integer" || conversion === "double" || conversion === "numeric" ? { ok: true, sql: "(extract(epoch from now()))::bigint" } : { ok: false, reason: "strftime('%s','now') on a non-numeric column" };
  switch (conversion) {
    case "timestamptz": return { ok: true, sql: "now()" };
    case "timestamp": return { ok: true, sql: NOW_UTC };
    case "date": return { ok: true, sql: `${NOW_UTC}::date` };
    case "time": return { ok: true, sql: `${NOW_UTC}::time` };
    case "text": return { ok: true, sql: `to_char(${NOW_UTC}, 'YYYY-MM-DD HH24:MI:SS')` };
    default: return { ok: false, reason: `time default on a ${conversion} column` };
  }
}

const isWordTok = (t: Tok | undefined, ...words: string[]): boolean => t?.kind === "word" && words.includes(t.value);

/** `CURRENT_TIMESTAMP`, `datetime('now'[, 'localtime'|'utc'|'subsec'])`, `strftime(fmt, 'now', ...)`, `date('now')`, `time('now')`. */
function matchNowCall(toks: Tok[]): { fmt?: string } | null {
  if (toks.length === 1 && isWordTok(toks[0], "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME")) return {};
  if (toks.length < 4 || toks[1].text !== "(" || toks[toks.length - 1].text !== ")") return null;
  const args = toks.slice(2, -1).filter((t) => t.text !== ",");
  if (!args.every((t) => t.kind === "string")) return null;
  const vals = args.map((t) => t.value.toLowerCase());
  const okMods = (mods: string[]) => mods.every((m) => ["localtime", "utc", "subsec", "subsecond"].includes(m));
  if (isWordTok(toks[0], "DATETIME", "DATE", "TIME") && vals[0] === "now" && okMods(vals.slice(1))) return {};
  if (isWordTok(toks[0], "STRFTIME") && vals[1] === "now" && okMods(vals.slice(2))) return { fmt: args[0].value };
  return null;
}

function literalForConversion(text: string, isNumber: boolean, conversion: Conversion, pgType: string, zone: string): TranslateResult {
  const bad = (): TranslateResult => ({ ok: false, reason: `literal ${text} does not fit ${pgType}` });
  switch (conversion) {
    case "integer":
      if (/^[+-]?\d+$/.test(text.trim())) return { ok: true, sql: String(BigInt(text.trim())) };
      if (/^[+-]?\d+\.0*$/.test(text.trim())) return { ok: true, sql: text.trim().replace(/\.0*$/, "") };
      return bad();
    case "double":
    case "numeric":
      return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim()) ? { ok: true, sql: text.trim() } : bad();
    case "boolean": {
      const t = text.trim().toLowerCase();
      if (!isBooleanText(t) && !/^[01]\.0*$/.test(t)) return bad();
      return { ok: true, sql: ["1", "t", "true"].includes(t) || /^1\./.test(t) ? "true" : "false" };
    }
    case "text":
      return { ok: true, sql: quoteLiteral(text) };
    case "json": {
      try { JSON.parse(text); } catch { return bad(); }
      return { ok: true, sql: `${quoteLiteral(text)}::jsonb` };
    }
    case "uuid": {
      const u = parseUuid(text);
      return u ? { ok: true, sql: `${quoteLiteral(u)}::uuid` } : bad();
    }
    case "timestamptz":
    case "timestamp": {
      if (isNumber) return bad();
      const p = parseDateTimeText(text);
      if (!p) return bad();
      const iso = microsToIso(partsToMicros(p, zone));
      return { ok: true, sql: conversion === "timestamptz" ? `${quoteLiteral(iso)}::timestamptz` : `${quoteLiteral(iso.replace("Z", ""))}::timestamp` };
    }
    case "date": {
      const d = normalizeDateText(text);
      return d ? { ok: true, sql: `${quoteLiteral(d)}::date` } : bad();
    }
    case "time": {
      const t = normalizeTimeText(text);
      return t ? { ok: true, sql: `${quoteLiteral(t)}::time` } : bad();
    }
    case "bytea":
      return { ok: true, sql: `${quoteLiteral("\\x" + Buffer.from(text, "utf8").toString("hex"))}::bytea` };
    case "interval": {
      // A numeric default is microseconds, as the column's values are.
      const us = isNumber ? durationMicros(/^[+-]?\d+$/.test(text.trim()) ? BigInt(text.trim()) : Number(text)) : null;
      return us === null ? bad() : { ok: true, sql: `${quoteLiteral(`${us.toString()} microseconds`)}::interval` };
    }
    case "inet": {
      const a = canonicalNetAddress(text, /^\s*cidr/i.test(pgType) ? "cidr" : "inet");
      return a === null ? bad() : { ok: true, sql: `${quoteLiteral(a)}::${/^\s*cidr/i.test(pgType) ? "cidr" : "inet"}` };
    }
    default: {
      const never: never = conversion;
      throw new Error(`unknown conversion ${String(never)}`);
    }
  }
}

/** A single literal, TRUE/FALSE or 'now' form typed by `conversion`; null when the default is none of those. */
function defaultForConversion(sql: string, conversion: Conversion, pgType: string, zone: string): TranslateResult | null {
  let toks = tokenize(sql, { lenient: true }).filter((t) => t.kind !== "eof");
  while (toks.length >= 2 && toks[0].text === "(" && toks[toks.length - 1].text === ")") toks = toks.slice(1, -1);
  if (toks.length === 1 && isWordTok(toks[0], "TRUE", "FALSE")) {
    const v = isWordTok(toks[0], "TRUE");
    if (conversion === "boolean") return { ok: true, sql: v ? "true" : "false" };
    return literalForConversion(v ? "1" : "0", true, conversion, pgType, zone);
  }
  const now = matchNowCall(toks);
  if (now) return nowForConversion(conversion, now.fmt);
  const signed = toks.length === 2 && (toks[0].text === "-" || toks[0].text === "+") && toks[1].kind === "number";
  if ((toks.length === 1 && toks[0].kind === "number") || signed) {
    const num = toks[toks.length - 1];
    const sign = signed ? toks[0].text : "";
    if (/^0x/i.test(num.text)) return literalForConversion(String(sign === "-" ? -BigInt(num.value) : BigInt(num.value)), true, conversion, pgType, zone);
    return literalForConversion(`${sign}${num.text}`, true, conversion, pgType, zone);
  }
  // 'text', and "text" which SQLite falls back to reading as a string literal.
  if (toks.length === 1 && (toks[0].kind === "string" || toks[0].kind === "ident")) return literalForConversion(toks[0].value, false, conversion, pgType, zone);
  if (toks.length === 1 && toks[0].kind === "blob") {
    if (conversion !== "bytea") return { ok: false, reason: `blob default on a ${pgType} column` };
    return { ok: true, sql: `${quoteLiteral("\\x" + toks[0].value)}::bytea` };
  }
  return null;
}

/** Any other default, as an expression over the table's columns; null when it does not translate. */
function defaultExpression(sql: string, ctx: ExpressionContext = {}): TranslateResult | null {
  let r: TranslateResult;
  try { r = translateExpression(sql, ctx); } catch { return null; }
  return r.ok ? { ok: true, sql: `(${r.sql})` } : null;
}

/**
 * Translates a view: either a whole `CREATE VIEW … AS SELECT …` statement or
 * just its SELECT. Returns the PostgreSQL SELECT (and the view's column list
 * when one was declared); the caller renders `CREATE VIEW`.
 */
export function translateViewSelect(sql: string, ctx?: ExpressionContext): TranslateResult & { columns?: string[] } {
  try {
    const tr = new Translator(sql, ctx);
    return tr.view();
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, reason: err.message };
    throw err;
  }
}
