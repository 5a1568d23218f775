/**
 * Parsers for the value formats ORMs write into SQLite (see
 * /work/shared/notes/orm-formats.md): UUID hex/dashed, ISO-ish datetimes,
 * booleans, and the shortest round-trip decimal form of doubles.
 */

const UUID_HEX = /^[0-9a-fA-F]{32}$/;
const UUID_DASHED = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Lower-case dashed form of a 32-hex or 36-dashed UUID, or null. */
export function parseUuid(s: string): string | null {
  if (UUID_DASHED.test(s)) return s.toLowerCase();
  if (UUID_HEX.test(s)) {
    const h = s.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return null;
}

export function isBooleanText(s: string): boolean {
  return /^(t|f|true|false|0|1)$/i.test(s);
}

export interface DateTimeParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Microseconds 0..999999. */
  micro: number;
  /** Offset in minutes east of UTC, or null for a naive value. */
  offsetMinutes: number | null;
  hasTime: boolean;
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Proleptic Gregorian, without allocating a Date (this runs once per datetime value; see bench/profile-findings.md). */
function daysInMonth(y: number, m: number): number {
  if (m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) return 29;
  return MONTH_DAYS[m - 1] ?? 31;
}

/** Parses the datetime text forms SQLite apps store. Null if not one of them or out of range or finer than a microsecond. */
export function parseDateTimeText(s: string): DateTimeParts | null {
  const m = DATETIME.exec(s.trim());
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const frac = m[7] ?? "";
  if (frac.length > 6 && /[1-9]/.test(frac.slice(6))) return null; // would lose sub-microsecond digits
  const micro = frac === "" ? 0 : Number(frac.slice(0, 6).padEnd(6, "0"));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  if (year < 1) return null;
  let offsetMinutes: number | null = null;
  if (m[8]) {
    if (m[8].toUpperCase() === "Z") offsetMinutes = 0;
    else {
      const sign = m[8][0] === "-" ? -1 : 1;
      const digits = m[8].slice(1).replace(":", "");
      offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0"));
    }
  }
  return { year, month, day, hour, minute, second, micro, offsetMinutes, hasTime: m[4] !== undefined };
}

const TIME = /^(?:\d{4}-\d{2}-\d{2}[ T])?(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;

/** `HH:MM[:SS[.ffffff]]`, also Rails' `2000-01-01 HH:MM:SS` (the date part is a placeholder). Returns the time text PostgreSQL gets, or null. */
export function normalizeTimeText(s: string): string | null {
  const m = TIME.exec(s.trim());
  if (!m) return null;
  if (Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) return null;
  return `${m[1]}:${m[2]}:${m[3] ?? "00"}${m[4] ? `.${m[4]}` : ""}`;
}

/** `YYYY-MM-DD`, or `YYYY-MM-DD 00:00:00[.000]` (midnight only, so nothing is lost). Returns the date text or null. */
export function normalizeDateText(s: string): string | null {
  const p = parseDateTimeText(s);
  if (!p || p.offsetMinutes !== null) return null;
  if (p.hour || p.minute || p.second || p.micro) return null;
  return `${String(p.year).padStart(4, "0")}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
}

/** Shortest round-trip decimal text of a double, without exponent. */
export function shortestDecimal(v: number): string {
  if (Object.is(v, -0)) return "-0";
  const s = String(v);
  if (!/e/i.test(s)) return s;
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/i.exec(s);
  if (!m) return s;
  const digits = m[2] + (m[3] ?? "");
  const exp = Number(m[4]) - (m[3] ?? "").length;
  if (exp >= 0) return m[1] + digits + "0".repeat(exp);
  const point = digits.length + exp;
  return point > 0 ? `${m[1]}${digits.slice(0, point)}.${digits.slice(point)}` : `${m[1]}0.${"0".repeat(-point)}${digits}`;
}

/** Integer digits and scale of a plain decimal string (`-12.340` -> 2, 3). */
export function decimalShape(s: string): { intDigits: number; scale: number } {
  const t = s.replace(/^[-+]/, "");
  const [i, f = ""] = t.split(".");
  const intDigits = i.replace(/^0+/, "").length;
  return { intDigits, scale: f.replace(/0+$/, "").length };
}

/** Microseconds since the epoch of an epoch number in seconds or milliseconds. */
export function epochToMicros(v: number | bigint, unit: "s" | "ms" | "jd"): bigint {
  // Julian day 2440587.5 is 1970-01-01T00:00:00Z. SQLite itself resolves Julian days to the
  // millisecond (iJD = jd * 86400000 + 0.5, https://www.sqlite.org/src/file/src/date.c): a double
  // near 2.4e6 carries ~40 µs of noise below that.
  if (unit === "jd") return (BigInt(Math.round(Number(v) * 86400000)) - 210866760000000n) * 1000n;
  if (typeof v === "bigint") return unit === "s" ? v * 1_000_000n : v * 1_000n;
  return BigInt(Math.round(unit === "s" ? v * 1e6 : v * 1e3));
}

/** ISO text (UTC) for microseconds since the epoch, e.g. `2024-03-15T12:05:57.105000Z`. */
export function microsToIso(us: bigint): string {
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const rem = us - ms * 1000n;
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) throw new Error(`epoch value out of range: ${us}us`);
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ (or +/-YYYYYY for far years)
  return `${iso.slice(0, -1)}${String(rem).padStart(3, "0")}Z`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset (minutes east of UTC) of `zone` at the instant `ms`. */
function zoneOffset(zone: string, ms: number): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    formatters.set(zone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/** Throws unless `zone` is an IANA zone name Node knows. */
/**
 * A duration as microseconds: an integer is microseconds (Django's DurationField), a whole real too;
 * text is SQLAlchemy Interval's form on SQLite, the datetime 1970-01-01 00:00:00 UTC plus the delta.
 * Null when the value is none of those (the scan refuses such values before loading).
 */
export function durationMicros(v: unknown): bigint | null {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : null;
  if (typeof v === "string") {
    const p = parseDateTimeText(v);
    return p ? partsToMicros(p, "UTC") : null;
  }
  return null;
}

export function assertTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    throw new Error(`unknown time zone ${JSON.stringify(zone)}; use an IANA name such as UTC or Europe/Paris`);
  }
}

/** Microseconds since the epoch of parsed datetime parts; naive values are read in `zone`. */
export function partsToMicros(p: DateTimeParts, zone: string): bigint {
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const fixYear = (ms: number) => {
    // Date.UTC maps years 0..99 to 1900..1999.
    if (p.year < 100) { const d = new Date(ms); d.setUTCFullYear(p.year); return d.getTime(); }
    return ms;
  };
  let ms = fixYear(wall);
  if (p.offsetMinutes !== null) ms -= p.offsetMinutes * 60000;
  else if (zone.toUpperCase() !== "UTC") {
    let off = zoneOffset(zone, ms);
    off = zoneOffset(zone, ms - off * 60000);
    ms -= off * 60000;
  }
  return BigInt(ms) * 1000n + BigInt(p.micro);
}
