/**
 * The migration resource's dynamic provider, method by method (check, diff,
 * create, update, delete), against a real PostgreSQL 16 and real SQLite
 * files. The provider loads the COMPILED code from dist/ exactly as it does
 * under `pulumi up`, so `npm run build` must have run (npm test does).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { Client } from "pg";
import { verifyArchive } from "../infra/archive";
import { sqliteFingerprint } from "../infra/fingerprint";
import { migrationProvider } from "../infra/migration-provider";
import type { MigrationInputs, MigrationOutputs } from "../infra/migration-types";
import { withPostgres } from "./support/postgres";
import { startPollingReader } from "./support/polling-reader";

const provider = migrationProvider();
const OWNER_PW = "0wner:p@ss/word#1";
const APP_PW = "app-S3cret!";

function makeSqlite(path: string, artists = 2000): void {
  const db = new Database(path);
  try {
    db.exec(`
      CREATE TABLE artist (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
      CREATE TABLE album (id INTEGER PRIMARY KEY, artist_id INTEGER NOT NULL REFERENCES artist(id), title TEXT, released DATETIME);
      CREATE TABLE genre (id INTEGER PRIMARY KEY, name VARCHAR(40));
      CREATE VIEW album_titles AS SELECT album.title, artist.name FROM album JOIN artist ON artist.id = album.artist_id;`);
    const a = db.prepare(`INSERT INTO artist (id, name) VALUES (?, ?)`);
    const b = db.prepare(`INSERT INTO album (id, artist_id, title, released) VALUES (?, ?, ?, ?)`);
    db.transaction(() => {
      for (let i = 1; i <= artists; i++) a.run(i, `artist ${i}`);
      for (let i = 1; i <= 500; i++) b.run(i, ((i * 7) % artists) + 1, `album ${i}`, `2020-01-${String((i % 28) + 1).padStart(2, "0")} 10:00:00`);
      db.exec(`INSERT INTO genre (id, name) VALUES (1, 'Rock'), (2, 'Jazz')`);
    })();
  } finally {
    db.close();
  }
}

function sqlite(path: string, sql: string): void {
  const db = new Database(path);
  try { db.exec(sql); } finally { db.close(); }
}

describe("migration provider", () => {
  const pg = withPostgres();
  let db: string;
  let dir: string;
  let sqlitePath: string;
  let state: MigrationOutputs;
  let inputs: MigrationInputs;

  const ownerClient = async () => {
    const c = new Client({ connectionString: pg.url(db, "mig_owner", OWNER_PW) });
    await c.connect();
    return c;
  };
  const count = async (table: string, schema = "app") =>
    Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${table}"`, [], db))[0]!.n);
  const oid = async (table: string, schema = "app") =>
    (await pg.query<{ oid: number }>(`SELECT to_regclass($1)::oid::int AS oid`, [`"${schema}"."${table}"`], db))[0]!.oid;

  function inputsFor(over: Partial<MigrationInputs> = {}): MigrationInputs {
    return {
      connection: { host: pg.host, port: pg.port, database: db, user: "mig_owner" },
      password: OWNER_PW,
      sqlitePath,
      sourceFingerprint: sqliteFingerprint(sqlitePath),
      schema: "app",
      mapping: { sourceTimezone: "UTC" },
      allowOverwrite: false,
      deleteSourceAfterArchive: false,
      ...over,
    };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "s2p-provider-"));
    sqlitePath = join(dir, "app.db");
    makeSqlite(sqlitePath);
    await pg.query(`CREATE ROLE mig_owner LOGIN PASSWORD '${OWNER_PW.replace(/'/g, "''")}'`);
    await pg.query(`CREATE ROLE mig_app LOGIN PASSWORD '${APP_PW}'`);
    db = await pg.createDatabase("prov");
    await pg.query(`ALTER DATABASE ${db} OWNER TO mig_owner`);
    // As the infra program does: the owner's default privileges give the app role DML on what the owner creates.
    const c = await ownerClient();
    try {
      await c.query(`ALTER DEFAULT PRIVILEGES FOR ROLE mig_owner GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO mig_app`);
      await c.query(`ALTER DEFAULT PRIVILEGES FOR ROLE mig_owner GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO mig_app`);
    } finally {
      await c.end();
    }
  });

  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("check fills defaults and rejects inconsistent settings", async () => {
    const ok = await provider.check!({} as MigrationInputs, { ...inputsFor(), schema: undefined } as unknown as MigrationInputs);
    assert.deepEqual(ok.failures, []);
    assert.equal(ok.inputs!.schema, "public");
    const bad = await provider.check!({} as MigrationInputs, inputsFor({ deleteSourceAfterArchive: true, envFile: "/tmp/x.env" }));
    assert.deepEqual(bad.failures!.map((f) => f.property).sort(), ["archiveDir", "envFile"]);
  });

  it("a failure after the load leaves nothing behind, and the error names no secret", async () => {
    const failing = inputsFor({ schema: "doomed", seedCommand: "echo seeding with $DATABASE_URL; exit 3" });
    await assert.rejects(provider.create(failing), (err: Error) => {
      assert.match(err.message, /nothing was created/);
      assert.match(err.message, /seed command .* exited with code 3/);
      assert.ok(!err.message.includes(OWNER_PW) && !err.message.includes(encodeURIComponent(OWNER_PW)));
      return true;
    });
    const left = await pg.query(`SELECT nspname FROM pg_namespace WHERE nspname = 'doomed'`, [], db);
    assert.deepEqual(left, [], "the schema the failed create made is gone");
    // A refusal before the load (bad value in a later table) touches nothing either.
    const badPath = join(dir, "bad.db");
    makeSqlite(badPath, 10);
    sqlite(badPath, `CREATE TABLE zzz_last (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO zzz_last VALUES (1, 5), (2, 'not a number');`);
    await assert.rejects(provider.create(inputsFor({ schema: "doomed2", sqlitePath: badPath, sourceFingerprint: sqliteFingerprint(badPath) })), (err: Error) => {
      assert.match(err.message, /zzz_last/);
      return true;
    });
    assert.deepEqual(await pg.query(`SELECT nspname FROM pg_namespace WHERE nspname = 'doomed2'`, [], db), []);
  });

  it("create migrates and verifies, records checksums, writes the .env and the archive", async () => {
    const envFile = join(dir, ".env");
    writeFileSync(envFile, "# app settings\nSECRET_KEY=abc\nDATABASE_URL=sqlite:///app.db\nDEBUG=0\n");
    chmodSync(envFile, 0o640);
    const appUrl = `postgresql+psycopg2://mig_app:${encodeURIComponent(APP_PW)}@${pg.host}:${pg.port}/${db}`;
    inputs = inputsFor({ envFile, appDatabaseUrl: appUrl, archiveDir: join(dir, "archive") });
    const r = await provider.create(inputs);
    state = r.outs!;
    // The infra program grants USAGE on the schema it manages; this schema was made by the migration.
    await pg.query(`GRANT USAGE ON SCHEMA app TO mig_app`, [], db);
    // A view made in PostgreSQL on top of the migrated tables (by the owner, so the app role gets SELECT by default).
    const c = await ownerClient();
    try {
      await c.query(`CREATE VIEW app.album_artist AS SELECT al.title, ar.name FROM app.album al JOIN app.artist ar ON ar.id = al.artist_id`);
    } finally {
      await c.end();
    }
    assert.equal(r.id, `${pg.host}:${pg.port}/${db}/app`);
    assert.equal(state.verified, true);
    assert.equal(state.schemaCreated, true);
    assert.deepEqual(state.tables.map((t) => [t.target, t.rows]), [["album", 500], ["artist", 2000], ["genre", 2]].sort());
    for (const t of state.tables) {
      assert.match(t.sourceChecksum, /^\d+:[0-9a-f]{32}$/);
      assert.match(t.targetChecksum, /^\d+:[0-9a-f]{32}$/);
    }
    assert.deepEqual(state.createdObjects.filter((o) => o.kind === "table").map((o) => o.name).sort(), ["album", "artist", "genre"]);
    assert.equal(await count("artist"), 2000);
    assert.equal(state.syncedFingerprint, inputs.sourceFingerprint);
    // Outputs never carry a secret under a key that was not a secret input.
    const { password: _p, appDatabaseUrl: _u, ...rest } = state;
    const text = JSON.stringify(rest);
    assert.ok(!text.includes(OWNER_PW) && !text.includes(APP_PW) && !text.includes(encodeURIComponent(APP_PW)));
    // .env: the one line replaced, every other line kept, mode kept.
    assert.equal(readFileSync(envFile, "utf8"), `# app settings\nSECRET_KEY=abc\nDATABASE_URL=${appUrl}\nDEBUG=0\n`);
    assert.equal(statSync(envFile).mode & 0o777, 0o640);
    // Archive: the manifest's sha256 matches the SQLite file.
    const manifest = await verifyArchive(state.archiveManifest!);
    assert.equal(manifest.files[0]!.original.sha256, createHash("sha256").update(readFileSync(sqlitePath)).digest("hex"));
    assert.equal(manifest.fingerprint, inputs.sourceFingerprint);
    assert.ok(existsSync(sqlitePath), "the source stays unless deleteSourceAfterArchive");
  });

  it("diff: nothing to do for the same inputs or a new provider; update on content; replace on schema", async () => {
    const same = await provider.diff!("id", { ...state, __provider: "old code" } as MigrationOutputs, { ...inputs, __provider: "new code" } as MigrationInputs);
    assert.equal(same.changes, false);
    assert.deepEqual(same.replaces, []);
    const content = await provider.diff!("id", state, { ...inputs, sourceFingerprint: "sha256:other" });
    assert.equal(content.changes, true);
    assert.deepEqual(content.replaces, []);
    const mapping = await provider.diff!("id", state, { ...inputs, mapping: { sourceTimezone: "Europe/Berlin" } });
    assert.equal(mapping.changes, true);
    const schema = await provider.diff!("id", state, { ...inputs, schema: "app2" });
    assert.deepEqual(schema.replaces, ["schema"]);
    assert.equal(schema.deleteBeforeReplace, true);
    // Another database: replace, creating the new one first (no shared tables).
    const moved = await provider.diff!("id", state, { ...inputs, connection: { ...inputs.connection, database: "elsewhere" } });
    assert.deepEqual(moved.replaces, ["connection"]);
    assert.equal(moved.deleteBeforeReplace, false);
    // A value unknown during preview counts as a change.
    const unknown = await provider.diff!("id", state, { ...inputs, sourceFingerprint: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
    assert.equal(unknown.changes, true);
    // Settings that do not touch data still update the stored state (e.g. a rotated password).
    assert.equal((await provider.diff!("id", state, { ...inputs, password: "rotated" })).changes, true);
  });

  it("update after one table changed reloads only that table; a concurrent reader sees old or new, never partial", async () => {
    sqlite(sqlitePath, `UPDATE artist SET name = name || ' (remastered)' WHERE id % 3 = 0; INSERT INTO artist (id, name) VALUES (2001, 'newcomer');`);
    const news = { ...inputs, sourceFingerprint: sqliteFingerprint(sqlitePath) };
    assert.equal((await provider.diff!("id", state, news)).changes, true);
    const albumOid = await oid("album");
    const artistOid = await oid("artist");
    const probe = `SELECT count(*)::int AS n, md5(string_agg(name, ',' ORDER BY id)) AS h FROM app.artist`;
    const reader = await startPollingReader(pg.url(db, "mig_app", APP_PW), probe);
    const { seen, errors } = reader;
    let out: MigrationOutputs;
    try {
      out = (await provider.update!("id", state, news)).outs!;
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await reader.stop();
    }
    assert.deepEqual(errors, []);
    assert.equal(seen.size, 2, `the reader saw exactly the old and the new table: ${[...seen.keys()].join(" | ")}`);
    assert.ok([...seen.keys()].some((k) => k.startsWith("2000:")) && [...seen.keys()].some((k) => k.startsWith("2001:")));
    assert.deepEqual(out.reloadedTables, ["artist"]);
    assert.equal(await oid("album"), albumOid, "album was not reloaded");
    assert.notEqual(await oid("artist"), artistOid, "artist was swapped");
    assert.equal(await count("artist"), 2001);
    assert.ok(out.swapDowntimeMs > 0);
    console.log(`re-sync of one table (2001 rows): swap downtime ${out.swapDowntimeMs} ms; timings ${JSON.stringify(out.timings)}`);
    // Full outputs, FK back in place, view back, the app role keeps its privileges.
    assert.equal(out.tables.length, 3);
    assert.equal(out.verified, true);
    const fk = await pg.query(`SELECT convalidated FROM pg_constraint WHERE conrelid = 'app.album'::regclass AND contype = 'f'`, [], db);
    assert.deepEqual(fk, [{ convalidated: true }]);
    const app = new Client({ connectionString: pg.url(db, "mig_app", APP_PW) });
    await app.connect();
    try {
      assert.equal((await app.query(`SELECT count(*)::int AS n FROM app.album_artist`)).rows[0].n, 500);
      await app.query(`UPDATE app.genre SET name = name WHERE id = 1`);
    } finally {
      await app.end();
    }
    state = out;
    inputs = news;
  });

  it("refuses to re-sync over writes made in PostgreSQL since the last sync, naming the tables", async () => {
    await pg.query(`INSERT INTO app.genre (id, name) VALUES (99, 'written after cutover')`, [], db);
    sqlite(sqlitePath, `UPDATE album SET title = upper(title) WHERE id = 1`);
    const news = { ...inputs, sourceFingerprint: sqliteFingerprint(sqlitePath) };
    await assert.rejects(provider.update!("id", state, news), (err: Error) => {
      assert.match(err.message, /refusing to re-sync/);
      assert.match(err.message, /"genre" \(2 rows at the last sync, 3 now\)/);
      assert.doesNotMatch(err.message, /"album"|"artist"/);
      assert.match(err.message, /allowOverwrite/);
      return true;
    });
    assert.equal(await count("genre"), 3, "nothing was changed");
    assert.equal((await pg.query(`SELECT title FROM app.album WHERE id = 1`, [], db))[0]!.title, "album 1");
    inputs = news;
  });

  it("allowOverwrite overwrites the diverged table from SQLite", async () => {
    const news = { ...inputs, allowOverwrite: true };
    const out = (await provider.update!("id", state, news)).outs!;
    assert.deepEqual(out.reloadedTables.sort(), ["album", "genre"]);
    assert.equal(await count("genre"), 2);
    assert.equal((await pg.query(`SELECT title FROM app.album WHERE id = 1`, [], db))[0]!.title, "ALBUM 1");
    // The next sync starts from these checksums: no divergence any more.
    const again = (await provider.update!("id", out, { ...news, allowOverwrite: false, sourceFingerprint: "sha256:touched" })).outs!;
    assert.deepEqual(again.reloadedTables, []);
    // A settings-only change (same fingerprint) updates the state without reading or touching data.
    const genreOid = await oid("genre");
    const settings = (await provider.update!("id", again, { ...news, allowOverwrite: false, sourceFingerprint: "sha256:touched", lockTimeoutMs: 5000 })).outs!;
    assert.deepEqual(settings.reloadedTables, []);
    assert.equal(settings.lastSyncAt, again.lastSyncAt);
    assert.equal(settings.lockTimeoutMs, 5000);
    assert.deepEqual(settings.tables, again.tables);
    assert.equal(await oid("genre"), genreOid);
    state = again;
  });

  it("a schema change in SQLite reloads every table and adds the new one, with the app role's privileges", async () => {
    sqlite(sqlitePath, `CREATE TABLE label (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO label VALUES (1, 'EMI'), (2, 'Blue Note');`);
    const news = { ...inputs, sourceFingerprint: sqliteFingerprint(sqlitePath) };
    const albumOid = await oid("album");
    const out = (await provider.update!("id", state, news)).outs!;
    assert.deepEqual([...out.reloadedTables].sort(), ["album", "artist", "genre", "label"]);
    assert.notEqual(await oid("album"), albumOid);
    assert.deepEqual(out.tables.map((t) => [t.target, t.rows]).sort(), [["album", 500], ["artist", 2001], ["genre", 2], ["label", 2]]);
    assert.ok(out.createdObjects.some((o) => o.kind === "table" && o.name === "label"));
    const app = new Client({ connectionString: pg.url(db, "mig_app", APP_PW) });
    await app.connect();
    try {
      assert.equal((await app.query(`SELECT count(*)::int AS n FROM app.label`)).rows[0].n, 2);
      assert.equal((await app.query(`SELECT count(*)::int AS n FROM app.album_artist`)).rows[0].n, 500);
    } finally {
      await app.end();
    }
    const fk = await pg.query(`SELECT convalidated FROM pg_constraint WHERE conrelid = 'app.album'::regclass AND contype = 'f'`, [], db);
    assert.deepEqual(fk, [{ convalidated: true }]);
    state = out;
    inputs = news;
  });

  it("a re-sync refuses to run beside another migration of the same schema", async () => {
    const holder = await ownerClient();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext('sqlite-to-postgres:app'))`);
      await assert.rejects(provider.update!("id", state, { ...inputs, sourceFingerprint: "sha256:changed" }), /another migration of schema "app"/);
    } finally {
      await holder.end();
    }
  });

  it("a failure after a verified load (archive) keeps the resource as created-but-failed, with its state", async () => {
    const blocker = join(dir, "not-a-dir");
    writeFileSync(blocker, "x");
    const partial = inputsFor({ schema: "partial", archiveDir: join(blocker, "archive") });
    const err = await provider.create({ ...partial, __provider: "serialized" } as MigrationInputs).then(() => undefined, (e: unknown) => e) as
      { message: string; id?: string; properties?: MigrationOutputs & { __provider?: string } } | undefined;
    assert.ok(err, "create must fail");
    assert.match(err.message, /succeeded and was verified, but the post-migration step failed/);
    // With `id` and `properties`, Pulumi records the resource (and its data) instead of forgetting it.
    assert.equal(err.id, `${pg.host}:${pg.port}/${db}/partial`);
    assert.equal(err.properties!.__provider, "serialized");
    assert.equal(err.properties!.tables.length, 4);
    assert.equal(await count("label", "partial"), 2);
    await provider.delete!(err.id!, err.properties!);
    assert.deepEqual(await pg.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'partial'`, [], db), []);
  });

  it("delete drops exactly what the migration created", async () => {
    // A view the migration did not create depends on its tables: delete refuses and drops nothing.
    await assert.rejects(provider.delete!("id", state), /nothing was dropped/);
    assert.equal(await count("artist"), 2001);
    await pg.query(`DROP VIEW app.album_artist`, [], db);
    await pg.query(`CREATE TABLE app.not_ours (id int)`, [], db);
    await pg.query(`CREATE TABLE public.also_not_ours (id int)`, [], db);
    await provider.delete!("id", state);
    const left = await pg.query<{ relname: string }>(
      `SELECT relname FROM pg_class WHERE relnamespace IN ('app'::regnamespace, 'public'::regnamespace) AND relkind IN ('r','v','S') ORDER BY 1`, [], db);
    assert.deepEqual(left.map((r) => r.relname), ["also_not_ours", "not_ours"]);
    // Once only our objects are gone the created schema goes too.
    await pg.query(`DROP TABLE app.not_ours`, [], db);
    await provider.delete!("id", state);
    assert.deepEqual(await pg.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'app'`, [], db), []);
  });
});
