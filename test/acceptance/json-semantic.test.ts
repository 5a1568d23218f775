import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonTextDifferences, parseJsonExact, JsonNumber } from "./support/json-semantic";

describe("exact JSON comparison used by the acceptance test", () => {
  it("keeps integers beyond 2^53 exact", () => {
    assert.notDeepEqual(jsonTextDifferences("9007199254740993", "9007199254740992"), []);
    assert.deepEqual(jsonTextDifferences("[9223372036854775807]", "[9223372036854775807]"), []);
    assert.notDeepEqual(jsonTextDifferences("-9223372036854775808", "-9223372036854775807"), []);
  });

  it("compares numbers by exact decimal value, not by spelling", () => {
    assert.deepEqual(jsonTextDifferences("1.0", "1"), []);
    assert.deepEqual(jsonTextDifferences("1e+100", "1" + "0".repeat(100)), []);
    assert.deepEqual(jsonTextDifferences("1e-300", "0." + "0".repeat(299) + "1"), []);
    assert.deepEqual(jsonTextDifferences("0.0", "-0"), []);
    assert.notDeepEqual(jsonTextDifferences("0.30000000000000004", "0.3"), []);
    assert.notDeepEqual(jsonTextDifferences("1e-300", "1e-301"), []);
    assert.equal((parseJsonExact("-120.50") as JsonNumber).canonical, "-1205e-1");
  });

  it("ignores object member order but not array order", () => {
    assert.deepEqual(jsonTextDifferences('{"a":1,"b":[1,2]}', '{"b":[1,2],"a":1}'), []);
    assert.deepEqual(jsonTextDifferences("[1,2]", "[2,1]"), ["$[0]: 1e0 vs 2e0", "$[1]: 2e0 vs 1e0"]);
  });

  it("is strict about types, nulls and missing members", () => {
    assert.deepEqual(jsonTextDifferences('"1"', "1"), ['$: string "1" vs number 1e0']);
    assert.notDeepEqual(jsonTextDifferences("true", "1"), []);
    assert.deepEqual(jsonTextDifferences('{"a":null}', "{}"), ['$."a": null vs missing']);
    assert.notDeepEqual(jsonTextDifferences('""', "null"), []);
  });

  it("decodes string escapes and unicode exactly", () => {
    assert.deepEqual(jsonTextDifferences('"\\u00e9\\ud83e\\udd16"', '"é🤖"'), []);
    assert.notDeepEqual(jsonTextDifferences('"e\\u0301"', '"é"'), []);
    assert.deepEqual(jsonTextDifferences('"a\\\\N\\"b"', '"a\\\\N\\u0022b"'), []);
  });

  it("rejects malformed JSON", () => {
    assert.throws(() => parseJsonExact('{"a":1,}'), /invalid JSON/);
    assert.throws(() => parseJsonExact("[1] x"), /trailing/);
  });
});
