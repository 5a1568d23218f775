/** Human-readable rendering of a plan for `sqlite-to-postgres plan`. */
import type { Plan } from "./plan-types";

function storage(s: { integer: number; real: number; text: number; blob: number; null: number }): string {
  const parts = (["integer", "real", "text", "blob", "null"] as const).filter((k) => s[k] > 0).map((k) => `${k} ${s[k]}`);
  return parts.length ? parts.join(", ") : "no rows";
}

export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  out.push(`Plan for ${plan.source} → schema "${plan.schema}" (naive datetimes read in ${plan.sourceTimezone}${plan.foldIdentifiers ? ", identifiers folded to lower case" : ""})`);
  for (const c of plan.collations ?? []) out.push(`COLLATION ${c.name} for SQLite's ${c.sqlite}: ${c.provider} locale ${c.locale}${c.deterministic ? "" : ", nondeterministic"} (created before the tables)`);
  for (const t of plan.tables) {
    out.push("");
    out.push(`TABLE ${t.source}${t.target !== t.source ? ` → ${t.target}` : ""}  (${t.rows} rows${t.kind === "fts" ? ", FTS virtual table" : ""}${t.withoutRowid ? ", WITHOUT ROWID" : ""}${t.strict ? ", STRICT" : ""})`);
    for (const c of t.columns) {
      out.push(`  ${c.source}${c.target !== c.source ? ` → ${c.target}` : ""}: ${c.declaredType || "(no type)"} [${storage(c.storage)}] → ${c.pgType}${c.pgCollation ? ` COLLATE ${c.pgCollation}` : ""}${c.identity ? " identity" : ""}${c.notNull ? " NOT NULL" : ""}${c.default ? ` DEFAULT ${c.default}` : ""}${c.generated ? ` GENERATED AS (${c.generated.pg}) STORED` : ""}`);
      out.push(`      why: ${c.reason}`);
      for (const w of c.warnings) out.push(`      WARNING: ${w}`);
    }
    if (t.primaryKey) out.push(`  primary key ${t.primaryKey.name} (${t.primaryKey.columns.join(", ")}): create after load`);
    for (const u of t.uniques) out.push(`  unique ${u.name} (${u.columns.join(", ")}): create after load`);
    for (const k of t.checks) out.push(`  check (${k.sqlite}): ${k.action}${k.pg ? ` as (${k.pg})` : ""} — ${k.reason}`);
    for (const i of t.indexes) out.push(`  index ${i.source}${i.target !== i.source ? ` → ${i.target}` : ""}${i.unique ? " unique" : ""} (${i.keys})${i.where ? ` WHERE ${i.where}` : ""}: ${i.action} — ${i.reason}`);
    for (const f of t.foreignKeys) out.push(`  foreign key (${f.sourceColumns.join(", ")}) → ${f.sourceParent}: ${f.action}${f.deferrable ? " deferrable" : ""} ON DELETE ${f.onDelete} ON UPDATE ${f.onUpdate} — ${f.reason}`);
    if (t.fts) out.push(`  full text: ${t.fts.column} tsvector GENERATED from (${t.fts.sourceColumns.join(", ")}) + GIN index ${t.fts.index}`);
    for (const w of t.warnings) out.push(`  WARNING: ${w}`);
  }
  if (plan.views.length) { out.push(""); for (const v of plan.views) out.push(`VIEW ${v.source}: ${v.action} — ${v.reason}`); }
  if (plan.triggers.length) { out.push(""); for (const t of plan.triggers) out.push(`TRIGGER ${t.name} on ${t.table}: not migrated (reported) — ${t.reason}`); }
  if (plan.skipped.length) { out.push(""); for (const s of plan.skipped) out.push(`SKIPPED ${s.name} (${s.kind}): ${s.reason}`); }
  if (plan.identifiers.length) { out.push(""); for (const i of plan.identifiers) out.push(`NAME ${i.kind} ${i.source} → ${i.target} (${i.reason})`); }
  if (plan.warnings.length) { out.push(""); for (const w of plan.warnings) out.push(`WARNING: ${w}`); }
  out.push("");
  if (plan.errors.length) {
    out.push(`REFUSED: ${plan.errors.length} problem(s) must be fixed before migrating:`);
    for (const e of plan.errors) out.push(`  - ${e.message}`);
  } else out.push("OK: no refusals; migrate will proceed.");
  return out.join("\n");
}
