/**
 * The swap of a re-sync: tables freshly loaded and verified in a private
 * staging schema replace their live counterparts in ONE short transaction, so
 * a reader sees either the old table or the new one, never a half-loaded one.
 *
 * Inside the transaction (this is the downtime):
 *   lock the live tables → capture the views and foreign keys that point at
 *   them (and the tables' privileges) → drop those views and foreign keys →
 *   drop the live tables (RESTRICT: anything else depending on them aborts the
 *   swap) → `ALTER TABLE … SET SCHEMA` the staged tables into place (indexes,
 *   constraints and identity sequences move with them) → restore privileges →
 *   re-add foreign keys `NOT VALID` → re-create the views.
 * After the commit, each foreign key is validated (`VALIDATE CONSTRAINT` only
 * takes a SHARE UPDATE EXCLUSIVE lock, so readers and writers carry on).
 *
 * Privileges: a replaced table gets exactly the ACL of the table it replaces
 * (and its identity sequences those of the old ones); a table that is new to
 * the live schema gets the owner's default privileges for that schema, as if
 * it had been created there.
 *
 * Caveat (PostgreSQL, not ours): like TRUNCATE, the swap is not MVCC-safe for
 * a REPEATABLE READ / SERIALIZABLE transaction whose snapshot predates the
 * staging load: such a transaction would see the new table as empty.
 * https://www.postgresql.org/docs/16/mvcc-caveats.html
 */
import type { ClientBase } from "pg";
import { qualified, quoteIdent } from "../migrate/quote";

