/**
 * The text PostgreSQL 16 prints for a float8 when `extra_float_digits` > 0
 * (our sessions set 1): the shortest decimal that reads back as the same
 * double (Ryu), in fixed notation when the decimal exponent is in [-4, 15),
 * else as `d.ddde±XX` with at least two exponent digits.
 * https://www.postgresql.org/docs/16/datatype-numeric.html#DATATYPE-FLOAT
 * (src/common/d2s.c, `to_chars`: the printf-like thresholds.)
 *
 * JavaScript's own number to string conversion is also the shortest
 * round-trip form, so only the notation differs. Text equal to
 * PostgreSQL's therefore means the same double: this text reads back as `v`.
 */
export function pgFloat8Text(v: number): string {
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  const abs = Math.abs(v);
  // String() is fixed notation for 1e-7 <= |v| < 1e21, which covers PostgreSQL's fixed range.
  if (abs >= 1e-4 && abs < 1e15) return String(v);
  const e = v.toExponential(); // shortest digits, e.g. "-1.5e-7", "1e+21"
  const at = e.indexOf("e");
  const exp = e.slice(at + 2);
  return `${e.slice(0, at + 2)}${exp.length < 2 ? `0${exp}` : exp}`;
}
