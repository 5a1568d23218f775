/**
 * Reading PostgreSQL's COPY text format back: one field's escapes undone.
 * https://www.postgresql.org/docs/16/sql-copy.html#id-1.9.3.55.9.2
 */

const ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/** The value of one COPY text field (`\N` is NULL). */
export function unescapeCopy(field: string): string | null {
  if (field === "\\N") return null;
  if (!field.includes("\\")) return field;
  return field.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))/g, (_m, oct: string, hex: string, ch: string) => {
    if (oct) return String.fromCharCode(parseInt(oct, 8));
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    return ESCAPES[ch] ?? ch;
  });
}
