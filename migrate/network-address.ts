/**
 * IP addresses stored as text (Django's `GenericIPAddressField` is `char(39)`
 * on SQLite) going into PostgreSQL `inet` / `cidr`: which texts PostgreSQL
 * takes, and the text it prints back, so the scan refuses before loading
 * and verification compares what the application will read.
 *
 * Only the usual forms are accepted: dotted-quad IPv4 (four decimal parts)
 * and RFC 4291 IPv6 (with `::` and a trailing dotted quad), each with an
 * optional `/bits`. PostgreSQL also takes abbreviations (`10/8`, and for
 * cidr `10.1.2`); those are refused with a fix rather than guessed at.
 * Output rules, as PostgreSQL 16 prints them (checked against the server in
 * test/engine-network-address.test.ts): IPv6 in lower case without leading
 * zeros, the first longest run of two or more zero groups as `::`, and
 * `::a.b.c.d` / `::ffff:a.b.c.d` dotted; inet leaves out `/32` and `/128`,
 * cidr always prints the mask and refuses bits set right of it.
 * https://www.postgresql.org/docs/16/datatype-net-types.html
 */

export type NetKind = "inet" | "cidr";

const V4_PART = /^\d{1,3}$/;
const BITS = /^\d{1,3}$/;

/** The 4 bytes of a dotted-quad IPv4 text, or null. */
function parseV4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4 || !parts.every((p) => V4_PART.test(p))) return null;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : null;
}

/** The 16 bytes of an IPv6 text, or null. */
function parseV6(s: string): number[] | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return null;
  let tail: number[] = [];
  let head = s;
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (!v4 || lastColon < 0) return null;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    head = s.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::", "1::1.2.3.4" leaves "1::", "1:2:3:4:5:6:1.2.3.4" leaves "1:2:3:4:5:6:".
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const groups = (x: string) => (x === "" ? [] : x.split(":"));
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (![...left, ...right].every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return null;
  const words = [...left, ...right].map((g) => parseInt(g, 16));
  const given = words.length + tail.length;
  let all: number[];
  if (halves.length === 2) {
    if (given > 7) return null;
    all = [...left.map((g) => parseInt(g, 16)), ...new Array<number>(8 - given).fill(0), ...right.map((g) => parseInt(g, 16)), ...tail];
  } else {
    if (given !== 8) return null;
    all = [...words, ...tail];
  }
  return all.flatMap((w) => [w >> 8, w & 255]);
}

function v6Text(bytes: number[]): string {
  const w = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  // The first longest run of at least two zero groups.
  let base = -1;
  let len = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > len) { base = i; len = j - i; }
    i = j;
  }
  if (len < 2) base = -1;
  const dotted = base === 0 && (len === 6 || (len === 5 && w[5] === 0xffff));
  const hex = (from: number, to: number) => w.slice(from, to).map((x) => x.toString(16));
  if (dotted) return `::${len === 5 ? "ffff:" : ""}${bytes.slice(12).join(".")}`;
  if (base < 0) return hex(0, 8).join(":");
  return `${hex(0, base).join(":")}::${hex(base + len, 8).join(":")}`;
}

/**
 * PostgreSQL's output text of `s` read as `kind`, or null when `s` is not
 * an address in one of the accepted forms (or, for cidr, has bits set
 * right of its mask).
 */
export function canonicalNetAddress(s: string, kind: NetKind): string | null {
  const slash = s.indexOf("/");
  const addr = slash < 0 ? s : s.slice(0, slash);
  const bitsText = slash < 0 ? undefined : s.slice(slash + 1);
  const v4 = addr.includes(":") ? null : parseV4(addr);
  const bytes = v4 ?? (addr.includes(":") ? parseV6(addr) : null);
  if (!bytes) return null;
  const max = bytes.length * 8;
  if (bitsText !== undefined && !BITS.test(bitsText)) return null;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (bits > max) return null;
  if (kind === "cidr") {
    for (let i = 0; i < max; i++) {
      if (i >= bits && (bytes[i >> 3] >> (7 - (i & 7))) & 1) return null;
    }
  }
  const text = v4 ? bytes.join(".") : v6Text(bytes);
  return kind === "cidr" || bits !== max ? `${text}/${bits}` : text;
}
