/**
 * Exact JSON equality, as RFC 8259 defines the data model: object members
 * are unordered, arrays are ordered, and a number is its exact decimal value.
 *
 * JSON.parse is not good enough for this: it rounds every number to a
 * double, so 9007199254740993 and 9007199254740992 would compare equal and a
 * lost digit would go unnoticed. This parser keeps each number as an exact
 * decimal (digits + exponent) instead, so `1.0` equals `1` and `1e+100`
 * equals the 101-digit integer PostgreSQL's jsonb prints for it, but no two
 * different values are ever equal. Types are strict: `"1"`, `1` and `true`
 * all differ, and a null member differs from a missing one.
 */

/** A number as sign, digits without leading/trailing zeros, and a power of ten; zero is `0`. */
export class JsonNumber {
  constructor(readonly canonical: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | Map<string, JsonValue>;

function canonicalNumber(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) throw new Error(`not a JSON number: ${text}`);
  const [, sign, int, frac = "", exp = "0"] = m;
  let digits = (int + frac).replace(/^0+/, "");
  let exponent = BigInt(exp) - BigInt(frac.length);
  if (digits === "") return "0";
  const trimmed = digits.replace(/0+$/, "");
  exponent += BigInt(digits.length - trimmed.length);
  digits = trimmed;
  return `${sign}${digits}e${exponent}`;
}

/** Parses JSON text, keeping numbers exact. Duplicate keys: the last wins, as in JSON.parse. */
export function parseJsonExact(text: string): JsonValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`invalid JSON at ${i}: ${what} (near ${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))})`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const str = (): string => {
    // Reuse JSON.parse for the string grammar and escapes; find the closing quote first.
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) fail("unterminated string");
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): JsonValue => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj = new Map<string, JsonValue>();
      ws();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a key");
        const key = str();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        obj.set(key, value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    for (const [lit, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return v;
      }
    }
    const m = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 1100));
    if (!m) return fail("unexpected character");
    i += m[0].length;
    return new JsonNumber(canonicalNumber(m[0]));
  };
  const v = value();
  ws();
  if (i !== text.length) fail("trailing characters");
  return v;
}

function kind(v: JsonValue): string {
  if (v === null) return "null";
  if (v instanceof JsonNumber) return "number";
  if (Array.isArray(v)) return "array";
  if (v instanceof Map) return "object";
  return typeof v;
}

function show(v: JsonValue): string {
  if (v instanceof JsonNumber) return v.canonical;
  if (v instanceof Map) return `{${v.size} members}`;
  if (Array.isArray(v)) return `[${v.length} items]`;
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * The differences between two JSON documents, as `path: a vs b` lines
 * (at most `limit`). Empty means equal.
 */
export function jsonDifferences(a: JsonValue, b: JsonValue, limit = 20, path = "$"): string[] {
  const out: string[] = [];
  const walk = (x: JsonValue, y: JsonValue, p: string) => {
    if (out.length >= limit) return;
    const kx = kind(x);
    const ky = kind(y);
    if (kx !== ky) {
      out.push(`${p}: ${kx} ${show(x)} vs ${ky} ${show(y)}`);
      return;
    }
    if (x instanceof JsonNumber) {
      if (x.canonical !== (y as JsonNumber).canonical) out.push(`${p}: ${show(x)} vs ${show(y as JsonValue)}`);
    } else if (Array.isArray(x)) {
      const ya = y as JsonValue[];
      if (x.length !== ya.length) out.push(`${p}: ${x.length} items vs ${ya.length}`);
      for (let k = 0; k < Math.min(x.length, ya.length); k++) walk(x[k], ya[k], `${p}[${k}]`);
    } else if (x instanceof Map) {
      const ym = y as Map<string, JsonValue>;
      for (const key of new Set([...x.keys(), ...ym.keys()])) {
        const kp = `${p}.${JSON.stringify(key)}`;
        if (!x.has(key)) out.push(`${kp}: missing vs ${show(ym.get(key)!)}`);
        else if (!ym.has(key)) out.push(`${kp}: ${show(x.get(key)!)} vs missing`);
        else walk(x.get(key)!, ym.get(key)!, kp);
        if (out.length >= limit) return;
      }
    } else if (x !== y) {
      out.push(`${p}: ${show(x)} vs ${show(y)}`);
    }
  };
  walk(a, b, path);
  return out;
}

/** Differences between two JSON texts (see jsonDifferences). */
export function jsonTextDifferences(a: string, b: string, limit = 20): string[] {
  return jsonDifferences(parseJsonExact(a), parseJsonExact(b), limit);
}
