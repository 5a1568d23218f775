/**
 * A small SQLite SQL tokenizer, enough to cut CREATE TABLE / CREATE INDEX /
 * CREATE VIEW statements into parts (column definitions, CHECK bodies,
 * generated-column expressions, WHERE clauses). It does not parse
 * expressions; that is the job of `sql-expression.ts`.
 * https://www.sqlite.org/lang_keywords.html (quoting rules)
 */

export type TokenKind = "ident" | "string" | "word" | "number" | "punct" | "blob";

export interface Token {
  kind: TokenKind;
  /** Raw text as written. */
  text: string;
  /** For quoted identifiers: the unquoted name. For words: the word. */
  value: string;
  start: number;
  end: number;
}

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === "-" && sql[i + 1] === "-") { while (i < n && sql[i] !== "\n") i++; continue; }
    if (c === "/" && sql[i + 1] === "*") { const e = sql.indexOf("*/", i + 2); i = e < 0 ? n : e + 2; continue; }
    const start = i;
    if (c === "'" || c === '"' || c === "`") {
      i++;
      let v = "";
      while (i < n) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) { v += c; i += 2; continue; }
          i++;
          break;
        }
        v += sql[i++];
      }
      out.push({ kind: c === "'" ? "string" : "ident", text: sql.slice(start, i), value: v, start, end: i });
      continue;
    }
    if (c === "[") {
      const e = sql.indexOf("]", i + 1);
      i = e < 0 ? n : e + 1;
      out.push({ kind: "ident", text: sql.slice(start, i), value: sql.slice(start + 1, i - 1), start, end: i });
      continue;
    }
    if ((c === "x" || c === "X") && sql[i + 1] === "'") {
      const e = sql.indexOf("'", i + 2);
      i = e < 0 ? n : e + 1;
      out.push({ kind: "blob", text: sql.slice(start, i), value: sql.slice(start + 2, i - 1), start, end: i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
      while (i < n && /[0-9a-zA-Z_.]/.test(sql[i])) {
        if ((sql[i] === "e" || sql[i] === "E") && (sql[i + 1] === "+" || sql[i + 1] === "-")) i++;
        i++;
      }
      out.push({ kind: "number", text: sql.slice(start, i), value: sql.slice(start, i), start, end: i });
      continue;
    }
    if (/[\p{L}_$]/u.test(c) || c.charCodeAt(0) > 127) {
      while (i < n && (/[\p{L}\p{N}_$]/u.test(sql[i]) || sql.charCodeAt(i) > 127)) i++;
      out.push({ kind: "word", text: sql.slice(start, i), value: sql.slice(start, i), start, end: i });
      continue;
    }
    const two = sql.slice(i, i + 2);
    const p = ["||", "<=", ">=", "<>", "!=", "==", "<<", ">>", "->"].includes(two) ? two : c;
    i += p.length;
    if (p === "->" && sql[i] === ">") i++;
    out.push({ kind: "punct", text: sql.slice(start, i), value: sql.slice(start, i), start, end: i });
  }
  return out;
}

/** Index of the `)` matching the `(` at `open`, or -1. */
export function matchParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i].text === "(") depth++;
    else if (tokens[i].text === ")" && --depth === 0) return i;
  }
  return -1;
}

/** Splits tokens[from, to) at top-level commas. */
export function splitTopLevel(tokens: Token[], from: number, to: number): Token[][] {
  const parts: Token[][] = [];
  let cur: Token[] = [];
  let depth = 0;
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    if (t.text === "(") depth++;
    if (t.text === ")") depth--;
    if (t.text === "," && depth === 0) { parts.push(cur); cur = []; continue; }
    cur.push(t);
  }
  if (cur.length) parts.push(cur);
  return parts;
}

export function isWord(t: Token | undefined, ...words: string[]): boolean {
  return !!t && t.kind === "word" && words.includes(t.value.toUpperCase());
}

/** The source text spanning tokens[a..b] inclusive. */
export function textOf(sql: string, tokens: Token[], a: number, b: number): string {
  if (a > b) return "";
  return sql.slice(tokens[a].start, tokens[b].end);
}

/** Name value of an identifier-ish token (quoted or bare word). */
export function nameOf(t: Token): string {
  return t.kind === "ident" || t.kind === "word" ? t.value : t.kind === "string" ? t.value : t.text;
}
