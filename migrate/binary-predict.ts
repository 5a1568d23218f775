/**
 * The bytes PostgreSQL sends for a row in `COPY ... TO STDOUT (FORMAT
 * binary)`, predicted in JavaScript from the SQLite values. Binary output
 * costs PostgreSQL less than half the CPU of text output (1M bench rows:
 * 1.5 vs 3.0–3.5 s), and binary fields are exact (a double is its 8 bytes).
 *
 * Each field is the value's own encoding under the target type (int8 big
 * endian, the 16 bytes of a UUID, UTF-8 of a text, microseconds since
 * 2000-01-01 UTC of a timestamptz, jsonb's text of the source's JSON
 * tokens), so bytes equal to PostgreSQL's mean equal values. A value with
 * no exact prediction gets a field PostgreSQL never sends (length -2): that
 * row differs, and the caller looks at it closely.
 * https://www.postgresql.org/docs/16/sql-copy.html#id-1.9.3.55.9.4
 */
import type { ColumnPlan } from "./plan-types";
import { decimalAsDouble } from "./verify-predict";
import { jsonbTextOfSource } from "./verify-json";

/** How a column's binary field is predicted. "double" also serves numeric(p ≤ 15) read as `::float8`. */
export type BinKind = "int8" | "int4" | "int2" | "bool" | "double" | "uuid" | "text" | "jsonb" | "timestamptz" | "bytea";

/** 'PGCOPY\n\377\r\n\0', flags 0, no header extension. */
export const BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
/** The file trailer: a field count of -1. */
export const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * The binary kind of each column, or null when some column has none (the
 * text passes handle that table): generated columns, types whose binary
 * form needs more than the value (char(n) padding, numeric, date/time),
 * naive datetimes outside UTC.
 */
export function binaryKinds(columns: ColumnPlan[], zone: string): BinKind[] | null {
  const kinds: BinKind[] = [];
  for (const c of columns) {
    const k = binaryKind(c, zone);
    if (!k) return null;
    kinds.push(k);
  }
  return kinds;
}

function binaryKind(c: ColumnPlan, zone: string): BinKind | null {
  if (c.generated) return null;
  const pg = c.pgType.trim().toLowerCase();
  switch (c.conversion) {
    case "integer":
      return pg === "bigint" || pg === "int8" ? "int8" : pg === "integer" || pg === "int" || pg === "int4" ? "int4" : pg === "smallint" || pg === "int2" ? "int2" : null;
    case "boolean":
      return pg === "boolean" || pg === "bool" ? "bool" : null;
    case "double":
      return pg === "double precision" || pg === "float8" ? "double" : null;
    case "numeric":
      return decimalAsDouble(c) ? "double" : null;
    case "uuid":
      return pg === "uuid" ? "uuid" : null;
    case "text":
      return /^(text|varchar(\(\d+\))?|character varying(\(\d+\))?)$/.test(pg) ? "text" : null;
    case "json":
      return pg === "jsonb" ? "jsonb" : null;
    case "timestamptz":
      // Naive text is read in the session zone: only UTC needs no zone rules here.
      return zone.toUpperCase() === "UTC" && (pg === "timestamptz" || pg === "timestamp with time zone") ? "timestamptz" : null;
    case "bytea":
      return pg === "bytea" ? "bytea" : null;
    default:
      return null;
  }
}

/** PostgreSQL's select expression for a column of kind `k` (`q` the column reference). */
export function binarySelect(k: BinKind, c: ColumnPlan, q: string): string {
  return k === "double" && c.conversion === "numeric" ? `${q}::float8` : q;
}

const TWO32 = 4294967296;
const MICROS_PER_DAY = 86_400_000_000;
/** Days from 1970-01-01 to 2000-01-01. */
const DAYS_1970_2000 = 10_957;

/** Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

/** Digits at s[i, i+n) as a number, or -1. */
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Microseconds since 2000-01-01 00:00 UTC of a datetime text read in UTC,
 * as PostgreSQL's timestamptz input reads it, or null for any form not
 * handled exactly here: `YYYY-MM-DD`, then optionally ` ` or `T`,
 * `HH:MM[:SS[.f…f]]` (1–6 fraction digits), and `Z`, `±HH`, `±HHMM` or `±HH:MM`.
 */
