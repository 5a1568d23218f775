/**
 * The text jsonb would print for a JSON source text, built from the source's
 * own tokens: object members reordered the way jsonb stores them (shorter
 * key first, then bytewise), ", " and ": " separators, numbers and strings
 * copied verbatim. When this text equals what PostgreSQL printed, the two
 * values are equal: every token is the source's own, only member order
 * (meaningless in JSON objects) and whitespace changed.
 * A source that jsonb would print differently (escapes such as `\u00e9`,
 * exponents, `-0`, duplicate keys) simply yields a different text and the
 * caller compares parsed values instead. Returns null for anything it does
 * not handle.
 * https://www.postgresql.org/docs/16/datatype-json.html
 */

class Unhandled extends Error {}

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** jsonb's key order: byte length, then bytes (for keys with a character beyond ASCII). */
function compareWide(a: string, b: string): number {
  const ba = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  return ba.length !== bb.length ? ba.length - bb.length : Buffer.compare(ba, bb);
}

/**
 * How jsonb prints a number token that `plainNumber` refuses: PostgreSQL's
 * numeric input keeps the digits after the point minus the exponent as its
 * scale (`1.50e1` → `15.0`, `1e-3` → `0.001`, `1e5` → `100000`) and has no
 * negative zero. Exact decimal digit shifting, or null when not a number.
 */
export function numericText(tok: string): string | null {
  const m = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(tok);
  if (!m) return null;
  const frac = m[3] ?? "";
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  if (Math.abs(exp) > 1000) return null;
  const scale = Math.max(0, frac.length - exp);
  let digits = m[2] + frac;
  let point = m[2].length + exp;
  if (point <= 0) { digits = "0".repeat(1 - point) + digits; point = 1; }
  if (point > digits.length) digits += "0".repeat(point - digits.length);
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, "");
  let fracPart = digits.slice(point);
  if (fracPart.length < scale) fracPart += "0".repeat(scale - fracPart.length);
  else if (fracPart.length > scale) {
    if (/[^0]/.test(fracPart.slice(scale))) return null;
    fracPart = fracPart.slice(0, scale);
  }
  const zero = !/[1-9]/.test(intPart + fracPart);
  return `${m[1] && !zero ? "-" : ""}${intPart}${scale ? `.${fracPart}` : ""}`;
}

/** Whether a number token prints the same in jsonb: plain digits, no exponent, no negative zero. */
function plainNumber(tok: string): boolean {
  let i = 0;
  const n = tok.length;
  if (tok.charCodeAt(0) === 45) i = 1; // -
  const first = tok.charCodeAt(i);
  if (first === 48) { // 0: only "0" or "0.ddd"
    i++;
    if (i < n && tok.charCodeAt(i) !== 46) return false;
  } else if (first >= 49 && first <= 57) {
    while (i < n && tok.charCodeAt(i) >= 48 && tok.charCodeAt(i) <= 57) i++;
  } else {
    return false;
  }
  let allZero = first === 48;
  if (i < n) {
    if (tok.charCodeAt(i) !== 46 || i + 1 >= n) return false; // .
    i++;
    for (; i < n; i++) {
      const c = tok.charCodeAt(i);
      if (c < 48 || c > 57) return false;
      if (c !== 48) allZero = false;
    }
  }
  return !(allZero && tok.charCodeAt(0) === 45);
}

class Scanner {
  pos = 0;
  /** Whether the last string token held a character beyond ASCII or an escape. */
  wide = false;
  /** The value of the last string token that held an escape. */
  decoded = "";
  constructor(private readonly s: string) {}

  ws(): void {
    while (this.pos < this.s.length && isWs(this.s.charCodeAt(this.pos))) this.pos++;
  }

