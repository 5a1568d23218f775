/**
 * Acceptance (issue 16): a real Django 5.2 project (test/acceptance/django-app:
 * contrib admin, auth, contenttypes, sessions, and a `shop` app with UUIDField,
 * JSONField, DurationField, DecimalField, GenericIPAddressField, a UUID primary
 * key with a foreign key to it, and a ManyToMany) moves from SQLite to
 * PostgreSQL 16 with our CLI and keeps working through its ORM, as the app role.
 *
 * 1. `manage.py migrate` on SQLite, then `manage.py seed` (support data made by
 *    Django itself: users with hashed passwords, a group with permissions, an
 *    admin log entry, a session), record `manage.py appcheck` (lookups on every
 *    field type, logins) and `manage.py dumpdata`.
 * 2. Migrate, connected as the owner role:
 *    - existing: `--schema-mode existing --replace --schema-command "python manage.py migrate"`,
 *      the mode Django needs (its migrate seeds django_content_type, auth_permission
 *      and django_migrations, which --replace must empty in one TRUNCATE);
 *    - translate: the engine's own schema, with the `--type` overrides Django's
 *      PostgreSQL backend expects (interval, inet, uuid, numeric(12,4)); the CLI
 *      must say that the existing-mode command fits this database.
 * 3. As the app role: `manage.py migrate --check` passes, `dumpdata` prints
 *    the same JSON (exact numbers), `appcheck` gives the same answers, and
 *    `appcheck --write` logs in (authenticate and the test Client), opens the
 *    admin, and creates rows whose ids follow the loaded ones.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { withPostgres } from "../support/postgres";
import { jsonDifferences, parseJsonExact } from "./support/json-semantic";
import { venvOrSkip } from "./support/python-venv";
import { provisionTarget, queryAs, type TargetDatabase } from "./support/target-database";

const REPO = join(__dirname, "..", "..");
const CLI = join(REPO, "bin", "sqlite-to-postgres.js");
const APP_DIR = join(__dirname, "django-app");
const venv = venvOrSkip(join(APP_DIR, "requirements.txt"), ["django", "psycopg2"]);
/** The overrides that give Django's PostgreSQL backend the column types it reads (translate mode). */
const TRANSLATE_TYPES = ["shop_item.ttl=interval", "shop_item.ip=inet", "shop_item.uid=uuid", "shop_item.price=numeric(12,4)", "shop_document.id=uuid", "shop_item.document_id=uuid"];

