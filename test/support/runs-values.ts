/**
 * Values the verification tests store in their `runs` tables: the forms
 * that make predicted COPY text hard (JSON member order, escapes and
 * exponents; text with tabs, newlines, backslashes, `\N` and non-ASCII).
 */

/** Row i's 32-hex id (CHAR(32) uuid), ascending with i. */
export const idOf = (i: number): string => `${i.toString(16).padStart(8, "0")}a1b2c3d4e5f6a7b8c9d0e1f2a3b4`.slice(0, 32);

/** JSON whose jsonb text the fast passes predict from the source's own tokens. */
export const RUN_PAYLOADS = [
  `{"model":"gpt","tools":[],"temperature":0.24,"step":14}`,
  `{"b": 1, "a": {"z": [1, 2.50, "x"], "y": null}, "ccc": true}`,
  `{"caf\u00e9": "na\\u00efve \\/ path\\\\to", "k": -0.5e3}`,
  `[{"b":2,"a":1}, "tab\\there", false]`,
];

/** jsonb keeps the last duplicate: not predicted, judged on parsed values. */
export const DUPLICATE_KEYS_JSON = `{"dup": 1, "dup": 2}`;

export const RUN_NOTES = ["plain", "", null, "tab\there", "line\nbreak", "back\\slash", "\\N", "ünïcödé 日本語 🚀"];
