/**
 * A reader thread of the `ReaderPool`: opens the SQLite file read-only,
 * begins its read transaction when told to (the pool checks it sees the
 * same snapshot as the main connection), then answers aggregate queries synchronously,
 * streams COPY text with credit-based back-pressure, or computes a whole plan.
 * Never writes anything; never talks to PostgreSQL.
 */
import Database from "better-sqlite3";
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { TupleWriter, type BinKind } from "./binary-predict";
import { mergeAggregates, rowidRanges, type AggregateRunner } from "./column-scan";
import { encoderFor, suspect } from "./copy-encode";
import { planFromDatabase } from "./plan";
import type { ColumnPlan } from "./plan-types";
import { PREDICT_SLOT_BYTES, READER_SIGNAL, takeReply, type HelpRequest, type ReaderInit, type ReaderReply, type ReaderTask } from "./reader-protocol";
import { quoteSqliteIdent } from "./quote";
import { predictedTail } from "./verify-predict";

const init = workerData as ReaderInit;
const signal = new Int32Array(init.signal);
const slot = (i: number) => init.index * READER_SIGNAL.stride + i;

function notify(i: number, value: number): void {
  Atomics.store(signal, slot(i), value);
  Atomics.notify(signal, slot(i));
}

let db: Database.Database | undefined;
try {
  db = new Database(init.path, { readonly: true, fileMustExist: true, timeout: 5000 });
  db.defaultSafeIntegers(true);
  notify(READER_SIGNAL.ready, 1);
} catch (err) {
  init.syncPort.postMessage({ id: -1, error: { message: (err as Error).message, code: (err as { code?: string }).code } } satisfies ReaderReply);
  notify(READER_SIGNAL.ready, -1);
}

function errorReply(id: number, err: unknown): ReaderReply {
  return { id, error: { message: (err as Error).message, code: (err as { code?: string }).code } };
}

/** Waits for a credit to send one more chunk; false when the task was cancelled. */
function takeCredit(): boolean {
  for (;;) {
    if (Atomics.load(signal, slot(READER_SIGNAL.cancel)) !== 0) return false;
    const c = Atomics.load(signal, slot(READER_SIGNAL.credits));
    if (c > 0) {
      if (Atomics.compareExchange(signal, slot(READER_SIGNAL.credits), c, c - 1) === c) return true;
      continue;
    }
    Atomics.wait(signal, slot(READER_SIGNAL.credits), 0, 1000);
  }
}

function send(port: MessagePort, id: number, text: string, rows: number): boolean {
  if (!takeCredit()) return false;
  // A string, not transferred bytes: the copy lands in the main thread's heap and is collected
  // like any string there, while transferred buffers pile up as external memory until a full GC
  // (measured at 1M rows: 130 MB vs 197 MB peak RSS, and faster).
  port.postMessage({ id, chunk: text, rows } satisfies ReaderReply);
  return true;
}

function runStream(task: Extract<ReaderTask, { kind: "lines" | "rows" }>): void {
  const port = init.streamPort;
  let buf = "";
  let rows = 0;
  let sentRows = 0;
  let lineSuspect = false;
  const suspectCols = new Set<number>();
  // Cancelled (the main thread failed this load): answer anyway, the main thread waits for it
  // before it gives this reader another task.
  const stopped = () => port.postMessage({ id: task.id, done: { rows: sentRows, lineSuspect, suspectCols: [] } } satisfies ReaderReply);
  try {
    const stmt = db!.prepare(task.sql);
    if (task.kind === "lines") {
      for (const line of stmt.pluck().iterate() as IterableIterator<string>) {
        if (!lineSuspect && line.includes("\uFFFD")) lineSuspect = true;
        buf += `${line}\n`;
        rows++;
        if (buf.length >= task.chunkChars) {
          if (!send(port, task.id, buf, rows - sentRows)) return stopped();
          sentRows = rows;
          buf = "";
        }
      }
    } else {
      stmt.raw().safeIntegers(task.safeIntegers);
      const encoders = task.columns.map((c: ColumnPlan) => encoderFor(c, task.zone));
      const n = encoders.length;
      for (const row of stmt.iterate() as IterableIterator<unknown[]>) {
        buf += encoders[0](row[0]);
        for (let i = 1; i < n; i++) buf += `\t${encoders[i](row[i])}`;
        buf += "\n";
        if (suspect.utf8) {
          suspect.utf8 = false;
          for (let i = 0; i < n; i++) if (typeof row[i] === "string" && (row[i] as string).includes("\uFFFD")) suspectCols.add(i);
        }
        rows++;
        if (buf.length >= task.chunkChars) {
          if (!send(port, task.id, buf, rows - sentRows)) return stopped();
          sentRows = rows;
          buf = "";
        }
      }
    }
    if (buf.length && !send(port, task.id, buf, rows - sentRows)) return stopped();
    port.postMessage({ id: task.id, done: { rows, lineSuspect, suspectCols: [...suspectCols] } } satisfies ReaderReply);
  } catch (err) {
    port.postMessage(errorReply(task.id, err));
  }
}