  /**
   * A string token, quotes included: as written, or, when it holds escapes,
   * escaped the way jsonb prints strings (`\u00e9` → `é`, `\/` → `/`;
   * JSON.stringify escapes exactly jsonb's set: `"`, `\\`, \b \f \n \r \t,
   * other control characters as \u00xx).
   */
  string(): string {
    const s = this.s;
    const start = this.pos;
    let i = start + 1;
    let escaped = false;
    let wide = false;
    for (;;) {
      if (i >= s.length) throw new Unhandled();
      const c = s.charCodeAt(i);
      if (c === 34) break; // closing quote
      if (c === 92) { i += 2; escaped = true; } // backslash escape: skip the escaped character
      else {
        if (c < 32) throw new Unhandled();
        if (c > 127) wide = true;
        i++;
      }
    }
    this.pos = i + 1;
    this.wide = wide || escaped;
    const tok = s.slice(start, i + 1);
    if (!escaped) return tok;
    try {
      this.decoded = JSON.parse(tok) as string;
      return JSON.stringify(this.decoded);
    } catch {
      throw new Unhandled();
    }
  }

  value(): string {
    this.ws();
    const s = this.s;
    const c = s.charCodeAt(this.pos);
    if (c === 123) return this.object();
    if (c === 91) return this.array();
    if (c === 34) return this.string();
    const start = this.pos;
    let i = start;
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (d === 44 || d === 125 || d === 93 || isWs(d)) break;
      i++;
    }
    if (i === start) throw new Unhandled();
    this.pos = i;
    const tok = s.slice(start, i);
    if (tok === "true" || tok === "false" || tok === "null" || plainNumber(tok)) return tok;
    const n = numericText(tok);
    if (n === null) throw new Unhandled();
    return n;
  }

  array(): string {
    this.pos++; // [
    this.ws();
    if (this.s.charCodeAt(this.pos) === 93) { this.pos++; return "[]"; }
    let out = "[";
    for (;;) {
      out += this.value();
      this.ws();
      const c = this.s.charCodeAt(this.pos++);
      if (c === 93) return `${out}]`;
      if (c !== 44) throw new Unhandled();
      out += ", ";
    }
  }

  object(): string {
    this.pos++; // {
    this.ws();
    if (this.s.charCodeAt(this.pos) === 125) { this.pos++; return "{}"; }
    // Sort keys: ASCII keys are ordered by their token (quotes included: same order); others by their decoded text.
    const keys: string[] = [];
    const members: string[] = [];
    let wide = false;
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.pos) !== 34) throw new Unhandled();
      const key = this.string();
      let sortKey = key;
      if (this.wide) {
        if (!wide) for (let i = 0; i < keys.length; i++) keys[i] = keys[i].slice(1, -1);
        wide = true;
      }
      if (wide) sortKey = key.includes("\\") ? this.decoded : key.slice(1, -1);
      this.ws();
      if (this.s.charCodeAt(this.pos++) !== 58) throw new Unhandled(); // :
      const member = `${key}: ${this.value()}`;
      // Insertion sort (objects are small): jsonb's order is byte length, then bytes.
      let j = keys.length;
      keys.push(sortKey);
      members.push(member);
      while (j > 0) {
        const prev = keys[j - 1];
        const cmp = wide ? compareWide(prev, sortKey) : prev.length !== sortKey.length ? prev.length - sortKey.length : prev < sortKey ? -1 : prev > sortKey ? 1 : 0;
        if (cmp === 0) throw new Unhandled(); // duplicate key: jsonb keeps only the last one
        if (cmp < 0) break;
        keys[j] = prev;
        members[j] = members[j - 1];
        j--;
      }
      keys[j] = sortKey;
      members[j] = member;
      this.ws();
      const c = this.s.charCodeAt(this.pos++);
      if (c === 125) break;
      if (c !== 44) throw new Unhandled();
    }
    let out = "{";
    for (let i = 0; i < members.length; i++) out += i ? `, ${members[i]}` : members[i];
    return `${out}}`;
  }
}

/** jsonb's text for source JSON text `s`, or null when the source needs a parsed comparison. */
export function jsonbTextOfSource(s: string): string | null {
  const sc = new Scanner(s);
  try {
    const out = sc.value();
    sc.ws();
    return sc.pos === s.length ? out : null;
  } catch (err) {
    if (err instanceof Unhandled) return null;
    throw err;
  }
}
