/**
 * Translates a column DEFAULT into PostgreSQL, typed for the chosen column
 * type: literals become typed literals, SQLite's "now" forms become now().
 * https://www.sqlite.org/lang_createtable.html#the_default_clause
 */
import type { ExpressionContext, ExpressionTranslator, TranslateResult } from "./expression";
import type { Conversion } from "./plan-types";
import { quoteLiteral } from "./quote";
import { isWord, tokenize, type Token } from "./sql-text";
import { isBooleanText, microsToIso, normalizeDateText, normalizeTimeText, parseDateTimeText, parseUuid, partsToMicros } from "./value-formats";

const NOW_UTC = "(now() AT TIME ZONE 'UTC')";

function nowFor(conversion: Conversion, fmt?: string): TranslateResult {
  if (fmt === "%s") return conversion === "integer" || conversion === "double" || conversion === "numeric" ? { ok: true, sql: "(extract(epoch from now()))::bigint" } : { ok: false, reason: "strftime('%s','now') on a non-numeric column" };
  switch (conversion) {
    case "timestamptz": return { ok: true, sql: "now()" };
    case "timestamp": return { ok: true, sql: NOW_UTC };
    case "date": return { ok: true, sql: `${NOW_UTC}::date` };
    case "time": return { ok: true, sql: `${NOW_UTC}::time` };
    case "text": return { ok: true, sql: `to_char(${NOW_UTC}, 'YYYY-MM-DD HH24:MI:SS')` };
    default: return { ok: false, reason: `time default on a ${conversion} column` };
  }
}

/** `CURRENT_TIMESTAMP`, `datetime('now'[, 'localtime'|'utc'|'subsec'])`, `strftime(fmt, 'now', ...)`, `date('now')`, `time('now')`. */
function matchNow(tokens: Token[]): { kind: "timestamp" | "date" | "time"; fmt?: string } | null {
  if (tokens.length === 1 && isWord(tokens[0], "CURRENT_TIMESTAMP")) return { kind: "timestamp" };
  if (tokens.length === 1 && isWord(tokens[0], "CURRENT_DATE")) return { kind: "date" };
  if (tokens.length === 1 && isWord(tokens[0], "CURRENT_TIME")) return { kind: "time" };
  if (tokens.length < 4 || tokens[1].text !== "(" || tokens[tokens.length - 1].text !== ")") return null;
  const args = tokens.slice(2, -1).filter((t) => t.text !== ",");
  if (!args.every((t) => t.kind === "string")) return null;
  const vals = args.map((t) => t.value.toLowerCase());
  const okMods = (mods: string[]) => mods.every((m) => ["localtime", "utc", "subsec", "subsecond"].includes(m));
  if (isWord(tokens[0], "DATETIME") && vals[0] === "now" && okMods(vals.slice(1))) return { kind: "timestamp" };
  if (isWord(tokens[0], "DATE") && vals[0] === "now" && okMods(vals.slice(1))) return { kind: "date" };
  if (isWord(tokens[0], "TIME") && vals[0] === "now" && okMods(vals.slice(1))) return { kind: "time" };
  if (isWord(tokens[0], "STRFTIME") && vals[1] === "now" && okMods(vals.slice(2))) return { kind: "timestamp", fmt: args[0].value };
  return null;
}