/** A field PostgreSQL never prints (COPY text has no NUL): the line differs, and the main thread looks at that row closely. */
const UNPREDICTABLE = "\u0000";

/**
 * Verification: the text PostgreSQL should print for each row of each rowid range, in rowid
 * order, chunk by chunk (credits as in `runStream`). Always ends with `done`, also when cancelled,
 * so the main thread knows this reader is free again.
 */
function runPredict(task: Extract<ReaderTask, { kind: "predict" }>): void {
  if (task.binary) return runPredictBinary(task, task.binary);
  const port = init.streamPort;
  const kinds = task.tails;
  const nt = kinds.length;
  let total = 0;
  try {
    const stmt = db!.prepare(task.sql).raw();
    stmt.safeIntegers(task.safeIntegers);
    ranges: for (let r = 0; r < task.ranges.length; r++) {
      let buf = "";
      let rows = 0;
      let first = 0;
      for (const row of stmt.iterate(task.ranges[r][0], task.ranges[r][1]) as IterableIterator<unknown[]>) {
        for (let k = 0; k < nt; k++) {
          if (k) buf += "\t";
          buf += predictedTail(kinds[k], row[1 + k]) ?? UNPREDICTABLE;
        }
        if (task.hasLine) {
          if (nt) buf += "\t";
          buf += typeof row[0] === "string" ? row[0] : UNPREDICTABLE;
        }
        buf += "\n";
        rows++;
        if (buf.length >= task.chunkChars) {
          if (!takeCredit()) break ranges;
          port.postMessage({ id: task.id, chunk: buf, rows, first, end: false } satisfies ReaderReply);
          total += rows;
          first += rows;
          rows = 0;
          buf = "";
        }
      }
      if (!takeCredit()) break;
      port.postMessage({ id: task.id, chunk: buf, rows, first, end: true } satisfies ReaderReply);
      total += rows;
    }
    port.postMessage({ id: task.id, done: { rows: total, lineSuspect: false, suspectCols: [] } } satisfies ReaderReply);
  } catch (err) {
    port.postMessage(errorReply(task.id, err));
  }
}

/**
 * `runPredict` for `COPY ... (FORMAT binary)`: `sql` selects the columns' source values, and each
 * row becomes the binary tuple PostgreSQL should send (binary-predict.ts). A chunk is copied into
 * the task's shared slots (no message copy, nothing for either heap to collect); one too big for a
 * slot travels as a latin1 string (one character per byte), for the reason given at `send`.
 */
function runPredictBinary(task: Extract<ReaderTask, { kind: "predict" }>, kinds: BinKind[]): void {
  const port = init.streamPort;
  const out = new TupleWriter();
  const slots = task.slots ? Buffer.from(task.slots) : undefined;
  const nSlots = slots ? Math.floor(slots.length / PREDICT_SLOT_BYTES) : 0;
  let sent = 0;
  let total = 0;
  /** Sends the rows written so far (a credit is taken): into the next shared slot when they fit. */
  const flush = (rows: number, first: number, end: boolean): void => {
    const at = (sent++ % Math.max(1, nSlots)) * PREDICT_SLOT_BYTES;
    if (slots && out.pos <= PREDICT_SLOT_BYTES) {
      out.buf.copy(slots, at, 0, out.pos);
      port.postMessage({ id: task.id, chunk: "", rows, first, end, slot: at / PREDICT_SLOT_BYTES, bytes: out.pos } satisfies ReaderReply);
      out.pos = 0;
    } else {
      port.postMessage({ id: task.id, chunk: out.takeLatin1(), rows, first, end } satisfies ReaderReply);
    }
  };
  try {
    const stmt = db!.prepare(task.sql).raw();
    stmt.safeIntegers(task.safeIntegers);
    ranges: for (let r = 0; r < task.ranges.length; r++) {
      let rows = 0;
      let first = 0;
      for (const row of stmt.iterate(task.ranges[r][0], task.ranges[r][1]) as IterableIterator<unknown[]>) {
        out.row(kinds, row);
        rows++;
        if (out.pos >= task.chunkChars) {
          if (!takeCredit()) break ranges;
          flush(rows, first, false);
          total += rows;
          first += rows;
          rows = 0;
        }
      }
      if (!takeCredit()) break;
      flush(rows, first, true);
      total += rows;
    }
    port.postMessage({ id: task.id, done: { rows: total, lineSuspect: false, suspectCols: [] } } satisfies ReaderReply);
  } catch (err) {
    port.postMessage(errorReply(task.id, err));
  }
}

