/**
 * Canonical forms for type-aware equality: the same value read from SQLite
 * and from PostgreSQL yields the same string. UUID hex vs dashed, JSON by
 * meaning, timestamps as microsecond instants, exact doubles and numerics,
 * bytes as hex.
 */
import type { ColumnPlan } from "./plan-types";
import { canonicalNetAddress } from "./network-address";
import { durationMicros, epochToMicros, microsToIso, normalizeDateText, normalizeTimeText, parseDateTimeText, parseUuid, partsToMicros, shortestDecimal } from "./value-formats";

export const NULL_CANON = "\u0000NULL";

const FAST_DT = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?$/;

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) of microseconds since the epoch. */
function microsToCanon(us: bigint): string {
  return microsToIso(us).replace("T", " ").replace(/Z$/, "");
}

/** The SQL that reads a column from PostgreSQL in a form `targetCanonical` understands. */
export function targetSelect(c: ColumnPlan, q: string): string {
  switch (c.conversion) {
    case "bytea": return `encode(${q}, 'hex')`;
    // The UTC wall clock to the microsecond: an instant, in a form the SQLite side reaches by string work alone.
    case "timestamptz": return `CASE WHEN isfinite(${q}) THEN to_char(${q} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') ELSE ${q}::text END`;
    case "timestamp": return `CASE WHEN isfinite(${q}) THEN to_char(${q}, 'YYYY-MM-DD HH24:MI:SS.US') ELSE ${q}::text END`;
    // float4 → float8 is exact: prints the stored value (0.10000000149011612), not float4's shortest form (0.1).
    case "double": return /^(real|float4)$/i.test(c.pgType.trim()) ? `${q}::float8::text` : `${q}::text`;
    // The microseconds of the duration (exact: extract() is numeric); months and days would count as 30 and 1 days.
    case "interval": return `trunc(extract(epoch FROM ${q}) * 1000000)::text`;
    // The type's output text ('::1'); the cast to text would add the mask ('::1/128').
    case "inet": return `(${q})`;
    default: return `${q}::text`;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) o[k] = sortKeys((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

function canonJson(s: string): string {
  try { return JSON.stringify(sortKeys(JSON.parse(s))); } catch { return `invalid JSON: ${s}`; }
}

/** Strips trailing zeros of a plain or exponent decimal string: `1.50` → `1.5`, `-0.0` → `0`. */
export function canonDecimal(s: string): string {
  let t = s.trim();
  if (/[eE]/.test(t)) {
    const n = Number(t);
    if (Number.isFinite(n)) t = shortestDecimal(n);
  }
  if (t.charCodeAt(0) === 43) t = t.slice(1); // "+"
  const dot = t.indexOf(".");
  if (dot >= 0) {
    let end = t.length;
    while (end > dot + 1 && t.charCodeAt(end - 1) === 48) end--; // trailing "0"
    if (end === dot + 1) end = dot;
    t = t.slice(0, end);
  }
  if (t === "-0" || t === "0" || t === "" || t === "-") return "0";
  const neg = t.charCodeAt(0) === 45;
  const first = t.charCodeAt(neg ? 1 : 0);
  if (first === 48 && t.length > (neg ? 2 : 1) && t.charCodeAt(neg ? 2 : 1) !== 46) t = t.replace(/^(-?)0+(?=\d)/, "$1");
  return t;
}

function canonTime(s: string): string {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  if (typeof v === "bigint") return v.toString();
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  return String(v);
}

/** String() is the shortest round-trip form on both sides; only -0 needs care. */
function doubleCanon(n: number): string {
  return n === 0 && Object.is(n, -0) ? "-0" : String(n);
}

/**
 * jsonb's text form of a parsed JSON value: object keys shorter-first then
 * bytewise, ", " and ": " separators. Numbers print as JavaScript does, so a
 * source `1.0` differs from jsonb's `1.0` here: callers fall back to a deep
 * comparison when the texts differ.
 * https://www.postgresql.org/docs/16/datatype-json.html
 */
export function jsonbText(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v !== "object") return String(v);
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(", ")}]`;
  const keys = Object.keys(v as object).sort((a, b) => {
    if (a.length !== b.length) {
      const la = Buffer.byteLength(a);
      const lb = Buffer.byteLength(b);
      if (la !== lb) return la - lb;
    }
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  });
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText((v as Record<string, unknown>)[k])}`).join(", ")}}`;
}

/** Deep equality of parsed JSON values (key order ignored, as jsonb does). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** Canonical form of a SQLite value for column `c`. */
export function sourceCanonical(c: ColumnPlan, v: unknown, zone: string): string {
  if (v === null || v === undefined) return NULL_CANON;
  switch (c.conversion) {
    case "integer": return typeof v === "bigint" ? v.toString() : text(v);
    case "double": return typeof v === "number" ? doubleCanon(v) : typeof v === "bigint" ? doubleCanon(Number(v)) : text(v);
    case "numeric": return typeof v === "number" ? canonDecimal(shortestDecimal(v)) : canonDecimal(text(v));
    case "text": return text(v);
    case "bytea": return (Buffer.isBuffer(v) ? v : Buffer.from(text(v), "utf8")).toString("hex");
    case "boolean": return typeof v === "string" ? (/^(t|true|1)$/i.test(v.trim()) ? "true" : "false") : v === 0n || v === 0 ? "false" : "true";
    case "uuid": return parseUuid(text(v)) ?? `not a uuid: ${text(v)}`;
    case "json": return canonJson(typeof v === "string" ? v : text(v));
    case "timestamptz":
    case "timestamp": {
      if (typeof v === "bigint" || typeof v === "number") return microsToCanon(epochToMicros(v, c.epochUnit ?? "s"));
      const str = text(v);
      // Fast path: naive text read as UTC is already the UTC wall clock.
      if (c.conversion === "timestamp" || zone.toUpperCase() === "UTC") {
        const m = FAST_DT.exec(str);
        if (m) return `${m[1]} ${m[2] ?? "00:00"}:${m[3] ?? "00"}.${(m[4] ?? "").padEnd(6, "0")}`;
      }
      const p = parseDateTimeText(str);
      if (!p) return `not a datetime: ${str}`;
      return microsToCanon(partsToMicros(p, c.conversion === "timestamp" && p.offsetMinutes === null ? "UTC" : zone));
    }
    case "date": return normalizeDateText(text(v)) ?? `not a date: ${text(v)}`;
    case "time": return canonTime(normalizeTimeText(text(v)) ?? `not a time: ${text(v)}`);
    case "interval": return durationMicros(v)?.toString() ?? `not a duration: ${text(v)}`;
    case "inet": return canonicalNetAddress(text(v), /^\s*cidr/i.test(c.pgType) ? "cidr" : "inet") ?? `not an address: ${text(v)}`;
    default: {
      const never: never = c.conversion;
      throw new Error(`unknown conversion ${String(never)}`);
    }
  }
}

/** Canonical form of the text PostgreSQL returned (via `targetSelect`) for column `c`. */
export function targetCanonical(c: ColumnPlan, s: string | null): string {
  if (s === null) return NULL_CANON;
  switch (c.conversion) {
    case "integer":
    case "text":
    case "bytea":
    case "timestamptz":
    case "timestamp":
    case "date":
      return s;
    case "double": return doubleCanon(Number(s));
    case "numeric": return canonDecimal(s);
    case "boolean": return s === "true" || s === "t" ? "true" : "false";
    case "uuid": return s.toLowerCase();
    case "json": return canonJson(s);
    case "time": return canonTime(s);
    case "interval":
    case "inet":
      return s;
    default: {
      const never: never = c.conversion;
      throw new Error(`unknown conversion ${String(never)}`);
    }
  }
}

/** The type-aware equality of a SQLite value and PostgreSQL's text (from `targetSelect`) for column `c`. */
export function valuesEqual(c: ColumnPlan, src: unknown, tv: string | null, zone: string): boolean {
  if (c.conversion === "json" && tv !== null && typeof src === "string") {
    // jsonb prints ", " / ": " separators (as Python's json.dumps does): identical text needs no parse.
    if (src === tv) return true;
    try {
      const parsed: unknown = JSON.parse(src);
      // One parse: the source rendered as jsonb prints it usually equals the target text.
      if (jsonbText(parsed) === tv || jsonEqual(parsed, JSON.parse(tv))) return true;
    } catch {
      // not JSON on one side: the canonical forms decide
    }
  }
  return sourceCanonical(c, src, zone) === targetCanonical(c, tv);
}

/** `SQLite … vs PostgreSQL … (type)`, for a value pair that `valuesEqual` found different. */
export function differenceMessage(c: ColumnPlan, src: unknown, tv: string | null, zone: string): string {
  const show = (s: string) => (s === NULL_CANON ? "NULL" : JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s));
  return `SQLite ${show(sourceCanonical(c, src, zone))} vs PostgreSQL ${show(targetCanonical(c, tv))} (${c.pgType})`;
}