function literalFor(text: string, isNumber: boolean, conversion: Conversion, pgType: string, zone: string): TranslateResult {
  const bad = (): TranslateResult => ({ ok: false, reason: `literal ${text} does not fit ${pgType}` });
  switch (conversion) {
    case "integer":
      if (/^[+-]?\d+$/.test(text.trim())) return { ok: true, sql: String(BigInt(text.trim())) };
      if (/^[+-]?\d+\.0*$/.test(text.trim())) return { ok: true, sql: text.trim().replace(/\.0*$/, "") };
      return bad();
    case "double":
    case "numeric":
      return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim()) ? { ok: true, sql: text.trim() } : bad();
    case "boolean": {
      const t = text.trim().toLowerCase();
      if (!isBooleanText(t) && !/^[01]\.0*$/.test(t)) return bad();
      return { ok: true, sql: ["1", "t", "true"].includes(t) || /^1\./.test(t) ? "true" : "false" };
    }
    case "text":
      return { ok: true, sql: quoteLiteral(text) };
    case "json": {
      try { JSON.parse(text); } catch { return bad(); }
      return { ok: true, sql: `${quoteLiteral(text)}::jsonb` };
    }
    case "uuid": {
      const u = parseUuid(text);
      return u ? { ok: true, sql: `${quoteLiteral(u)}::uuid` } : bad();
    }
    case "timestamptz":
    case "timestamp": {
      if (isNumber) return bad();
      const p = parseDateTimeText(text);
      if (!p) return bad();
      const iso = microsToIso(partsToMicros(p, zone));
      return { ok: true, sql: conversion === "timestamptz" ? `${quoteLiteral(iso)}::timestamptz` : `${quoteLiteral(iso.replace("Z", ""))}::timestamp` };
    }
    case "date": {
      const d = normalizeDateText(text);
      return d ? { ok: true, sql: `${quoteLiteral(d)}::date` } : bad();
    }
    case "time": {
      const t = normalizeTimeText(text);
      return t ? { ok: true, sql: `${quoteLiteral(t)}::time` } : bad();
    }
    case "bytea":
      return { ok: true, sql: `${quoteLiteral("\\x" + Buffer.from(text, "utf8").toString("hex"))}::bytea` };
    default: {
      const never: never = conversion;
      throw new Error(`unknown conversion ${String(never)}`);
    }
  }
}

/**
 * Translates `defaultSql` (as PRAGMA table_xinfo reports it) for a column
 * of `pgType`. `{ ok: true, sql: "" }` means "no default" (DEFAULT NULL).
 */
export function translateDefault(defaultSql: string, conversion: Conversion, pgType: string, zone: string, translator: ExpressionTranslator, ctx: ExpressionContext, epochUnit?: "s" | "ms" | "jd"): TranslateResult {
  let tokens = tokenize(defaultSql);
  while (tokens.length >= 2 && tokens[0].text === "(" && tokens[tokens.length - 1].text === ")") tokens = tokens.slice(1, -1);
  if (tokens.length === 1 && isWord(tokens[0], "NULL")) return { ok: true, sql: "" };
  // The shared translator types defaults by the target type; the local rules below cover what it refuses.
  const shared = translator.defaultValue(defaultSql, pgType, { sourceTimezone: zone, ...(epochUnit && epochUnit !== "jd" ? { epochUnit } : {}) });
  if (shared.ok) return shared;
  if (tokens.length === 1 && isWord(tokens[0], "TRUE", "FALSE")) {
    const v = isWord(tokens[0], "TRUE");
    if (conversion === "boolean") return { ok: true, sql: v ? "true" : "false" };
    return literalFor(v ? "1" : "0", true, conversion, pgType, zone);
  }
  const now = matchNow(tokens);
  if (now) return nowFor(conversion, now.fmt);
  const signed = tokens.length === 2 && (tokens[0].text === "-" || tokens[0].text === "+") && tokens[1].kind === "number";
  if ((tokens.length === 1 && tokens[0].kind === "number") || signed) {
    const text = signed ? `${tokens[0].text}${tokens[1].text}` : tokens[0].text;
    if (/^[+-]?0x/i.test(text)) return literalFor(String(BigInt(text.replace(/^\+/, ""))), true, conversion, pgType, zone);
    return literalFor(text, true, conversion, pgType, zone);
  }
  // 'text', and "text" which SQLite falls back to reading as a string literal.
  if (tokens.length === 1 && (tokens[0].kind === "string" || tokens[0].kind === "ident")) return literalFor(tokens[0].value, false, conversion, pgType, zone);
  if (tokens.length === 1 && tokens[0].kind === "blob") {
    if (conversion !== "bytea") return { ok: false, reason: `blob default on a ${pgType} column` };
    return { ok: true, sql: `${quoteLiteral("\\x" + tokens[0].value.toLowerCase())}::bytea` };
  }
  const r = translator.expression(defaultSql, ctx);
  return r.ok ? { ok: true, sql: `(${r.sql})` } : shared;
}
