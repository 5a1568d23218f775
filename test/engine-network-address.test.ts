/**
 * inet / cidr text (migrate/network-address.ts) against PostgreSQL 16 itself:
 * every address the engine accepts, PostgreSQL accepts and prints exactly as
 * the engine predicts; what the engine refuses is listed and checked too.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalNetAddress, type NetKind } from "../migrate/network-address";
import { withPostgres } from "./support/postgres";

/** A deterministic spread of IPv6 words: zero runs of every length and place, ffff, embedded IPv4. */
function generatedV6(): string[] {
  const out: string[] = [];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 400; i++) {
    const w = Array.from({ length: 8 }, () => (rnd() < 0.55 ? 0 : rnd() < 0.1 ? 0xffff : Math.floor(rnd() * 65536)));
    const style = i % 4;
    const hex = w.map((x) => x.toString(16).padStart(style === 1 ? 4 : 1, "0"));
    let text = style === 2 ? hex.join(":").toUpperCase() : hex.join(":");
    if (style === 3) text = `${hex.slice(0, 6).join(":")}:${w[6] >> 8}.${w[6] & 255}.${w[7] >> 8}.${w[7] & 255}`;
    out.push(text, `${text}/${i % 129}`);
  }
  for (let z = 0; z <= 8; z++) for (let at = 0; at + z <= 8; at++) {
    const w = Array.from({ length: 8 }, (_, i) => (i >= at && i < at + z ? 0 : i + 1));
    out.push(w.map((x) => x.toString(16)).join(":"));
  }
  return out;
}

const FIXED = [
  "::", "::1", "::2", "::0.0.0.1", "::1.2.3.4", "::ffff:1.2.3.4", "::ffff:0.0.0.0", "::ffff:102:304", "::fffe:1.2.3.4", "64:ff9b::1.2.3.4",
  "1::", "1:0:0:1::", "2001:DB8:0:0:1:0:0:1", "fe80::1", "0:0:0:0:0:0:0:1", "::0:1:0:0", "1:2:3:4:5:6:1.2.3.4", "::ffff:1.2.3.0/120",
  "1.2.3.4", "1.2.3.4/32", "1.2.3.4/24", "010.0.0.1", "1.2.3.04", "1.2.3.4/08", "0.0.0.0/0", "255.255.255.255", "10.0.0.0/8", "10.0.0.1/8",
  "::1/128", "::1/64", "2001:db8::/32", "1.2.3.4/032",
];
/** Texts the engine refuses (PostgreSQL takes some of them: the abbreviations), each checked below. */
const REFUSED = ["1.2.3", "10/8", "1.2.3.4/33", " 1.2.3.4", "1.2.3.4 ", "0x1.2.3.4", "::1%eth0", "[::1]", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "256.1.1.1", "", "::1/129", "1.2.3.4/", "1.2.3.4.5"];

describe("inet and cidr text as PostgreSQL 16 reads and prints it", () => {
  const server = withPostgres();

  for (const kind of ["inet", "cidr"] as NetKind[]) {
    it(`${kind}: every accepted text is valid and printed as predicted`, async () => {
      const texts = [...FIXED, ...generatedV6()];
      // concat() prints with the type's output function, as drivers read it (::text would add /32 and /128 to inet).
      const rows = await server.query<{ v: string; ok: boolean; printed: string | null }>(
        `SELECT v, pg_input_is_valid(v, $2) AS ok, CASE WHEN pg_input_is_valid(v, $2) THEN concat(CASE $2 WHEN 'inet' THEN v::inet END, CASE $2 WHEN 'cidr' THEN v::cidr END) END AS printed FROM unnest($1::text[]) AS u(v)`,
        [texts, kind],
      );
      const printed = new Map(rows.map((r) => [r.v, r.printed]));
      let accepted = 0;
      const wrong: string[] = [];
      for (const r of rows) {
        const mine = canonicalNetAddress(r.v, kind);
        if (mine === null) {
          // Refused here: PostgreSQL must refuse it too (pg_input_is_valid is false for cidr bits right of the mask).
          if (r.ok) wrong.push(`${r.v}: refused here, PostgreSQL takes it as ${printed.get(r.v)}`);
          continue;
        }
        accepted++;
        if (!r.ok) wrong.push(`${r.v}: accepted here as ${mine}, PostgreSQL refuses it`);
        else if (printed.get(r.v) !== mine) wrong.push(`${r.v}: predicted ${mine}, PostgreSQL prints ${printed.get(r.v)}`);
      }
      assert.deepEqual(wrong, []);
      assert.ok(accepted > (kind === "inet" ? 800 : 200), `only ${accepted} texts accepted`);
    });
  }

  it("refuses abbreviations and malformed texts (PostgreSQL refuses most of them too)", async () => {
    for (const v of REFUSED) assert.equal(canonicalNetAddress(v, "inet"), null, v);
    const rows = await server.query<{ v: string; ok: boolean }>(`SELECT v, pg_input_is_valid(v, 'inet') AS ok FROM unnest($1::text[]) AS u(v)`, [REFUSED]);
    // The only ones PostgreSQL takes as inet are abbreviations, whose meaning the engine does not guess.
    assert.deepEqual(rows.filter((r) => r.ok).map((r) => r.v), ["10/8"]);
    assert.equal(canonicalNetAddress("10.0.0.1/8", "cidr"), null, "cidr with bits right of the mask");
    assert.equal(canonicalNetAddress("10.0.0.0/8", "cidr"), "10.0.0.0/8");
    assert.equal(canonicalNetAddress("1.2.3.4", "cidr"), "1.2.3.4/32");
  });
});
