import assert from "node:assert/strict";
import { before, test } from "node:test";
import { connect, redact, withPassword } from "../migrate/pg-connection";
import { withPostgres } from "./support/postgres";

const server = withPostgres();
before(async () => {
  // A password full of URL-special characters, given apart from the URL.
  await server.query(`CREATE ROLE odd LOGIN PASSWORD 'p@ss:w/rd?#%&'`);
});

test("an explicit password wins over a connection string that has none", async () => {
  const to = `postgresql://odd@${server.host}:${server.port}/postgres`;
  const client = await connect({ to, password: "p@ss:w/rd?#%&" });
  try {
    const { rows } = await client.query("SELECT current_user AS u");
    assert.equal(rows[0].u, "odd");
  } finally {
    await client.end();
  }
});

test("the password put into the URL is redacted from messages", () => {
  const url = withPassword("postgresql://odd@localhost:5432/db", "p@ss:w/rd?#%&");
  assert.ok(!redact(`failed: ${url}`, ["p@ss:w/rd?#%&"]).includes("p@ss"));
  assert.equal(withPassword("postgresql://u@h/db", undefined), "postgresql://u@h/db");
});
