/**
 * Maps SQLite names to PostgreSQL names: optional folding to lower case, and
 * deterministic shortening of names longer than PostgreSQL's 63-byte limit
 * (NAMEDATALEN - 1), with every shortening and collision recorded.
 * https://www.postgresql.org/docs/16/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
 */
import { createHash } from "node:crypto";

export const MAX_IDENTIFIER_BYTES = 63;

export interface IdentifierChange {
  kind: "table" | "column" | "index" | "constraint" | "view";
  /** The object the name belongs to (the table, for columns and constraints). */
  scope: string;
  source: string;
  target: string;
  reason: "folded" | "shortened" | "collision";
}

function hash8(s: string): string {
  return createHash("sha256").update(s, "utf8").digest("hex").slice(0, 8);
}

/** Cuts a string to at most `bytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, bytes: number): string {
  let out = "";
  let used = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, "utf8");
    if (used + n > bytes) break;
    out += ch;
    used += n;
  }
  return out;
}

/** Shortens a name over 63 bytes to a 54-byte prefix + `_` + 8 hex chars of its sha256. */
export function shortenIdentifier(name: string): string {
  if (Buffer.byteLength(name, "utf8") <= MAX_IDENTIFIER_BYTES) return name;
  return `${truncateUtf8(name, MAX_IDENTIFIER_BYTES - 9)}_${hash8(name)}`;
}

/**
 * Allocates unique target names inside one PostgreSQL namespace (e.g. all
 * relations of a schema, or the columns of one table). Deterministic for a
 * given order of requests.
 */
export class NameAllocator {
  private readonly used = new Set<string>();
  constructor(
    private readonly fold: boolean,
    private readonly changes: IdentifierChange[],
    private readonly kind: IdentifierChange["kind"],
    private readonly scope: string,
  ) {}

  /** The names taken so far; the returned function gives them back (to plan a table again from the same state). */
  snapshot(): () => void {
    const saved = new Set(this.used);
    return () => {
      this.used.clear();
      for (const n of saved) this.used.add(n);
    };
  }

  /** Marks a name as taken without recording a change. */
  reserve(name: string): void {
    this.used.add(name);
  }

  allocate(source: string, kind: IdentifierChange["kind"] = this.kind): string {
    let target = this.fold ? source.toLowerCase() : source;
    if (target !== source) this.changes.push({ kind, scope: this.scope, source, target, reason: "folded" });
    const short = shortenIdentifier(target);
    if (short !== target) {
      this.changes.push({ kind, scope: this.scope, source, target: short, reason: "shortened" });
      target = short;
    }
    if (this.used.has(target)) {
      let candidate = `${truncateUtf8(target, MAX_IDENTIFIER_BYTES - 9)}_${hash8(`${source}\u0000${target}`)}`;
      let i = 2;
      while (this.used.has(candidate)) candidate = `${truncateUtf8(target, MAX_IDENTIFIER_BYTES - 12)}_${hash8(`${source}\u0000${i}`)}_${i++}`;
      this.changes.push({ kind, scope: this.scope, source, target: candidate, reason: "collision" });
      target = candidate;
    }
    this.used.add(target);
    return target;
  }
}
