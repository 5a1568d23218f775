/**
 * Issue 16: the application's view is the standard.
 * - UUID-shaped text stays text except CHAR(32) hex (MLflow's VARCHAR(32) run_uuid keeps its text).
 * - Columns tied by a foreign key get the same type; an empty column follows its parent.
 * - A foreign key or index is never dropped while the run says success: created, or refused with the fix.
 * - TINYINT(1) of 0/1 is boolean; a BLOB column holding some text is bytea with a warning.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { buildPlan, migrate, verify, type Plan } from "../migrate/index";
import { withPostgres } from "./support/postgres";

let dir: string;
let n = 0;
function fixture(sql: string): string {
  const path = join(dir, `f${++n}.db`);
  const db = new Database(path);
  db.exec(sql);
  db.close();
  return path;
}
const column = (plan: Plan, t: string, c: string) => plan.tables.find((x) => x.source === t)!.columns.find((x) => x.source === c)!;
const fk = (plan: Plan, t: string) => plan.tables.find((x) => x.source === t)!.foreignKeys;

before(() => { dir = mkdtempSync(join(tmpdir(), "s2p-appview-")); });
after(() => rmSync(dir, { recursive: true, force: true }));

// MLflow 3 (SQLAlchemy + Alembic) as it is on SQLite: run_uuid VARCHAR(32) holding hex; a child table that is empty.
const MLFLOW = `
  CREATE TABLE experiments (experiment_id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(256) NOT NULL UNIQUE);
  CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL PRIMARY KEY, name VARCHAR(250), experiment_id INTEGER REFERENCES experiments (experiment_id));
  CREATE TABLE latest_metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, run_uuid VARCHAR(32) NOT NULL, PRIMARY KEY (key, run_uuid), FOREIGN KEY (run_uuid) REFERENCES runs (run_uuid));
  CREATE TABLE tags (key VARCHAR(250) NOT NULL, value VARCHAR(8000), run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid), PRIMARY KEY (key, run_uuid));
  INSERT INTO experiments VALUES (0, 'Default');
  INSERT INTO runs VALUES ('0123456789abcdef0123456789abcdef', 'r1', 0), ('fedcba9876543210fedcba9876543210', 'r2', 0);
  INSERT INTO tags VALUES ('mlflow.user', 'me', '0123456789abcdef0123456789abcdef');`;

describe("plans", () => {
  it("MLflow: VARCHAR(32) hex keys stay varchar(32) in parent and (empty) child, and every FK is created", () => {
    const plan = buildPlan(fixture(MLFLOW));
    assert.deepEqual(plan.errors, []);
    for (const t of ["runs", "latest_metrics", "tags"]) {
      assert.equal(column(plan, t, "run_uuid").pgType, "varchar(32)", t);
      assert.equal(column(plan, t, "run_uuid").conversion, "text", t);
    }
    assert.match(column(plan, "runs", "run_uuid").reason, /UUID-shaped text kept as text/);
    for (const t of ["runs", "latest_metrics", "tags"]) assert.ok(fk(plan, t).every((f) => f.action === "create"), `${t}: ${JSON.stringify(fk(plan, t))}`);
  });

  it("SQLAlchemy Uuid / Django UUIDField (CHAR(32)): uuid, and the empty child follows its parent", () => {
    const plan = buildPlan(fixture(`
      CREATE TABLE users (id CHAR(32) NOT NULL PRIMARY KEY, email TEXT);
      CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_ref VARCHAR(40) REFERENCES users (id));
      CREATE TABLE audit (id INTEGER PRIMARY KEY, session_id INTEGER REFERENCES sessions (id), who VARCHAR(40) REFERENCES users (id));
      INSERT INTO users VALUES ('0123456789abcdef0123456789abcdef', 'a@x'), ('fedcba9876543210fedcba9876543210', 'b@x');`));
    assert.deepEqual(plan.errors, []);
    assert.equal(column(plan, "users", "id").pgType, "uuid");
    // Empty VARCHAR(40) referencing columns: on their own varchar(40), tied to the parent they are uuid.
    for (const [t, c] of [["sessions", "user_ref"], ["audit", "who"]]) {
      assert.equal(column(plan, t, c).pgType, "uuid", `${t}.${c}`);
      assert.match(column(plan, t, c).reason, /follows users\.id \(uuid\) through the foreign key.*on its own: varchar\(40\)/);
    }
    assert.ok(plan.tables.every((t) => t.foreignKeys.every((f) => f.action === "create")));
  });

  it("a referencing column whose values do not fit the parent's type is refused, naming the parent's --type", () => {
    const plan = buildPlan(fixture(`
      PRAGMA foreign_keys = OFF;
      CREATE TABLE parent (id CHAR(32) PRIMARY KEY);
      CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id TEXT REFERENCES parent (id));
      INSERT INTO parent VALUES ('0123456789abcdef0123456789abcdef');
      INSERT INTO child VALUES (1, 'not-a-uuid');`));
    assert.equal(plan.errors.length >= 1, true);
    const e = plan.errors.find((x) => x.table === "child" && x.column === "parent_id")!;
    assert.match(e.message, /row id=1 value 'not-a-uuid'/);
    assert.match(e.fix!, /--type parent\.id=text \(child\.parent_id references it and follows its type\)/);
  });

  it("a chain of foreign keys follows its root; a --type on the root moves the chain", () => {
    const sql = `
      CREATE TABLE a (id CHAR(32) PRIMARY KEY);
      CREATE TABLE b (id VARCHAR(32) PRIMARY KEY REFERENCES a (id));
      CREATE TABLE c (id INTEGER PRIMARY KEY, b_id VARCHAR(32) REFERENCES b (id));
      INSERT INTO a VALUES ('0123456789abcdef0123456789abcdef');`;
    const file = fixture(sql);
    const plan = buildPlan(file);
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(["a.id", "b.id", "c.b_id"].map((k) => column(plan, k.split(".")[0], k.split(".")[1]).pgType), ["uuid", "uuid", "uuid"]);
    const moved = buildPlan(file, { typeOverrides: { "a.id": "varchar(32)" } });
    assert.deepEqual(moved.errors, []);
    assert.deepEqual(["a.id", "b.id", "c.b_id"].map((k) => column(moved, k.split(".")[0], k.split(".")[1]).pgType), ["varchar(32)", "varchar(32)", "varchar(32)"]);
  });

  it("a --type that splits tied columns is refused with the fix, not dropped", () => {
    const file = fixture(`
      CREATE TABLE p (id INTEGER PRIMARY KEY);
      CREATE TABLE k (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));
      INSERT INTO p VALUES (1); INSERT INTO k VALUES (1, 1);`);
    const plan = buildPlan(file, { typeOverrides: { "k.p_id": "text" } });
    const e = plan.errors.find((x) => x.table === "k")!;
    assert.match(e.message, /foreign key \(p_id\) → p cannot be created: column p_id is text but p\.id is bigint.*never dropped silently/);
    assert.match(e.fix!, /--type k\.p_id=bigint, or --skip-fk k\.p_id/);
  });

  it("foreign keys SQLite never could enforce are refused with --skip-fk, which drops them knowingly", () => {
    const file = fixture(`
      CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);
      CREATE TABLE ghost_child (id INTEGER PRIMARY KEY, g INTEGER REFERENCES ghost (id));
      CREATE TABLE code_child (id INTEGER PRIMARY KEY, code TEXT REFERENCES p (code));
      INSERT INTO p VALUES (1, 'x');`);
    const plan = buildPlan(file);
    const msgs = plan.errors.map((e) => e.message).join("\n");
    assert.match(msgs, /table "ghost_child": foreign key \(g\) → ghost cannot be created: parent table ghost does not exist in the SQLite file.*drop it knowingly with --skip-fk ghost_child\.g/);
    assert.match(msgs, /table "code_child": foreign key \(code\) → p cannot be created: referenced columns code of p are not a primary key or unique.*add a UNIQUE index on p \(code\) in the SQLite file, or drop it knowingly with --skip-fk code_child\.code/);
    const skipped = buildPlan(file, { skipForeignKeys: ["ghost_child.g", "code_child.code"] });
    assert.deepEqual(skipped.errors, []);
    assert.match(skipped.tables.find((t) => t.source === "ghost_child")!.warnings.join("\n"), /not created, as asked by --skip-fk ghost_child\.g/);
    assert.match(buildPlan(file, { skipForeignKeys: ["nope.x"] }).errors.map((e) => e.message).join("\n"), /--skip-fk nope\.x: no such foreign key/);
  });

  it("an index that cannot be translated is refused with --skip-index, which drops it knowingly", () => {
    const file = fixture(`
      CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
      CREATE INDEX t_odd ON t (zeroblob(3));
      INSERT INTO t VALUES (1, 'x');`);
    const plan = buildPlan(file);
    const e = plan.errors.find((x) => x.table === "t")!;
    assert.match(e.message, /index t_odd cannot be created: expression zeroblob\(3\) not translated.*drop it knowingly with --skip-index t_odd/);
    const skipped = buildPlan(file, { skipIndexes: ["t_odd"] });
    assert.deepEqual(skipped.errors, []);
    assert.equal(skipped.tables[0].indexes[0].action, "skip");
    assert.match(skipped.tables[0].warnings.join("\n"), /index t_odd not created, as asked by --skip-index t_odd/);
  });
});

describe("migrations", () => {
  const server = withPostgres();

  it("TINYINT(1) → boolean and BLOB with some text → bytea of the text's UTF-8 bytes; verified", async () => {
    const file = fixture(`
      CREATE TABLE users (id INTEGER PRIMARY KEY, isAdmin TINYINT(1) NOT NULL DEFAULT 0, flags TINYINT(1), level TINYINT(1), avatar BLOB);
      INSERT INTO users VALUES (1, 1, NULL, 0, x'00ff10'), (2, 0, 1, 2, 'plain text ✓'), (3, 0, 0, 1, NULL);`);
    const plan = buildPlan(file);
    assert.deepEqual(plan.errors, []);
    assert.equal(column(plan, "users", "isAdmin").pgType, "boolean");
    assert.equal(column(plan, "users", "flags").pgType, "boolean");
    assert.equal(column(plan, "users", "level").pgType, "bigint", "2 is not a boolean");
    assert.equal(column(plan, "users", "avatar").pgType, "bytea");
    assert.match(column(plan, "users", "avatar").warnings.join("\n"), /1 text value\(s\) among 1 blob\(s\) stored as the bytes of their UTF-8 text, first at row id=2/);
    const db = await server.createDatabase("appview");
    const report = await migrate({ from: file, to: server.url(db) });
    assert.equal(report.verified, true);
    const rows = await server.query<{ id: string; isAdmin: boolean; flags: boolean | null; level: string; avatar: Buffer | null }>(`SELECT id, "isAdmin", flags, level, avatar FROM users ORDER BY id`, [], db);
    assert.deepEqual(rows.map((r) => [Number(r.id), r.isAdmin, r.flags, Number(r.level), r.avatar?.toString("hex") ?? null]), [
      [1, true, null, 0, "00ff10"], [2, false, true, 2, Buffer.from("plain text ✓").toString("hex")], [3, false, false, 1, null],
    ]);
    const [{ d }] = await server.query<{ d: string }>(`SELECT column_default AS d FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'isAdmin'`, [], db);
    assert.equal(d, "false", "DEFAULT 0 of a boolean");
    assert.equal((await server.query(`SELECT 1 FROM users WHERE "isAdmin" = true`, [], db)).length, 1);
    assert.equal((await verify({ from: file, to: server.url(db) })).equal, true);
  });

  it("MLflow-like: runs and their children keep varchar(32) and their FKs; a string query works", async () => {
    const file = fixture(MLFLOW);
    const db = await server.createDatabase("mlflow");
    const report = await migrate({ from: file, to: server.url(db) });
    assert.equal(report.verified, true);
    const fks = await server.query<{ c: string }>(`SELECT conrelid::regclass::text AS c FROM pg_constraint WHERE contype = 'f' ORDER BY 1`, [], db);
    assert.deepEqual(fks.map((r) => r.c), ["latest_metrics", "runs", "tags"]);
    // What MLflow's search_runs does: compare run_uuid with a string parameter, and read the same text back.
    const rows = await server.query<{ run_uuid: string }>(`SELECT r.run_uuid FROM runs r JOIN tags t ON t.run_uuid = r.run_uuid WHERE r.run_uuid = $1`, ["0123456789abcdef0123456789abcdef"], db);
    assert.deepEqual(rows, [{ run_uuid: "0123456789abcdef0123456789abcdef" }]);
  });
});
