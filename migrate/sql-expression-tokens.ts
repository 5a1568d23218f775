/**
 * The engine's one SQLite tokenizer: string literals with '' escapes,
 * "double", `backtick` and [bracket] identifiers, numbers (decimal, hex, with
 * _ separators), blob literals x'..', parameters and operators. The
 * expression translator reads it strictly; `sql-text.ts` cuts CREATE
 * statements with it leniently.
 * https://www.sqlite.org/lang_expr.html#literal_values_constants_
 * https://www.sqlite.org/lang_keywords.html
 */

/** Thrown inside the translator; turned into `{ ok: false }` at the boundary. */
export class Refusal extends Error {}

export function refuse(reason: string): never {
  throw new Refusal(reason);
}

export type TokKind = "word" | "ident" | "string" | "number" | "blob" | "op" | "param" | "eof";

export interface Tok {
  kind: TokKind;
  /** Raw text. */
  text: string;
  /** Unquoted name (`ident`) / unescaped string / upper-case word / operator. */
  value: string;
  start: number;
  end: number;
}

const OPERATORS = ["->>", "||", "==", "!=", "<>", "<=", ">=", "<<", ">>", "->", "(", ")", ",", ".", ";", "+", "-", "*", "/", "%", "<", ">", "=", "&", "|", "~"];

export interface TokenizeOptions {
  /**
   * For statements SQLite has already accepted (sqlite_master): never throws.
   * An unterminated literal runs to the end of the text, a malformed blob or
   * number stays one token as written, an unknown character is an operator.
   */
  lenient?: boolean;
}

/** Tokenizes SQLite SQL; refuses (throws `Refusal`) on malformed literals or unknown characters unless `lenient`. The last token is `eof`. */
export function tokenize(sql: string, options: TokenizeOptions = {}): Tok[] {
  const lenient = options.lenient === true;
  const toks: Tok[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === "-" && sql[i + 1] === "-") { while (i < n && sql[i] !== "\n") i++; continue; }
    if (c === "/" && sql[i + 1] === "*") {
      const e = sql.indexOf("*/", i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    const start = i;
    if ((c === "x" || c === "X") && sql[i + 1] === "'") {
      let e = sql.indexOf("'", i + 2);
      if (e < 0 && !lenient) refuse("unterminated blob literal");
      if (e < 0) e = n;
      const hex = sql.slice(i + 2, e);
      if (!/^([0-9a-fA-F]{2})*$/.test(hex) && !lenient) refuse(`malformed blob literal ${sql.slice(i, e + 1)}`);
      i = Math.min(e + 1, n);
      toks.push({ kind: "blob", text: sql.slice(start, i), value: hex.toLowerCase(), start, end: i });
      continue;
    }
    if (c === "'" || c === '"' || c === "`") {
      i++;
      let v = "";
      let closed = false;
      while (i < n) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) { v += c; i += 2; continue; }
          i++;
          closed = true;
          break;
        }
        v += sql[i++];
      }
      if (!closed && !lenient) refuse(`unterminated ${c === "'" ? "string literal" : "quoted identifier"} at offset ${start}`);
      toks.push({ kind: c === "'" ? "string" : "ident", text: sql.slice(start, i), value: v, start, end: i });
      continue;
    }
    if (c === "[") {
      let e = sql.indexOf("]", i + 1);
      if (e < 0 && !lenient) refuse(`unterminated [identifier] at offset ${start}`);
      if (e < 0) e = n;
      i = Math.min(e + 1, n);
      toks.push({ kind: "ident", text: sql.slice(start, i), value: sql.slice(start + 1, e), start, end: i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
      const m = /^(0[xX][0-9a-fA-F_]+|(\d[\d_]*)?(\.\d*)?([eE][+-]?\d+)?)/.exec(sql.slice(i));
      i += m && m[0] ? m[0].length : 1;
      if (/[A-Za-z_]/.test(sql[i] ?? "")) {
        if (!lenient) refuse(`malformed number near ${sql.slice(start, i + 1)}`);
        while (i < n && /[0-9A-Za-z_.]/.test(sql[i])) i++;
      }
      const text = sql.slice(start, i);
      toks.push({ kind: "number", text, value: text.replace(/_/g, ""), start, end: i });
      continue;
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      while (i < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i])) i++;
      const text = sql.slice(start, i);
      toks.push({ kind: "word", text, value: text.toUpperCase(), start, end: i });
      continue;
    }
    if (c === "?" || c === ":" || c === "@" || c === "$") {
      i++;
      while (i < n && /[A-Za-z0-9_]/.test(sql[i])) i++;
      toks.push({ kind: "param", text: sql.slice(start, i), value: sql.slice(start, i), start, end: i });
      continue;
    }
    const op = OPERATORS.find((o) => sql.startsWith(o, i)) ?? (lenient ? c : undefined);
    if (!op) refuse(`unexpected character ${JSON.stringify(c)} at offset ${i}`);
    i += op.length;
    toks.push({ kind: "op", text: op, value: op, start, end: i });
  }
  toks.push({ kind: "eof", text: "", value: "", start: n, end: n });
  return toks;
}