export function timestamptzMicros(s: string): number | bigint | null {
  const n = s.length;
  if (n < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return null;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  let h = 0, mi = 0, sec = 0, frac = 0, offset = 0;
  let i = 10;
  if (i < n) {
    const sep = s.charCodeAt(i);
    if (sep !== 32 && sep !== 84) return null;
    if (i + 6 > n || s.charCodeAt(i + 3) !== 58) return null;
    h = digits(s, i + 1, 2);
    mi = digits(s, i + 4, 2);
    i += 6;
    if (i < n && s.charCodeAt(i) === 58) {
      sec = digits(s, i + 1, 2);
      i += 3;
      if (i < n && s.charCodeAt(i) === 46) {
        let k = i + 1;
        while (k < n && s.charCodeAt(k) >= 48 && s.charCodeAt(k) <= 57) k++;
        const f = k - i - 1;
        if (f < 1 || f > 6) return null;
        frac = digits(s, i + 1, f) * 10 ** (6 - f);
        i = k;
      }
    }
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return null;
    if (i < n) {
      const z = s.charCodeAt(i);
      if (z === 90 && i + 1 === n) i++;
      else if (z === 43 || z === 45) {
        const rest = n - i - 1;
        const oh = digits(s, i + 1, 2);
        const om = rest === 2 ? 0 : rest === 4 ? digits(s, i + 3, 2) : rest === 5 && s.charCodeAt(i + 3) === 58 ? digits(s, i + 4, 2) : -1;
        if (oh < 0 || oh > 15 || om < 0 || om > 59) return null;
        offset = (z === 45 ? -1 : 1) * (oh * 60 + om);
        i = n;
      }
    }
    if (i !== n) return null;
  }
  const days = daysFromCivil(y, mo, d) - DAYS_1970_2000;
  const inDay = ((h * 60 + mi - offset) * 60 + sec) * 1_000_000 + frac;
  const us = days * MICROS_PER_DAY + inDay;
  return Number.isSafeInteger(us) ? us : BigInt(days) * BigInt(MICROS_PER_DAY) + BigInt(inDay);
}

/** A growable output buffer of binary COPY tuples. */
export class TupleWriter {
  buf = Buffer.allocUnsafe(1 << 17);
  pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far as a latin1 string (one byte per character), then empty. */
  takeLatin1(): string {
    const s = this.buf.toString("latin1", 0, this.pos);
    this.pos = 0;
    return s;
  }

  private int64(v: number | bigint): void {
    this.room(12);
    this.buf.writeInt32BE(8, this.pos);
    if (typeof v === "bigint") this.buf.writeBigInt64BE(v, this.pos + 4);
    else {
      const hi = Math.floor(v / TWO32);
      this.buf.writeInt32BE(hi, this.pos + 4);
      this.buf.writeUInt32BE(v - hi * TWO32, this.pos + 8);
    }
    this.pos += 12;
  }

  private fixed(len: number): number {
    this.room(4 + len);
    this.buf.writeInt32BE(len, this.pos);
    this.pos += 4 + len;
    return this.pos - len;
  }

  private utf8(s: string, prefix?: number): void {
    const max = s.length * 3 + 1;
    this.room(4 + max);
    let at = this.pos + 4;
    if (prefix !== undefined) this.buf[at++] = prefix;
    const n = this.buf.write(s, at, "utf8");
    this.buf.writeInt32BE(n + (prefix === undefined ? 0 : 1), this.pos);
    this.pos = at + n;
  }

  /** A field PostgreSQL never sends: the row will differ. */
  unpredictable(): void {
    this.room(4);
    this.buf.writeInt32BE(-2, this.pos);
    this.pos += 4;
  }

  row(kinds: BinKind[], values: unknown[]): void {
    this.room(2);
    this.buf.writeInt16BE(kinds.length, this.pos);
    this.pos += 2;
    for (let i = 0; i < kinds.length; i++) this.field(kinds[i], values[i]);
  }

  field(k: BinKind, v: unknown): void {
    if (v === null || v === undefined) {
      this.room(4);
      this.buf.writeInt32BE(-1, this.pos);
      this.pos += 4;
      return;
    }
    switch (k) {
      case "int8":
      case "int4":
      case "int2": {
        const bits = k === "int8" ? 64 : k === "int4" ? 32 : 16;
        let x: number | bigint;
        if (typeof v === "number" && Number.isSafeInteger(v)) x = v;
        else if (typeof v === "bigint") x = Number.isSafeInteger(Number(v)) ? Number(v) : v;
        else return this.unpredictable();
        if (typeof x === "bigint") return bits === 64 && x >= -(2n ** 63n) && x < 2n ** 63n ? this.int64(x) : this.unpredictable();
        if (bits === 64) return this.int64(x);
        const lim = 2 ** (bits - 1);
        if (x < -lim || x >= lim) return this.unpredictable();
        const at = this.fixed(bits / 8);
        if (bits === 32) this.buf.writeInt32BE(x, at);
        else this.buf.writeInt16BE(x, at);
        return;
      }
      case "bool": {
        let b: boolean | null = null;
        if (typeof v === "number" || typeof v === "bigint") b = Number(v) !== 0;
        else if (typeof v === "string") {
          const t = v.toLowerCase();
          b = t === "t" || t === "true" || t === "1" ? true : t === "f" || t === "false" || t === "0" ? false : null;
        }
        if (b === null) return this.unpredictable();
        this.buf[this.fixed(1)] = b ? 1 : 0;
        return;
      }
      case "double": {
        let x: number;
        if (typeof v === "number") x = v;
        else if (typeof v === "bigint" && Number.isSafeInteger(Number(v))) x = Number(v);
        else return this.unpredictable();
        this.buf.writeDoubleBE(x, this.fixed(8));
        return;
      }
      case "uuid": {
        if (typeof v !== "string") return this.unpredictable();
        let hex: string;
        if (v.length === 32) hex = v;
        else if (v.length === 36 && v[8] === "-" && v[13] === "-" && v[18] === "-" && v[23] === "-") hex = v.slice(0, 8) + v.slice(9, 13) + v.slice(14, 18) + v.slice(19, 23) + v.slice(24);
        else return this.unpredictable();
        const at = this.fixed(16);
        // Buffer#write stops at the first pair that is not hex.
        if (this.buf.write(hex, at, 16, "hex") !== 16) {
          this.pos = at - 4;
          return this.unpredictable();
        }
        return;
      }
      case "text":
        // U+FFFD may stand for invalid UTF-8 in the file (better-sqlite3 decodes it so).
        if (typeof v === "string") return v.includes("\uFFFD") ? this.unpredictable() : this.utf8(v);
        if (typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v))) return this.utf8(String(v));
        return this.unpredictable();
      case "jsonb": {
        if (typeof v !== "string") return this.unpredictable();
        const canon = jsonbTextOfSource(v);
        // jsonb's binary form: version 1, then its text.
        return canon === null ? this.unpredictable() : this.utf8(canon, 1);
      }
      case "timestamptz": {
        const us = typeof v === "string" ? timestamptzMicros(v) : null;
        return us === null ? this.unpredictable() : this.int64(us);
      }
      case "bytea": {
        if (!Buffer.isBuffer(v)) return this.unpredictable();
        const at = this.fixed(v.length);
        v.copy(this.buf, at);
        return;
      }
      default: {
        const never: never = k;
        throw new Error(`unknown binary kind ${String(never)}`);
      }
    }
  }
}

