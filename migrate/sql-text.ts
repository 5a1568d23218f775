/**
 * Cuts CREATE TABLE / CREATE INDEX / CREATE VIRTUAL TABLE statements into
 * parts (column definitions, CHECK bodies, generated-column expressions,
 * WHERE clauses, module arguments) over the tokens of the engine's one
 * tokenizer (`sql-expression-tokens.ts`). It does not parse expressions;
 * that is the job of `sql-expression.ts`.
 */
import { tokenize as tokenizeSql, type Tok } from "./sql-expression-tokens";

export type Token = Tok;

/**
 * Tokens of a statement SQLite has accepted (lenient: never throws), without
 * the end marker. A word's `value` is the word as written, so names keep their case.
 */
export function tokenize(sql: string): Token[] {
  return tokenizeSql(sql, { lenient: true }).flatMap((t) => (t.kind === "eof" ? [] : t.kind === "word" ? [{ ...t, value: t.text }] : [t]));
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
