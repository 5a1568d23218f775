/**
 * The shared SQLite corpus (Chinook, Northwind, Sakila, pgloader's test
 * databases), read from `../shared/data/sqlite-corpus` beside the clone and
 * never copied into the repository. CI always has it. Where it is absent
 * (a clone elsewhere), the tests that read it are skipped with this reason.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** Where the corpus is looked for. */
export const CORPUS_DIR = resolve(__dirname, "../../../shared/data/sqlite-corpus");

/** The skip reason when the corpus is absent, else false (for `test(name, { skip: corpusSkip }, ...)`). */
export const corpusSkip: string | false = existsSync(CORPUS_DIR)
  ? false
  : `the SQLite corpus is not at ${CORPUS_DIR} (it lives in ../shared beside the clone; see the README's Testing section)`;

/** The path of one corpus file. */
export const corpusFile = (name: string): string => resolve(CORPUS_DIR, name);
