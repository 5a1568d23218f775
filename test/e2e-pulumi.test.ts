/**
 * End to end: the real Pulumi CLI (engine, diff, secrets, the dynamic
 * provider in its own process, per-stack config) deploys this program
 * against a real PostgreSQL 16.
 *
 * The CLI comes from PATH, or from the cache `scripts/pulumi-cli.sh` builds
 * (`.ci/run` runs that script first, so CI always runs this test). Without
 * either, the test is reported as skipped with the reason.
 *
 * Setup: a file backend and PULUMI_HOME in a temporary directory, the
 * passphrase secrets provider, a stack in external mode with
 * `manageAccess: false` (the database, its two roles and their grants are
 * created here with the statements of the DBA script `npm run access-sql`:
 * the postgresql provider plugin cannot be built offline, see the README's
 * testing section), pointing at an embedded PostgreSQL 16.
 * The project directory is a temporary directory whose entries link to the
 * repository's, so stack files never land in the repository.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { Client } from "pg";
import { planAccess } from "../infra/access-plan";
import { renderPlan } from "../infra/access-sql";
import { withPostgres } from "./support/postgres";

const repo = resolve(__dirname, "..");

interface Cli {
  /** Directory holding `pulumi` and its plugins. */
  readonly binDir: string;
  /** PULUMI_HOME of a CLI built by scripts/pulumi-cli.sh (its plugins live there). */
  readonly pulumiHome?: string;
}

/**
 * Finds the CLI without building it: `pulumi` on PATH, else the cache that
 * scripts/pulumi-cli.sh fills (asked with --no-build, so the cache layout is
 * known in one place only). Returns the reason when there is none.
 */