export interface SwapOptions {
  /** The live schema. */
  schema: string;
  /** The staging schema holding the new tables under their live names. */
  stageSchema: string;
  /** Live tables to replace by the staged table of the same name. */
  replace: string[];
  /** Staged tables that have no live counterpart yet: moved in. */
  add: string[];
  /** Live tables that no longer exist in the source: dropped. */
  drop: string[];
  /**
   * Where the foreign keys of the moved tables come from: `stage` (default)
   * = the staged tables' own, as the engine planned them; `live` = those the
   * replaced live tables had (when the staged tables were created without
   * foreign keys, e.g. `CREATE TABLE … (LIKE …)` in `existing` schema mode).
   */
  foreignKeysFrom?: "stage" | "live";
  /** Longest wait for the table locks before giving up (nothing changes then). Default 10 s. */
  lockTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface SwapResult {
  /** Wall time of the swap transaction, lock wait included: the downtime of the swapped tables. */
  swapMs: number;
  /** Time spent waiting for the table locks (part of swapMs). */
  lockWaitMs: number;
  /** Time of the VALIDATE CONSTRAINT pass after the commit (no downtime). */
  validateMs: number;
  foreignKeys: number;
  views: number;
}

interface ForeignKey {
  /** Schema of the table that owns the constraint. */
  schema: string;
  table: string;
  name: string;
  /** `FOREIGN KEY (…) REFERENCES "schema"."t"(…) …`, fully qualified. */
  definition: string;
  validate: boolean;
}

interface ViewDef {
  name: string;
  kind: "v" | "m";
  definition: string;
  options: string[] | null;
  acl: AclEntry[];
}

interface AclEntry {
  grantee: string | null; // null = PUBLIC
  privilege: string;
  grantable: boolean;
}

function elapsed(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Replaces the staging schema qualifier by the live one in a definition
 * produced with an empty search_path. `stageRef` is the schema name as
 * PostgreSQL prints it (`quote_ident`: quoted only when needed).
 */
function reschema(def: string, stageRef: string, schema: string): string {
  const escaped = stageRef.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return def.replace(new RegExp(`(?<![\\w"$])${escaped}\\.`, "g"), `${quoteIdent(schema)}.`);
}

async function foreignKeysOf(client: ClientBase, where: string, params: unknown[]): Promise<ForeignKey[]> {
  const { rows } = await client.query<{ schema: string; table: string; name: string; definition: string; validated: boolean }>(
    `SELECT n.nspname AS schema, rel.relname AS table, c.conname AS name,
            pg_get_constraintdef(c.oid) AS definition, c.convalidated AS validated
       FROM pg_constraint c JOIN pg_class rel ON rel.oid = c.conrelid JOIN pg_namespace n ON n.oid = rel.relnamespace
      WHERE c.contype = 'f' AND ${where}
      ORDER BY n.nspname, rel.relname, c.conname`,
    params,
  );
  return rows.map((r) => ({ schema: r.schema, table: r.table, name: r.name, definition: r.definition, validate: r.validated }));
}

async function aclOf(client: ClientBase, relOid: number): Promise<AclEntry[]> {
  const { rows } = await client.query<{ grantee: string | null; privilege: string; grantable: boolean }>(
    `SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee,
            a.privilege_type AS privilege, a.is_grantable AS grantable
       FROM pg_class c, aclexplode(c.relacl) a
      WHERE c.oid = $1 AND a.grantee <> c.relowner`,
    [relOid],
  );
  return rows;
}

async function defaultAclOf(client: ClientBase, schema: string, objType: "r" | "S"): Promise<AclEntry[]> {
  const { rows } = await client.query<{ grantee: string | null; privilege: string; grantable: boolean }>(
    `SELECT DISTINCT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee,
            a.privilege_type AS privilege, a.is_grantable AS grantable
       FROM pg_default_acl d, aclexplode(d.defaclacl) a
      WHERE d.defaclrole = current_user::regrole AND d.defaclobjtype = $2
        AND d.defaclnamespace = $1::regnamespace AND a.grantee <> d.defaclrole`,
    [quoteIdent(schema), objType],
  );
  return rows;
}

/**
 * `exact`: makes the ACL of `target` (a TABLE or SEQUENCE) exactly `acl` for
 * every non-owner grantee. Otherwise only adds `acl` to what it has.
 */
async function applyAcl(client: ClientBase, kind: "TABLE" | "SEQUENCE", target: string, targetOid: number, acl: AclEntry[], exact = true): Promise<void> {
  const who = (g: string | null) => (g === null ? "PUBLIC" : quoteIdent(g));
  if (exact) {
    const current = await aclOf(client, targetOid);
    for (const g of new Set(current.map((e) => e.grantee))) {
      await client.query(`REVOKE ALL ON ${kind} ${target} FROM ${who(g)}`);
    }
  }
  for (const e of acl) {
    await client.query(`GRANT ${e.privilege} ON ${kind} ${target} TO ${who(e.grantee)}${e.grantable ? " WITH GRANT OPTION" : ""}`);
  }
}

/** Identity/serial sequences owned by a table's columns: column name → sequence oid. */
async function ownedSequences(client: ClientBase, relOid: number): Promise<Map<string, { oid: number; qual: string }>> {
  const { rows } = await client.query<{ column: string; oid: number; qual: string }>(
    `SELECT a.attname AS column, s.oid::int AS oid, s.oid::regclass::text AS qual
       FROM pg_depend d
       JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
        AND d.refobjid = $1 AND d.deptype IN ('a', 'i')`,
    [relOid],
  );
  return new Map(rows.map((r) => [r.column, { oid: r.oid, qual: r.qual }]));
}

async function relOid(client: ClientBase, schema: string, name: string): Promise<number | undefined> {
  const { rows } = await client.query<{ oid: number }>(
    `SELECT c.oid::int AS oid FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relname = $2`,
    [quoteIdent(schema), name],
  );
  return rows[0]?.oid;
}

/** Views and materialized views depending, directly or through other views, on the given relations; dependencies first. */
async function dependentViews(client: ClientBase, oids: number[]): Promise<ViewDef[]> {
  if (oids.length === 0) return [];
  const { rows } = await client.query<{ oid: number; name: string; kind: "v" | "m"; definition: string; options: string[] | null; depth: number }>(
    `WITH RECURSIVE deps(oid, depth) AS (
        SELECT DISTINCT r.ev_class, 1
          FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
         WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
           AND d.refobjid = ANY($1::oid[]) AND r.ev_class <> d.refobjid
      UNION
        SELECT r.ev_class, deps.depth + 1
          FROM deps JOIN pg_depend d ON d.refobjid = deps.oid AND d.refclassid = 'pg_class'::regclass
          JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
         WHERE r.ev_class <> deps.oid AND deps.depth < 50)
     SELECT c.oid::int AS oid, c.relname AS name, c.relkind AS kind, pg_get_viewdef(c.oid) AS definition,
            c.reloptions AS options, max(deps.depth) AS depth
       FROM deps JOIN pg_class c ON c.oid = deps.oid
      WHERE c.relkind IN ('v', 'm')
      GROUP BY c.oid, c.relname, c.relkind, c.reloptions
      ORDER BY max(deps.depth), c.relname`,
    [oids],
  );
  const views: ViewDef[] = [];
  for (const r of rows) views.push({ name: r.name, kind: r.kind, definition: r.definition, options: r.options, acl: await aclOf(client, r.oid) });
  return views;
}

/**
 * Swaps staged tables into the live schema. `client` must be connected as the
 * role that owns the live tables and the staging schema, outside any
 * transaction. On any error the transaction rolls back and the live schema is
 * exactly as before.
 */
export async function swapTables(client: ClientBase, o: SwapOptions): Promise<SwapResult> {
  const log = o.log ?? (() => {});
  const moving = [...o.replace, ...o.add];
  const goingAway = [...o.replace, ...o.drop];
  if (moving.length === 0 && goingAway.length === 0) return { swapMs: 0, lockWaitMs: 0, validateMs: 0, foreignKeys: 0, views: 0 };

  // Before the transaction: the staged tables' own foreign keys point at
  // staged tables. Capture them, rewritten to the live schema, and drop them,
  // so that moving a table does not drag references to the staging schema.
  // With an empty search_path, pg_get_constraintdef/pg_get_viewdef qualify every name.
  const prev = (await client.query<{ p: string }>(`SELECT current_setting('search_path') AS p`)).rows[0]!.p;
  await client.query(`SELECT set_config('search_path', '', false)`);
  try {
    return await swapWithEmptySearchPath(client, o, log, moving, goingAway);
  } finally {
    await client.query(`SELECT set_config('search_path', $1, false)`, [prev]);
  }
}

async function swapWithEmptySearchPath(
  client: ClientBase, o: SwapOptions, log: (line: string) => void, moving: string[], goingAway: string[],
): Promise<SwapResult> {
  const stagedFks = await foreignKeysOf(client, `rel.relnamespace = $1::regnamespace`, [quoteIdent(o.stageSchema)]);
  for (const fk of stagedFks) await client.query(`ALTER TABLE ${qualified(fk.schema, fk.table)} DROP CONSTRAINT ${quoteIdent(fk.name)}`);
  // Views in the staging schema are not swapped (the live ones are re-created from their own definitions).
  const stagedViews = await client.query<{ name: string; kind: string }>(
    `SELECT relname AS name, relkind AS kind FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind IN ('v','m')`,
    [quoteIdent(o.stageSchema)],
  );
  for (const v of stagedViews.rows) {
    await client.query(`DROP ${v.kind === "m" ? "MATERIALIZED VIEW" : "VIEW"} IF EXISTS ${qualified(o.stageSchema, v.name)} CASCADE`);
  }
  const movingSet = new Set(moving);
  const stageRef = (await client.query<{ q: string }>(`SELECT quote_ident($1) AS q`, [o.stageSchema])).rows[0]!.q;
  const keepFromStage = stagedFks
    .filter((fk) => movingSet.has(fk.table) && o.foreignKeysFrom !== "live")
    .map((fk) => ({ ...fk, schema: o.schema, definition: reschema(fk.definition, stageRef, o.schema) }));

  const start = process.hrtime.bigint();
  let lockWaitMs = 0;
  let views: ViewDef[] = [];
  const toAdd: ForeignKey[] = [];
  await client.query("BEGIN");
  try {
    await client.query(`SELECT set_config('lock_timeout', $1, true)`, [`${o.lockTimeoutMs ?? 10_000}ms`]);
    if (goingAway.length > 0) {
      const lockStart = process.hrtime.bigint();
      await client.query(`LOCK TABLE ${goingAway.map((t) => qualified(o.schema, t)).join(", ")} IN ACCESS EXCLUSIVE MODE`);
      lockWaitMs = elapsed(lockStart);
    }
    const oldOids = new Map<string, number>();
    for (const t of goingAway) {
      const oid = await relOid(client, o.schema, t);
      if (oid === undefined) throw new Error(`table ${qualified(o.schema, t)} does not exist`);
      oldOids.set(t, oid);
    }
    const goneOids = [...oldOids.values()];
    // Foreign keys of tables that stay, pointing at tables that are swapped.
    const incoming = await foreignKeysOf(client, `c.confrelid = ANY($1::oid[]) AND NOT (c.conrelid = ANY($1::oid[]))`, [goneOids]);
    // Their own foreign keys (self-references included) vanish with them; keep them when asked to.
    const replacedOids = o.replace.map((t) => oldOids.get(t)!);
    const outgoing = o.foreignKeysFrom === "live" ? await foreignKeysOf(client, `c.conrelid = ANY($1::oid[])`, [replacedOids]) : [];
    views = await dependentViews(client, goneOids);
    const oldAcl = new Map<string, AclEntry[]>();
    const oldSeqAcl = new Map<string, Map<string, AclEntry[]>>();
    for (const t of o.replace) {
      const oid = oldOids.get(t)!;
      oldAcl.set(t, await aclOf(client, oid));
      const seqs = new Map<string, AclEntry[]>();
      for (const [col, s] of await ownedSequences(client, oid)) seqs.set(col, await aclOf(client, s.oid));
      oldSeqAcl.set(t, seqs);
    }

    for (const v of [...views].reverse()) {
      await client.query(`DROP ${v.kind === "m" ? "MATERIALIZED VIEW" : "VIEW"} ${qualified(o.schema, v.name)}`);
    }
    for (const fk of incoming) {
      await client.query(`ALTER TABLE ${qualified(fk.schema, fk.table)} DROP CONSTRAINT ${quoteIdent(fk.name)}`);
    }
    // `existing` mode stages LIKE copies of the live tables: a serial column's default still calls
    // the live table's sequence, which DROP TABLE would take along. Those sequences pass to the new table.
    const borrowed = (await client.query<{ seq: string; table: string; column: string }>(
      `SELECT DISTINCT s.oid::regclass::text AS seq, c.relname AS table, a.attname AS column
         FROM pg_attrdef ad
         JOIN pg_class c ON c.oid = ad.adrelid
         JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
         JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
         JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
         JOIN pg_depend own ON own.classid = 'pg_class'::regclass AND own.objid = s.oid AND own.refclassid = 'pg_class'::regclass AND own.deptype = 'a'
        WHERE c.relnamespace = $1::regnamespace AND c.relname = ANY($2::text[]) AND own.refobjid = ANY($3::oid[])`,
      [quoteIdent(o.stageSchema), moving, goneOids],
    )).rows;
    for (const b of borrowed) await client.query(`ALTER SEQUENCE ${b.seq} OWNED BY NONE`);
    if (goingAway.length > 0) {
      // RESTRICT: an object we did not capture still depends on them -> abort, nothing changed.
      await client.query(`DROP TABLE ${goingAway.map((t) => qualified(o.schema, t)).join(", ")} RESTRICT`);
    }
    const tableDefaults = o.add.length ? await defaultAclOf(client, o.schema, "r") : [];
    const seqDefaults = o.add.length ? await defaultAclOf(client, o.schema, "S") : [];
    for (const t of moving) {
      await client.query(`ALTER TABLE ${qualified(o.stageSchema, t)} SET SCHEMA ${quoteIdent(o.schema)}`);
      const oid = (await relOid(client, o.schema, t))!;
      for (const b of borrowed.filter((x) => x.table === t)) {
        await client.query(`ALTER SEQUENCE ${b.seq} OWNED BY ${qualified(o.schema, t)}.${quoteIdent(b.column)}`);
      }
      const isNew = !oldAcl.has(t);
      // A new table already has the role-wide default privileges (applied when it was created in the
      // staging schema); it lacks only those the owner set for the live schema.
      await applyAcl(client, "TABLE", qualified(o.schema, t), oid, isNew ? tableDefaults : oldAcl.get(t)!, !isNew);
      for (const [col, s] of await ownedSequences(client, oid)) {
        const old = isNew ? undefined : oldSeqAcl.get(t)!.get(col);
        await applyAcl(client, "SEQUENCE", s.qual, s.oid, old ?? seqDefaults, old !== undefined);
      }
    }
    for (const fk of [...incoming, ...outgoing, ...keepFromStage]) {
      await client.query(`ALTER TABLE ${qualified(fk.schema, fk.table)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition.replace(/\s+NOT VALID$/, "")} NOT VALID`);
      toAdd.push(fk);
    }
    for (const v of views) {
      const withOpts = v.options && v.options.length ? ` WITH (${v.options.join(", ")})` : "";
      if (v.kind === "m") {
        await client.query(`CREATE MATERIALIZED VIEW ${qualified(o.schema, v.name)}${withOpts} AS ${v.definition.replace(/;\s*$/, "")}`);
      } else {
        await client.query(`CREATE VIEW ${qualified(o.schema, v.name)}${withOpts} AS ${v.definition.replace(/;\s*$/, "")}`);
      }
      const oid = (await relOid(client, o.schema, v.name))!;
      await applyAcl(client, "TABLE", qualified(o.schema, v.name), oid, v.acl);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
  const swapMs = elapsed(start);
  log(`swap: ${o.replace.length} replaced, ${o.add.length} added, ${o.drop.length} dropped in ${swapMs.toFixed(1)} ms (lock wait ${lockWaitMs.toFixed(1)} ms)`);

  const vStart = process.hrtime.bigint();
  const invalid: string[] = [];
  for (const fk of toAdd) {
    if (!fk.validate) continue;
    try {
      await client.query(`ALTER TABLE ${qualified(fk.schema, fk.table)} VALIDATE CONSTRAINT ${quoteIdent(fk.name)}`);
    } catch (err) {
      invalid.push(`${qualified(fk.schema, fk.table)} constraint ${quoteIdent(fk.name)}: ${(err as Error).message}`);
    }
  }
  const validateMs = elapsed(vStart);
  if (invalid.length > 0) {
    throw new Error(
      `the swap committed but ${invalid.length} foreign key(s) could not be validated and are left NOT VALID: ${invalid.join("; ")}. ` +
        `Fix the rows named above, then run ALTER TABLE … VALIDATE CONSTRAINT …`,
    );
  }
  return { swapMs, lockWaitMs, validateMs, foreignKeys: toAdd.length, views: views.length };
}
