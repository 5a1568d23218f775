/**
 * The engine's one SQLite tokenizer (`sql-expression-tokens.ts`): strict for
 * the expression translator, lenient for cutting stored CREATE statements
 * (`sql-text.ts`), and the statement parts introspection takes from it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseCreateTable, parseIndexKeys, parseIndexWhere } from "../migrate/introspect";
import { Refusal, tokenize as tokenizeSql } from "../migrate/sql-expression-tokens";
import { nameOf, tokenize } from "../migrate/sql-text";

const kinds = (sql: string) => tokenizeSql(sql).map((t) => `${t.kind}:${t.value}`);

describe("tokenizer", () => {
  test("literals, quoted identifiers, numbers, blobs, parameters and operators", () => {
    assert.deepEqual(kinds(`"a""b" [c d] \`e\` 'it''s' x'0A' 1_000 0x1F .5 1e-3 ?1 :p ->> || <> -- c\n/* d */ name`), [
      "ident:a\"b", "ident:c d", "ident:e", "string:it's", "blob:0a", "number:1000", "number:0x1F", "number:.5", "number:1e-3",
      "param:?1", "param::p", "op:->>", "op:||", "op:<>", "word:NAME", "eof:",
    ]);
  });

  test("strict mode refuses what SQLite refuses", () => {
    for (const bad of ["'open", `"open`, "[open", "x'0'", "x'zz'", "1abc", "a # b", "a ! b"]) {
      assert.throws(() => tokenizeSql(bad), Refusal, bad);
    }
  });

  test("lenient mode never throws and keeps every character in a token", () => {
    for (const sql of ["'open", `"open`, "[open", "x'0'", "x'zz'", "1abc", "a # b", "a ! b", "x'"]) {
      const toks = tokenizeSql(sql, { lenient: true });
      assert.equal(toks[toks.length - 1].kind, "eof");
      const covered = toks.slice(0, -1).map((t) => sql.slice(t.start, t.end)).join("");
      assert.equal(covered, sql.replace(/\s+/g, ""), sql);
    }
  });

  test("statement tokens: no end marker, words and names as written", () => {
    const toks = tokenize(`CREATE TABLE MixedCase ("Quoted Name" int, plain TEXT)`);
    assert.notEqual(toks[toks.length - 1].kind, "eof");
    assert.deepEqual(toks.filter((t) => t.kind === "word" || t.kind === "ident").map(nameOf), ["CREATE", "TABLE", "MixedCase", "Quoted Name", "int", "plain", "TEXT"]);
  });
});

describe("statement parts", () => {
  test("CREATE TABLE: checks, generated columns, collations, deferred foreign keys", () => {
    const parsed = parseCreateTable(
      `CREATE TABLE "t x" ([a b] INTEGER PRIMARY KEY, c TEXT DEFAULT 'x,y' CHECK (length(c) < 5) COLLATE NOCASE, g AS (a + 1) STORED, CONSTRAINT ck CHECK (c <> ''), FOREIGN KEY ("a b", c) REFERENCES Parent(x, y) DEFERRABLE INITIALLY DEFERRED)`,
    );
    assert.deepEqual([...parsed.columns.keys()], ["a b", "c", "g"]);
    assert.deepEqual(parsed.columns.get("g")?.generated, { kind: "stored", expression: "a + 1" });
    assert.equal(parsed.columns.get("c")?.collation, "NOCASE");
    assert.deepEqual(parsed.columns.get("c")?.checks, [{ name: undefined, expression: "length(c) < 5" }]);
    assert.deepEqual(parsed.checks, [{ name: "ck", expression: "c <> ''" }]);
    assert.deepEqual(parsed.deferredFks, [{ from: ["a b", "c"], parent: "Parent" }]);
  });

  test("CREATE INDEX: key expressions and the partial WHERE", () => {
    const sql = `CREATE INDEX i ON t(a COLLATE NOCASE DESC, lower(b) ASC, "c") WHERE a > 0 AND b IS NOT NULL`;
    assert.deepEqual(parseIndexKeys(sql), ["a", "lower(b)", `"c"`]);
    assert.equal(parseIndexWhere(sql), "a > 0 AND b IS NOT NULL");
  });
});
