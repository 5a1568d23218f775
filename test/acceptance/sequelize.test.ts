/**
 * Acceptance (issue 16): a Node app on Sequelize 6 moves from SQLite to PostgreSQL 16 in translate
 * mode and keeps working through its ORM.
 *
 * 1. `sync()` creates the schema on SQLite (Sequelize's own DDL: BOOLEAN is TINYINT(1), DATE is
 *    DATETIME, UUID is UUID, JSON is JSON) and the seed writes through the ORM.
 * 2. Our CLI migrates it (translate mode) as the owner role.
 * 3. The same models against PostgreSQL (`pg`), as the app role, without sync(): the `toJSON()` of every
 *    row, with its associations, equals SQLite's; `where: { isAdmin: true }` works (it failed with
 *    `bigint = boolean` when TINYINT(1) became bigint); it inserts (UUID default, the identity that
 *    follows the last id, a TINYINT(1) boolean, JSON) and updates.
 *
 * node-postgres returns int8 as a string, and SQLite INTEGER becomes bigint (64-bit, as in SQLite):
 * with pg's defaults the integer fields read "7" where SQLite read 7. The test pins that difference
 * exactly, then reads as an app with bigint keys does (`pg.types.setTypeParser(20, …)`: numbers
 * while they are exact).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { Op, Sequelize, type Model } from "sequelize";
import { withPostgres } from "../support/postgres";
import { runCli } from "../support/run-cli";
import { defineModels, seed, type AppModels } from "./sequelize-app/models";
import * as sqlite3 from "./support/sqlite3-over-better-sqlite3";
import { provisionTarget, queryAs, type TargetDatabase } from "./support/target-database";

type Row = Record<string, unknown>;

/** Every row of every model, with associations, as the app sees it (`toJSON()`), in key order. */
async function snapshot({ User, Project, Task }: AppModels): Promise<{ users: Row[]; projects: Row[]; tasks: Row[]; tree: Row[] }> {
  const json = (rows: Model[]) => rows.map((r) => r.toJSON() as Row);
  return {
    users: json(await User.findAll({ order: [["email", "ASC"]] })),
    projects: json(await Project.findAll({ order: [["id", "ASC"]] })),
    tasks: json(await Task.findAll({ order: [["title", "ASC"]] })),
    tree: json(await User.findAll({
      include: [{ model: Project, as: "projects", include: [{ model: Task, as: "tasks", include: [{ model: User, as: "assignee" }] }] }],
      order: [["email", "ASC"], [{ model: Project, as: "projects" }, "id", "ASC"], [{ model: Project, as: "projects" }, { model: Task, as: "tasks" }, "title", "ASC"]],
    })),
  };
}