/**
 * Byte offsets of the tuples in `b` from `start`: `ends[i]` is where tuple i
 * ends. Stops at the trailer, at a truncated tuple, or after `max` tuples.
 */
export function tupleEnds(b: Buffer, start: number, max: number): number[] {
  const ends: number[] = [];
  let p = start;
  while (ends.length < max && p + 2 <= b.length) {
    const nf = b.readInt16BE(p);
    if (nf < 0) break;
    let q = p + 2;
    let ok = true;
    for (let f = 0; f < nf; f++) {
      if (q + 4 > b.length) { ok = false; break; }
      const len = b.readInt32BE(q);
      q += 4 + (len > 0 ? len : 0);
      if (q > b.length) { ok = false; break; }
    }
    if (!ok) break;
    ends.push(q);
    p = q;
  }
  return ends;
}

/** The fields of one tuple: null for NULL, undefined for the unpredictable marker, else the bytes. */
export function tupleFields(b: Buffer): (Buffer | null | undefined)[] {
  const out: (Buffer | null | undefined)[] = [];
  const nf = b.readInt16BE(0);
  let q = 2;
  for (let f = 0; f < nf; f++) {
    const len = b.readInt32BE(q);
    q += 4;
    if (len === -1) out.push(null);
    else if (len < 0) out.push(undefined);
    else { out.push(b.subarray(q, q + len)); q += len; }
  }
  return out;
}
