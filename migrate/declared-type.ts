/**
 * Classifies a SQLite declared type name into a family. Known names (UUID,
 * JSON, DATETIME, BOOLEAN, ...) come first; everything else follows SQLite's
 * own affinity rules, so odd names (`BLOB SUB_TYPE TEXT`, `text nocase`,
 * `integer auto_increment`, `double precision`) land where SQLite put them.
 * https://www.sqlite.org/datatype3.html#determination_of_column_affinity
 */

export type TypeFamily =
  | { kind: "uuid" }
  | { kind: "json" }
  | { kind: "datetime" }
  | { kind: "date" }
  | { kind: "time" }
  | { kind: "boolean" }
  | { kind: "integer" }
  | { kind: "real" }
  | { kind: "numeric"; precision?: number; scale?: number }
  /** CHAR/VARCHAR/NVARCHAR(n); `fixed` for CHAR(n)/NCHAR(n). */
  | { kind: "varchar"; length?: number; fixed: boolean }
  | { kind: "text" }
  | { kind: "blob" }
  /** Empty or unrecognised name with NUMERIC/BLOB affinity: decided by the values. */
  | { kind: "inferred"; affinity: "numeric" | "blob" };

function args(t: string): number[] {
  const m = /\(\s*([+-]?\d+)\s*(?:,\s*([+-]?\d+)\s*)?\)/.exec(t);
  if (!m) return [];
  return m[2] === undefined ? [Number(m[1])] : [Number(m[1]), Number(m[2])];
}

export function classifyDeclared(declared: string): TypeFamily {
  const t = declared.trim().toUpperCase();
  const base = t.replace(/\(.*$/, "").trim();
  if (/^(UUID|GUID|UNIQUEIDENTIFIER)$/.test(base)) return { kind: "uuid" };
  if (/^JSONB?$/.test(base)) return { kind: "json" };
  if (/^(BOOL|BOOLEAN)$/.test(base)) return { kind: "boolean" };
  if (/DATETIME|TIMESTAMP/.test(base)) return { kind: "datetime" };
  if (/^DATE$/.test(base)) return { kind: "date" };
  if (/^TIME( WITHOUT TIME ZONE)?$/.test(base)) return { kind: "time" };
  // SQLite affinity rules, in SQLite's order.
  if (t.includes("INT")) return { kind: "integer" };
  if (t.includes("CHAR") || t.includes("CLOB") || t.includes("TEXT")) {
    if (/^(N?VARCHAR|VARYING CHARACTER|NATIVE CHARACTER|CHARACTER VARYING|N?CHAR|CHARACTER|NCHAR VARYING|VARCHAR2|NVARCHAR2)$/.test(base)) {
      const [n] = args(t);
      return { kind: "varchar", length: n !== undefined && n > 0 ? n : undefined, fixed: /^(N?CHAR|CHARACTER|NATIVE CHARACTER)$/.test(base) };
    }
    return { kind: "text" };
  }
  if (t === "" ) return { kind: "inferred", affinity: "blob" };
  if (t.includes("BLOB")) return { kind: "blob" };
  if (t.includes("REAL") || t.includes("FLOA") || t.includes("DOUB")) return { kind: "real" };
  if (/^(NUMERIC|DECIMAL|NUMBER|MONEY)$/.test(base)) {
    const [p, s] = args(t);
    return p !== undefined && p > 0 && p <= 1000 ? { kind: "numeric", precision: p, scale: s ?? 0 } : { kind: "numeric" };
  }
  return { kind: "inferred", affinity: "numeric" };
}