function findCli(): Cli | string {
  let out: string;
  try {
    out = execFileSync("bash", [join(repo, "scripts", "pulumi-cli.sh"), "--no-build"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return `no Pulumi CLI: ${(e.stderr ?? e.message).trim().split("\n").pop()} (run scripts/pulumi-cli.sh to build it; .ci/run does)`;
  }
  const binDir = /^PULUMI_BIN_DIR=(.+)$/m.exec(out)?.[1];
  if (!binDir) return `scripts/pulumi-cli.sh --no-build printed no PULUMI_BIN_DIR`;
  const pulumiHome = /^export PULUMI_HOME="(.+)"$/m.exec(out)?.[1];
  return { binDir, pulumiHome };
}

const cli = findCli();
const title = "e2e: pulumi preview, up and destroy with the real CLI";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

// Without a CLI: one test, reported as skipped with the reason (a skipped suite would count no test).
if (typeof cli === "string") it(title, { skip: cli }, () => {});
else describe(title, () => {
  const stack = "e2e";
  const passwords = {
    owner: `own-${randomBytes(12).toString("hex")}`,
    app: `app-${randomBytes(12).toString("hex")}`,
  };
  const database = "shop";
  const roles = { owner: "shop_owner", app: "shop_app" };
  const pg = withPostgres();
  let work: string;
  let projectDir: string;
  let stateDir: string;
  let sqlitePath: string;
  let env: NodeJS.ProcessEnv;

  /** Runs the CLI in the project directory. Never throws on a non-zero exit. */
  const pulumi = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((resolvePromise, reject) => {
      const child = spawn("pulumi", [...args, "--non-interactive", "--color", "never"], {
        cwd: projectDir,
        env: { ...env, ...extraEnv },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    });

  /** Like `pulumi`, but a non-zero exit fails the test with the CLI's output. */
  const ok = async (args: string[]): Promise<Run> => {
    const r = await pulumi(args);
    assert.equal(r.code, 0, `pulumi ${args.join(" ")} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    return r;
  };

  const tablesIn = async (): Promise<string[]> =>
    (await pg.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name", [], database,
    )).map((r) => r.table_name);

  /** The steps of `pulumi preview --json`. */
  const previewSteps = async (): Promise<{ op: string; urn: string }[]> =>
    (JSON.parse((await ok(["preview", "--stack", stack, "--json"])).stdout) as { steps: { op: string; urn: string }[] }).steps;

  /** The migration's outputs as stored in the state (its dynamic resource). */
  const migrationState = async (): Promise<{ verified?: boolean; tables?: { source: string; rows: number }[]; reloadedTables?: string[]; warnings?: string[] }> => {
    const deployment = JSON.parse((await ok(["stack", "export", "--stack", stack])).stdout) as { deployment: { resources?: { urn: string; outputs?: Record<string, unknown> }[] } };
    const res = (deployment.deployment.resources ?? []).filter((r) => isMigrationData(r.urn));
    assert.equal(res.length, 1, "exactly one migration data resource in the state");
    return res[0].outputs ?? {};
  };

  /** Every table, view and sequence in the target schema: what a preview must not create and destroy must remove. */
  const relationsIn = async (): Promise<string[]> =>
    (await pg.query<{ relname: string }>(
      "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') ORDER BY 1", [], database,
    )).map((r) => r.relname);

  /** xmin of every row: a reloaded table gets new transaction ids, an untouched one keeps them. */
  const xmins = async (table: string): Promise<string[]> =>
    (await pg.query<{ x: string }>(`SELECT xmin::text AS x FROM public.${table} ORDER BY id`, [], database)).map((r) => r.x);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "s2p-e2e-"));
    stateDir = join(work, "state");
    projectDir = join(work, "project");
    mkdirSync(stateDir);
    mkdirSync(projectDir);
    // The project: links to the repository's entries, except stack files and state.
    for (const name of readdirSync(repo)) {
      if (/^Pulumi\..+\.ya?ml$/.test(name) || name === ".git" || name.startsWith(".pulumi")) continue;
      symlinkSync(join(repo, name), join(projectDir, name));
    }

    // What a DBA does before handing the server over (manageAccess: false): the statements of
    // the script `npm run access-sql` prints for them, i.e. what the program would create itself.
    const steps = planAccess({ database, schema: "public", ownerRole: roles.owner, appRole: roles.app, lockDatabases: [] });
    for (const st of renderPlan(steps, { ownerPassword: passwords.owner, appPassword: passwords.app })) {
      await pg.query(st.sql, [], st.database ?? "postgres");
    }

    // The application's SQLite database: two tables, one of which changes later.
    sqlitePath = join(work, "app.db");
    const db = new Database(sqlitePath);
    try {
      db.exec(`
        CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE books (
          id INTEGER PRIMARY KEY,
          author_id INTEGER NOT NULL REFERENCES authors(id),
          title TEXT NOT NULL,
          price NUMERIC,
          published TEXT
        );
      `);
      const a = db.prepare("INSERT INTO authors (id, name) VALUES (?, ?)");
      const b = db.prepare("INSERT INTO books (id, author_id, title, price, published) VALUES (?, ?, ?, ?, ?)");
      db.transaction(() => {
        a.run(1, "Ursula K. Le Guin");
        a.run(2, "Stanisław Lem");
        a.run(3, "Octavia E. Butler");
        b.run(1, 1, "The Dispossessed", 12.5, "1974-05-01");
        b.run(2, 2, "Solaris", 9.99, "1961-01-01");
        b.run(3, 3, "Kindred", null, "1979-06-01");
        b.run(4, 1, "The Lathe of Heaven", 11, null);
      })();
    } finally {
      db.close();
    }

    const { binDir, pulumiHome } = cli as Cli;
    // A CLI of the user's own keeps its PULUMI_HOME (its plugins); else an empty one.
    const home = pulumiHome ?? process.env.PULUMI_HOME ?? join(work, "pulumi-home");
    env = {
      ...process.env,
      PATH: `${binDir}${delimiter}${process.env.PATH ?? ""}`,
      PULUMI_HOME: home,
      PULUMI_BACKEND_URL: `file://${stateDir}`,
      PULUMI_CONFIG_PASSPHRASE: randomBytes(16).toString("hex"),
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      NO_COLOR: "1",
    };

    await ok(["stack", "init", stack, "--secrets-provider", "passphrase"]);
    const set = (key: string, value: string, secret = false) =>
      ok(["config", "set", ...(secret ? ["--secret"] : []), key, value, "--stack", stack]);
    await set("mode", "external");
    await set("manageAccess", "false");
    await set("host", pg.host);
    await set("port", String(pg.port));
    await set("sslmode", "disable");
    await set("database", database);
    await set("ownerRole", roles.owner);
    await set("appRole", roles.app);
    await set("ownerPassword", passwords.owner, true);
    await set("appPassword", passwords.app, true);
    await set("migrationSource", sqlitePath);
  });

  after(async () => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("preview shows the plan and changes nothing in PostgreSQL", async () => {
    const steps = await previewSteps();
    assert.ok(steps.some((s) => s.op === "create" && isMigrationData(s.urn)), `no migration in the plan: ${JSON.stringify(steps)}`);
    assert.ok(steps.every((s) => s.op === "create"), `a first preview should only create: ${JSON.stringify(steps)}`);
    assert.deepEqual(await relationsIn(), []);
  });

  it("up migrates the data, exports the outputs and keeps the passwords out of the state", async () => {
    await ok(["up", "--yes", "--skip-preview", "--stack", stack]);
    assert.deepEqual(await tablesIn(), ["authors", "books"]);
    const books = await pg.query("SELECT id::int AS id, author_id::int AS author_id, title, price::text AS price, published::text AS published FROM public.books ORDER BY id", [], database);
    assert.deepEqual(books, [
      { id: 1, author_id: 1, title: "The Dispossessed", price: "12.5", published: "1974-05-01" },
      { id: 2, author_id: 2, title: "Solaris", price: "9.99", published: "1961-01-01" },
      { id: 3, author_id: 3, title: "Kindred", price: null, published: "1979-06-01" },
      { id: 4, author_id: 1, title: "The Lathe of Heaven", price: "11", published: null },
    ]);
    assert.deepEqual(await pg.query("SELECT id::int AS id, name FROM public.authors ORDER BY id", [], database), [
      { id: 1, name: "Ursula K. Le Guin" },
      { id: 2, name: "Stanisław Lem" },
      { id: 3, name: "Octavia E. Butler" },
    ]);
    // The engine verified the loaded data value by value, and says so in the resource's outputs.
    const state = await migrationState();
    assert.equal(state.verified, true);
    assert.deepEqual(state.tables?.map((t) => [t.source, t.rows]).sort(), [["authors", 3], ["books", 4]]);

    const outputs = JSON.parse((await ok(["stack", "output", "--json", "--stack", stack])).stdout) as Record<string, unknown>;
    assert.equal(outputs.mode, "external");
    assert.equal(outputs.database, database);
    assert.equal(outputs.appUser, roles.app);
    assert.equal(outputs.databaseUrl, "[secret]", "databaseUrl holds the app password and must be a secret output");
    assert.deepEqual((outputs.migrationTables as { source: string; rows: number }[]).map((t) => [t.source, t.rows]).sort(), [["authors", 3], ["books", 4]]);
    const shown = JSON.parse((await ok(["stack", "output", "--json", "--show-secrets", "--stack", stack])).stdout) as Record<string, unknown>;
    // The exported URL works: the application's role reads what the owner role created.
    assert.match(String(shown.databaseUrl), new RegExp(`^postgresql://${roles.app}:`));
    const app = new Client({ connectionString: String(shown.databaseUrl) });
    await app.connect();
    try {
      assert.deepEqual((await app.query("SELECT current_user AS u, (SELECT count(*)::int FROM public.books) AS n")).rows, [{ u: roles.app, n: 4 }]);
    } finally {
      await app.end();
    }

    // Every file the backend wrote (state, history, backups) and the stack's config file: no password in plaintext.
    const files = walk(stateDir);
    assert.ok(files.some((f) => f.endsWith(`${stack}.json`)), `no state file for stack ${stack} in ${files.join(", ")}`);
    for (const f of [...files, join(projectDir, `Pulumi.${stack}.yaml`)]) {
      const text = readFileSync(f, "utf8");
      for (const [who, pw] of Object.entries(passwords)) {
        assert.ok(!text.includes(pw) && !text.includes(encodeURIComponent(pw)), `the ${who} password is in plaintext in ${f}`);
      }
    }
    const exported = (await ok(["stack", "export", "--stack", stack])).stdout;
    for (const [who, pw] of Object.entries(passwords)) assert.ok(!exported.includes(pw), `the ${who} password is in the exported state`);
  });

  it("a second up reports no changes", async () => {
    await ok(["up", "--yes", "--skip-preview", "--expect-no-changes", "--stack", stack]);
  });

  it("a changed table shows as an update in preview, and up reloads only that table", async () => {
    const authorsBefore = await xmins("authors");
    const booksBefore = await xmins("books");
    const db = new Database(sqlitePath);
    try {
      db.prepare("UPDATE books SET price = ? WHERE id = ?").run(14.25, 1);
      db.prepare("INSERT INTO books (id, author_id, title, price, published) VALUES (?, ?, ?, ?, ?)").run(5, 2, "The Cyberiad", 8.5, "1965-01-01");
    } finally {
      db.close();
    }
    const changed = (await previewSteps()).filter((s) => s.op !== "same");
    assert.deepEqual(changed.map((s) => s.op), ["update"], JSON.stringify(changed));
    assert.ok(isMigrationData(changed[0].urn), `the update is not the migration's: ${changed[0].urn}`);
    assert.deepEqual(await xmins("books"), booksBefore, "preview touched PostgreSQL");

    await ok(["up", "--yes", "--skip-preview", "--stack", stack]);
    const books = await pg.query<{ id: number; price: string }>("SELECT id::int AS id, price::text AS price FROM public.books ORDER BY id", [], database);
    assert.deepEqual(books.map((b) => [b.id, b.price]), [[1, "14.25"], [2, "9.99"], [3, null], [4, "11"], [5, "8.5"]]);
    const outputs = JSON.parse((await ok(["stack", "output", "--json", "--stack", stack])).stdout) as Record<string, unknown>;
    assert.deepEqual(outputs.migrationReloadedTables, ["books"]);
    const state = await migrationState();
    assert.deepEqual(state.reloadedTables, ["books"], `the re-sync reloaded ${JSON.stringify(state.reloadedTables)}; warnings: ${JSON.stringify(state.warnings)}`);
    // PostgreSQL agrees: authors' rows are the very same row versions, books' are all new.
    assert.deepEqual(await xmins("authors"), authorsBefore, "authors was reloaded although it did not change");
    const booksAfter = await xmins("books");
    assert.ok(booksAfter.every((x) => !booksBefore.includes(x)), "books was not reloaded");
    assert.equal(state.verified, true);
  });

  it("destroy removes everything the stack created, and stack rm succeeds", async () => {
    await ok(["destroy", "--yes", "--skip-preview", "--stack", stack]);
    assert.deepEqual(await relationsIn(), []);
    // The DBA's database and roles stay (manageAccess: false).
    assert.equal((await pg.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])).length, 1);
    await ok(["stack", "rm", "--yes", "--stack", stack]);
    assert.ok(!walk(stateDir).some((f) => f.endsWith(`${stack}.json`)), "the stack's state file is still there");
  });

  it("a missing secret fails preview with the program's own message", async () => {
    // The role passwords are required, but Pulumi.yaml gives them an empty default (and no
    // `secret: true`), so the program, not the CLI, reports the missing one with its fix.
    const bad = "e2e-bad";
    await ok(["stack", "init", bad, "--secrets-provider", "passphrase"]);
    for (const [k, v] of [["mode", "external"], ["host", pg.host], ["port", String(pg.port)], ["sslmode", "disable"], ["database", database], ["ownerRole", roles.owner], ["appRole", roles.app]]) {
      await ok(["config", "set", k, v, "--stack", bad]);
    }
    await ok(["config", "set", "--secret", "adminPassword", passwords.owner, "--stack", bad]);
    await ok(["config", "set", "--secret", "appPassword", passwords.app, "--stack", bad]);
    const r = await pulumi(["preview", "--stack", bad]);
    assert.notEqual(r.code, 0, "preview succeeded without ownerPassword");
    const out = r.stdout + r.stderr;
    assert.match(out, /invalid configuration sqlite-to-postgres:ownerPassword on stack "e2e-bad": is not set/);
    assert.match(out, /Fix: pulumi config set --secret ownerPassword <password> --stack e2e-bad/);
    assert.doesNotMatch(out, /\bat .+\.(ts|js):\d+/, "the message comes with a stack trace");
    for (const pw of Object.values(passwords)) assert.ok(!out.includes(pw), "a password is in the output");
    await ok(["stack", "rm", "--yes", "--stack", bad]);
    assert.deepEqual(await relationsIn(), []);
  });
});

/** The migration's dynamic resource (the one that holds the data), by URN. */
function isMigrationData(urn: string): boolean {
  return urn.includes("pulumi-nodejs:dynamic");
}

/** Every file under `dir`. */
function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