/**
 * The background plan yields the CPU to the load (this reader runs beside the COPY, and the
 * plan is only needed once the load and the index builds are done). Linux: per-thread niceness
 * through the thread id; elsewhere (or if refused) nothing changes.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // not Linux, or not allowed: same priority as the load
  }
}

/**
 * The planner's aggregates with a helper thread: a table of `minRows` rows or more is split at
 * the middle of its rowids, the upper half is asked of the helper, this thread scans the lower
 * half, and the two partial results are merged (the plan's tail, once the load and the index
 * builds are done, then runs on both cores instead of one).
 */
function splitRunner(helper: NonNullable<Extract<ReaderTask, { kind: "plan" }>["helper"]>): AggregateRunner {
  const at = helper.index * READER_SIGNAL.stride + READER_SIGNAL.reply;
  let nextId = 1;
  return (table, exprs) => {
    const ranges = rowidRanges(db!, table, 2, helper.minRows);
    const out: unknown[] = [];
    for (let start = 0; start < exprs.length; start += 1000) {
      const chunk = exprs.slice(start, start + 1000);
      const select = (where: string) => `SELECT ${chunk.map((x) => x.expr).join(", ")} FROM main.${quoteSqliteIdent(table)}${where}`;
      if (!ranges) {
        out.push(...(db!.prepare(select("")).raw().get() as unknown[]));
        continue;
      }
      const id = nextId++;
      helper.port.postMessage({ id, sql: select(` WHERE rowid BETWEEN ${ranges[1][0]} AND ${ranges[1][1]}`) } satisfies HelpRequest);
      const lower = db!.prepare(select(` WHERE rowid BETWEEN ${ranges[0][0]} AND ${ranges[0][1]}`)).raw().get() as unknown[];
      out.push(...mergeAggregates(chunk, [lower, takeReply(signal, at, helper.port, id, "the planner's helper thread")]));
    }
    return out;
  };
}

parentPort!.on("message", (task: ReaderTask) => {
  if (task.kind === "close") {
    try { if (db?.inTransaction) db.exec("COMMIT"); db?.close(); } finally { process.exit(0); }
  }
  if (!db) return;
  if (task.kind === "begin") {
    try {
      if (db.inTransaction) db.exec("COMMIT");
      db.exec("BEGIN");
      // The snapshot starts at the first read inside the transaction.
      db.prepare("SELECT count(*) FROM sqlite_schema").pluck().get();
      notify(READER_SIGNAL.began, task.generation);
    } catch (err) {
      init.syncPort.postMessage(errorReply(-1, err));
      notify(READER_SIGNAL.began, -task.generation);
    }
    return;
  }
  if (task.kind === "help") {
    lowerPriority();
    const port = task.port;
    port.on("message", (m: HelpRequest) => {
      let reply: ReaderReply;
      try {
        reply = { id: m.id, row: db!.prepare(m.sql).raw().get() as unknown[] };
      } catch (err) {
        reply = errorReply(m.id, err);
      }
      port.postMessage(reply);
      notify(READER_SIGNAL.reply, m.id);
    });
    return;
  }
  if (task.kind === "plan") {
    lowerPriority();
    let reply: ReaderReply;
    try {
      reply = { id: task.id, plan: planFromDatabase(db, task.from, task.options, task.helper ? { runAggregate: splitRunner(task.helper) } : {}) };
    } catch (err) {
      reply = errorReply(task.id, err);
    }
    init.streamPort.postMessage(reply);
    return;
  }
  if (task.kind === "aggregate") {
    let reply: ReaderReply;
    try {
      reply = { id: task.id, row: db.prepare(task.sql).raw().get() as unknown[] };
    } catch (err) {
      reply = errorReply(task.id, err);
    }
    init.syncPort.postMessage(reply);
    notify(READER_SIGNAL.reply, task.id);
    return;
  }
  if (task.kind === "predict") {
    runPredict(task);
    return;
  }
  runStream(task);
});
