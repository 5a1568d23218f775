/**
 * Recognizes the CHECK constraints the engine drops because the PostgreSQL
 * type enforces them: `x IN (0,1)` on booleans and Django's
 * `(JSON_VALID("x") OR "x" IS NULL)` on jsonb columns.
 */
import { tokenize, type Tok } from "./sql-expression-tokens";

function checkDisjuncts(sql: string): Tok[][] | undefined {
  let toks: Tok[];
  try { toks = tokenize(sql).filter((t) => t.kind !== "eof"); } catch { return undefined; }
  if (toks[0]?.kind === "word" && toks[0].value === "CONSTRAINT") toks = toks.slice(2);
  if (toks[0]?.kind === "word" && toks[0].value === "CHECK") toks = toks.slice(1);
  const strip = (ts: Tok[]): Tok[] => {
    for (;;) {
      if (ts.length < 2 || ts[0].value !== "(" || ts[ts.length - 1].value !== ")" || ts[0].kind !== "op") return ts;
      let depth = 0;
      for (let i = 0; i < ts.length; i++) {
        if (ts[i].kind === "op" && ts[i].value === "(") depth++;
        if (ts[i].kind === "op" && ts[i].value === ")") depth--;
        if (depth === 0 && i < ts.length - 1) return ts;
      }
      ts = ts.slice(1, -1);
    }
  };
  const out: Tok[][] = [];
  let cur: Tok[] = [];
  let depth = 0;
  for (const t of strip(toks)) {
    if (t.kind === "op" && t.value === "(") depth++;
    if (t.kind === "op" && t.value === ")") depth--;
    if (depth === 0 && t.kind === "word" && t.value === "OR") { out.push(strip(cur)); cur = []; continue; }
    cur.push(t);
  }
  out.push(strip(cur));
  return out;
}

function sameColumn(t: Tok | undefined, column: string): boolean {
  if (!t || !(t.kind === "word" || t.kind === "ident")) return false;
  return (t.kind === "ident" ? t.value : t.text).toLowerCase() === column.toLowerCase();
}

function shape(ts: Tok[]): string {
  return ts.map((t) => (t.kind === "word" || t.kind === "op" ? t.value : t.kind === "number" ? `#${t.value.replace(/\.0*$/, "")}` : t.kind === "string" ? `'${t.value}` : "?")).join(" ");
}

function isNullTest(ts: Tok[], column: string): boolean {
  return sameColumn(ts[0], column) && (shape(ts.slice(1)) === "IS NULL" || shape(ts.slice(1)) === "ISNULL");
}

/** True for `x IN (0,1)`, `x IN (1,0)`, `x = 0 OR x = 1` (optionally `OR x IS NULL`) on `column`. */
export function isBooleanCheck(sql: string, column: string): boolean {
  const ds = checkDisjuncts(sql);
  if (!ds) return false;
  let inList = false;
  const eq = new Set<string>();
  for (const d of ds) {
    if (isNullTest(d, column)) continue;
    if (!sameColumn(d[0], column)) return false;
    const s = shape(d.slice(1));
    if (s === "IN ( #0 , #1 )" || s === "IN ( #1 , #0 )") { inList = true; continue; }
    if (s === "= #0" || s === "== #0") { eq.add("0"); continue; }
    if (s === "= #1" || s === "== #1") { eq.add("1"); continue; }
    return false;
  }
  return inList || eq.size === 2;
}

/** True for `JSON_VALID(x)`, optionally `OR x IS NULL` (Django's form), on `column`. */
export function isJsonValidCheck(sql: string, column: string): boolean {
  const ds = checkDisjuncts(sql);
  if (!ds) return false;
  let seen = false;
  for (const d of ds) {
    if (isNullTest(d, column)) continue;
    if (d.length === 4 && d[0].kind === "word" && d[0].value === "JSON_VALID" && d[1].value === "(" && sameColumn(d[2], column) && d[3].value === ")") { seen = true; continue; }
    return false;
  }
  return seen;
}
