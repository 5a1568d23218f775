/**
 * A snapshot of everything a migration could leave behind in a PostgreSQL
 * database: schemas, relations (tables, views, sequences, indexes), columns,
 * constraints, user types, and the rows of every user table. Two equal
 * snapshots mean "the target is exactly as it was".
 */
import type { TestServer } from "./postgres";

const USER_NAMESPACES = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp_%'";

export async function catalogSnapshot(server: TestServer, database: string): Promise<string> {
  const q = (sql: string) => server.query(sql, [], database);
  const schemas = await q(`SELECT n.nspname, pg_get_userbyid(n.nspowner) AS owner, n.nspacl::text AS acl FROM pg_namespace n WHERE ${USER_NAMESPACES} ORDER BY 1`);
  const relations = await q(`SELECT n.nspname, c.relname, c.relkind, c.relacl::text AS acl FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_NAMESPACES} ORDER BY 1, 2`);
  const columns = await q(`SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${USER_NAMESPACES} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2, a.attnum`);
  const constraints = await q(`SELECT n.nspname, con.conname, con.contype, pg_get_constraintdef(con.oid) AS def FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace WHERE ${USER_NAMESPACES} ORDER BY 1, 2, 4`);
  const types = await q(`SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ${USER_NAMESPACES} AND t.typtype <> 'b' AND t.typrelid = 0 ORDER BY 1, 2`);
  const rows: Record<string, unknown[]> = {};
  for (const r of relations.filter((x) => x.relkind === "r")) {
    const ident = `"${String(r.nspname).replace(/"/g, '""')}"."${String(r.relname).replace(/"/g, '""')}"`;
    rows[ident] = await q(`SELECT t::text AS row FROM ${ident} t ORDER BY 1`);
  }
  return JSON.stringify({ schemas, relations, columns, constraints, types, rows }, null, 1);
}

/** Names of the relations (tables and views) in one schema. */
export async function relationsIn(server: TestServer, database: string, schema = "public"): Promise<{ name: string; kind: string }[]> {
  return server.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY 1`,
    [schema], database,
  );
}