function manage(python: string, databaseUrl: string, args: string[]): { status: number; output: string; stdout: string } {
  // Only the URL reaches Django: no PG* variables of the test process.
  const { PGPASSWORD: _p, PGUSER: _u, PGDATABASE: _d, PGHOST: _h, PGPORT: _o, ...rest } = process.env;
  const r = spawnSync(python, ["manage.py", ...args], { cwd: APP_DIR, env: { ...rest, DATABASE_URL: databaseUrl, PYTHONDONTWRITEBYTECODE: "1", TZ: "America/Caracas" }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

function manageOk(python: string, databaseUrl: string, args: string[]): string {
  const r = manage(python, databaseUrl, args);
  if (r.status !== 0) throw new Error(`manage.py ${args.join(" ")} exited ${r.status}:\n${r.output.slice(-4000)}`);
  return r.stdout;
}

/** The last line of a command's output, as JSON (appcheck and seed print one object). */
const lastJson = (out: string): Record<string, unknown> => JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>;

describe("acceptance: a Django 5.2 project moves from SQLite to PostgreSQL", { skip: "skip" in venv ? venv.skip : false }, () => {
  const python = "python" in venv ? venv.python : "";
  const server = withPostgres();
  let work: string;
  let sqlitePath: string;
  let sqliteUrl: string;
  let seeded: Record<string, unknown>;
  let baseline: Record<string, unknown>;
  let baselineDump: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "s2p-django-"));
    sqlitePath = join(work, "django.db");
    sqliteUrl = `sqlite:///${sqlitePath}`;
    manageOk(python, sqliteUrl, ["migrate", "-v", "0"]);
    seeded = lastJson(manageOk(python, sqliteUrl, ["seed"]));
    baseline = lastJson(manageOk(python, sqliteUrl, ["appcheck"]));
    baselineDump = manageOk(python, sqliteUrl, ["dumpdata"]);
  });

  after(async () => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("records a meaningful baseline on SQLite", () => {
    assert.deepEqual(seeded, { users: 3, items: 34, tags: 4 });
    assert.equal(baseline.alice, true);
    assert.equal(baseline.alice_wrong_password, false);
    assert.deepEqual(baseline.ttl_negative, [3, 4, 10, 11, 17, 18, 24, 25, 31, 32]);
    for (const model of ["contenttypes.contenttype", "auth.permission", "auth.user", "admin.logentry", "sessions.session", "shop.item", "shop.document"]) {
      assert.ok(baselineDump.includes(`"model": "${model}"`), `dumpdata has no ${model}`);
    }
    // What the comparison must protect: microsecond durations beyond int32 seconds, exact decimals, IPv6, a 2^53+1 JSON integer.
    for (const needle of ['"999999 00:00:00.999999"', '"99999999.9999"', '"-0.0001"', '"2001:db8::ff00:42:8329"', "9007199254740993", '"pbkdf2_sha256$']) {
      assert.ok(baselineDump.includes(needle), `dumpdata lacks ${needle}`);
    }
    // Django's own storage on SQLite (shared/notes/orm-formats.md): integer microseconds, hex uuids.
    const lite = spawnSync(python, ["-c", `import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute("select typeof(ttl), ttl, length(uid) from shop_item where id = 1").fetchone())`, sqlitePath], { encoding: "utf8" });
    assert.equal(lite.stdout.trim(), "('integer', 86405000000, 32)");
  });

  it("existing mode refuses a SQLite file that records a migration the schema command does not create, and writes nothing", async () => {
    const newer = join(work, "newer.db");
    copyFileSync(sqlitePath, newer);
    const add = spawnSync(python, ["-c", `import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("insert into django_migrations (app, name, applied) values ('shop', '0002_from_the_future', '2030-01-01 00:00:00')"); c.commit()`, newer], { encoding: "utf8" });
    assert.equal(add.status, 0, add.stderr);
    const target = await provisionTarget(server, "django_newer");
    const r = runCli(["migrate", "--from", newer, "--to", target.owner.url, "--schema-mode", "existing", "--replace", "--schema-command", `"${python}" manage.py migrate`]);
    assert.notEqual(r.status, 0, r.output.slice(-3000));
    assert.match(r.output, /table "django_migrations": the SQLite file records 1 migration\(s\) that the target schema lacks \(shop\.0002_from_the_future\)/);
    const [{ n }] = await queryAs<{ n: string }>(target.owner, `SELECT count(*)::text AS n FROM shop_item`);
    assert.equal(n, "0");
  });

  for (const mode of ["existing", "translate"] as const) {
    describe(`${mode} schema mode`, () => {
      let target: TargetDatabase;
      let output: string;

      before(async () => {
        target = await provisionTarget(server, `django_${mode}`);
        const args = ["migrate", "--from", sqlitePath, "--to", target.owner.url];
        if (mode === "existing") args.push("--schema-mode", "existing", "--replace", "--schema-command", `"${python}" manage.py migrate`);
        else for (const t of TRANSLATE_TYPES) args.push("--type", t);
        const r = runCli(args);
        output = r.output;
        assert.equal(r.status, 0, `migrate (${mode}) failed:\n${r.output.slice(-6000)}`);
      });

      it("verifies every value, without printing the password", () => {
        assert.match(output, /verified: every value equal/);
        assert.ok(!output.includes(target.owner.password));
        if (mode === "existing") {
          // Django's migrate seeded content types, permissions and its history: one TRUNCATE emptied them and every table referencing them.
          assert.match(output, /--replace: emptied \d+ table\(s\) in one TRUNCATE: [^\n]*auth_permission/);
        } else {
          assert.match(output, /Django-managed database \(table django_migrations\)[^\n]*--schema-mode existing --replace --schema-command 'python manage\.py migrate'/);
        }
      });

      it("the columns have the types Django's PostgreSQL backend reads", async () => {
        const types = await queryAs<{ column_name: string; udt_name: string }>(target.owner,
          `SELECT column_name, udt_name FROM information_schema.columns WHERE table_name = 'shop_item' AND column_name IN ('uid', 'data', 'ttl', 'price', 'ip', 'document_id', 'created', 'active') ORDER BY 1`);
        assert.deepEqual(Object.fromEntries(types.map((t) => [t.column_name, t.udt_name])), { active: "bool", created: "timestamptz", data: "jsonb", document_id: "uuid", ip: "inet", price: "numeric", ttl: "interval", uid: "uuid" });
        const [{ ttl }] = await queryAs<{ ttl: string }>(target.owner, `SELECT ttl::text AS ttl FROM shop_item WHERE id = 1`);
        assert.equal(ttl, "24:00:05", "86405000000 microseconds, not seconds");
      });

      it("manage.py migrate --check finds nothing to apply", () => {
        const r = manage(python, target.app.url, ["migrate", "--check"]);
        assert.equal(r.status, 0, r.output);
      });

      it("dumpdata prints the same JSON as on SQLite (exact numbers)", () => {
        const pg = manageOk(python, target.app.url, ["dumpdata"]);
        assert.deepEqual(jsonDifferences(parseJsonExact(baselineDump), parseJsonExact(pg)), []);
      });

      it("the ORM answers every lookup as on SQLite, and users log in with their SQLite passwords", () => {
        const pg = lastJson(manageOk(python, target.app.url, ["appcheck"]));
        assert.deepEqual(pg, baseline);
      });

      it("logs in with the test Client, opens the admin and creates rows through the ORM", async () => {
        const w = lastJson(manageOk(python, target.app.url, ["appcheck", "--write"]));
        assert.equal(w.client_login_admin, true);
        assert.equal(w.admin_page, 200);
        assert.deepEqual(w.new_item, { pk_after_max: true, ttl: "1:30:00", price: "42.4200", ip: "203.0.113.7", data: { new: true }, tags: ["red", "ünï"], document: true });
        assert.equal(w.new_tag_pk_after_max, true);
        const [{ n }] = await queryAs<{ n: string }>(target.app, `SELECT count(*)::text AS n FROM django_session`);
        assert.equal(n, "2", "the SQLite session and the test Client's");
      });
    });
  }

  function runCli(args: string[]): { status: number; output: string } {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: APP_DIR, env: { ...process.env, PGPASSWORD: "", DATABASE_URL: "", TZ: "Asia/Kathmandu", PGTZ: "Pacific/Chatham" }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
  }
});
