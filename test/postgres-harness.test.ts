import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startPostgres, type TestServer } from "./support/postgres";

let server: TestServer;
before(async () => { server = await startPostgres(); });
after(async () => { await server?.stop(); });

test("the test server is a real PostgreSQL 16 running as a non-root user", async () => {
  const [row] = await server.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  assert.match(String(row.v), /^16\d{4}$/);
  const [dir] = await server.query<{ d: string }>("SELECT current_setting('data_directory') AS d");
  const postmasterPid = readFileSync(join(dir.d, "postmaster.pid"), "utf8").split("\n")[0];
  const owner = execFileSync("ps", ["-o", "user=", "-p", postmasterPid], { encoding: "utf8" }).trim();
  assert.notEqual(owner, "root");
  const db = await server.createDatabase();
  const [one] = await server.query<{ n: number }>("SELECT 1 AS n", [], db);
  assert.equal(one.n, 1);
});