/** Paths (a.b[2].c) where two JSON-able values differ, with both values. */
function differences(a: unknown, b: unknown, path = ""): { path: string; sqlite: unknown; pg: unknown }[] {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b) ? [] : [{ path, sqlite: a, pg: b }];
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime() ? [] : [{ path, sqlite: a, pg: b }];
  if (a && b && typeof a === "object" && typeof b === "object" && !(a instanceof Date) && !(b instanceof Date)) {
    if (Array.isArray(a) !== Array.isArray(b)) return [{ path, sqlite: a, pg: b }];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differences((a as Row)[k], (b as Row)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`));
  }
  return Object.is(a, b) ? [] : [{ path, sqlite: a, pg: b }];
}

describe("acceptance: a Sequelize 6 app moves from SQLite to PostgreSQL in translate mode", () => {
  const server = withPostgres();
  let dir: string;
  let file: string;
  let lite: Sequelize;
  let liteModels: AppModels;
  let baseline: Awaited<ReturnType<typeof snapshot>>;
  let admins: number;
  let target: TargetDatabase;
  let migrateOutput: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "s2p-sequelize-"));
    file = join(dir, "app.sqlite");
    lite = new Sequelize({ dialect: "sqlite", storage: file, dialectModule: sqlite3, logging: false });
    liteModels = defineModels(lite);
    await lite.sync();
    ({ admins } = await seed(liteModels));
    baseline = await snapshot(liteModels);
    await lite.close();
    target = await provisionTarget(server, "sequelize_app");
    const r = await runCli(["migrate", "--from", file, "--to", target.owner.url]);
    migrateOutput = `${r.stdout}${r.stderr}`;
    assert.equal(r.code, 0, migrateOutput);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the baseline is what Sequelize writes on SQLite", async () => {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(file, { readonly: true });
    try {
      const decl = (t: string) => Object.fromEntries((db.prepare(`PRAGMA table_info("${t}")`).all() as { name: string; type: string }[]).map((c) => [c.name, c.type]));
      assert.equal(decl("Users").isAdmin, "TINYINT(1)");
      assert.equal(decl("Users").id, "UUID");
      assert.equal(decl("Users").lastLoginAt, "DATETIME");
      assert.equal(decl("Projects").settings, "JSON");
      assert.equal(decl("Tasks").projectId, "INTEGER");
      const stored = db.prepare(`SELECT typeof("isAdmin") AS t, "lastLoginAt" AS at FROM "Users" WHERE "lastLoginAt" IS NOT NULL LIMIT 1`).get() as { t: string; at: string };
      assert.equal(stored.t, "integer");
      assert.match(stored.at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+00:00$/);
    } finally {
      db.close();
    }
    assert.equal(baseline.users.length, 12);
    assert.ok(baseline.tasks.length > 30 && admins === 3);
  });

  it("the migration maps Sequelize's types as the app reads them", async () => {
    const types = await queryAs<{ t: string; c: string; type: string }>(target.owner, `SELECT table_name AS t, column_name AS c, data_type AS type FROM information_schema.columns WHERE table_schema = 'public'`);
    const type = (t: string, c: string) => types.find((x) => x.t === t && x.c === c)?.type;
    assert.equal(type("Users", "isAdmin"), "boolean");
    assert.equal(type("Projects", "archived"), "boolean");
    assert.equal(type("Users", "id"), "uuid");
    assert.equal(type("Tasks", "assigneeId"), "uuid");
    assert.equal(type("Users", "lastLoginAt"), "timestamp with time zone");
    assert.equal(type("Users", "birthday"), "date");
    assert.equal(type("Projects", "settings"), "jsonb");
    const fks = await queryAs<{ c: string }>(target.owner, `SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) AS c FROM pg_constraint WHERE contype = 'f' ORDER BY 1`);
    assert.equal(fks.length, 3, JSON.stringify(fks));
    assert.match(migrateOutput, /verified: every value equal/);
  });

  it("with pg's defaults, the only difference is int8 read as a string (the same number)", async () => {
    const pgSeq = new Sequelize(target.app.url, { dialect: "postgres", logging: false });
    try {
      const diffs = differences(baseline, await snapshot(defineModels(pgSeq)));
      assert.ok(diffs.length > 0, "bigint columns read as strings");
      for (const d of diffs) {
        assert.match(d.path, /\.(id|projectId|position)$/, `${d.path}: ${String(d.sqlite)} vs ${String(d.pg)}`);
        assert.equal(typeof d.sqlite, "number", d.path);
        assert.equal(d.pg, String(d.sqlite), d.path);
      }
    } finally {
      await pgSeq.close();
    }
  });

  describe("as an app with bigint keys reads them (int8 as a number while exact)", () => {
    let pgSeq: Sequelize;
    let models: AppModels;
    before(() => {
      pg.types.setTypeParser(20, (v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v));
      pgSeq = new Sequelize(target.app.url, { dialect: "postgres", logging: false });
      models = defineModels(pgSeq);
    });
    after(async () => {
      await pgSeq?.close();
      pg.types.setTypeParser(20, (v: string) => v);
    });

    it("reads back every row and association exactly as on SQLite (toJSON)", async () => {
      assert.deepEqual(differences(baseline, await snapshot(models)), []);
    });

    it("where: { isAdmin: true } works and finds the same users", async () => {
      const { User } = models;
      const found = (await User.findAll({ where: { isAdmin: true }, order: [["email", "ASC"]] })).map((u) => u.get("email"));
      assert.deepEqual(found, baseline.users.filter((u) => u.isAdmin === true).map((u) => u.email));
      assert.equal(await User.count({ where: { isAdmin: false, birthday: { [Op.ne]: null } } }), baseline.users.filter((u) => u.isAdmin === false && u.birthday !== null).length);
    });

    it("inserts and updates through the ORM, as the app role", async () => {
      const { User, Project, Task } = models;
      const user = await User.create({ email: "new@example.com", name: "New", isAdmin: true, profile: { fresh: true }, lastLoginAt: new Date("2025-01-02T03:04:05.678Z") });
      assert.match(String(user.get("id")), /^[0-9a-f-]{36}$/);
      const maxProject = Math.max(...baseline.projects.map((p) => p.id as number));
      const project = await Project.create({ title: "After the move", ownerId: user.get("id"), settings: { n: 1 } });
      assert.equal(project.get("id"), maxProject + 1, "the identity continues after the last SQLite id");
      const task = await Task.create({ title: "first on PostgreSQL", projectId: project.get("id"), assigneeId: user.get("id") });
      assert.equal(task.get("done"), false, "the boolean default");
      await task.update({ done: true, position: 5 });
      const [n] = await Task.update({ done: false }, { where: { projectId: baseline.projects[0].id as number } });
      assert.ok(n > 0);
      const again = (await Task.findByPk(task.get("id") as string, { include: [{ model: Project, as: "project", include: [{ model: User, as: "owner" }] }] }))!.toJSON() as Row;
      assert.equal(again.done, true);
      assert.equal(again.position, 5);
      assert.equal(((again.project as Row).owner as Row).email, "new@example.com");
      assert.equal(await User.count({ where: { isAdmin: true } }), admins + 1);
      // The database enforces the associations, as SQLite did with Sequelize's PRAGMA foreign_keys=ON.
      await assert.rejects(Task.create({ title: "orphan", projectId: 999_999 }), /foreign key constraint/);
    });
  });
});
