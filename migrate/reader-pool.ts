/**
 * `--jobs`: reader threads that read the SQLite file in parallel, each on
 * its own read-only connection, all on the SAME snapshot as the main
 * connection. The scan's aggregates over a big table are split by rowid
 * range and run on every thread at once (merged here); the load's COPY text
 * is produced by a reader while the main thread only forwards it to
 * PostgreSQL. PostgreSQL itself is fed over one connection, in one
 * transaction: that is what keeps the migration atomic.
 *
 * Same snapshot: a probe connection's `PRAGMA data_version` changes when
 * any other connection commits. It is read before the main connection
 * begins its read transaction and after the last reader began; equal means
 * no commit happened in between, so every reader sees the main snapshot
 * (WAL or rollback journal alike). Otherwise everything begins again.
 * https://www.sqlite.org/pragma.html#pragma_data_version
 * (The -shm file is deliberately not read directly: closing any descriptor
 * of it would drop this process's POSIX locks on it, which SQLite relies on.)
 */
import Database from "better-sqlite3";
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { mergeAggregates, rowidRanges, type AggregateRunner } from "./column-scan";
import { HELPER_GONE, PREDICT_SLOT_BYTES, READER_SIGNAL, takeReply, type ReaderInit, type ReaderReply, type ReaderTask, type StreamDone } from "./reader-protocol";
import type { ColumnPlan, Plan } from "./plan-types";
import { quoteSqliteIdent } from "./quote";
import type { MappingOptions } from "./types";
import type { SqliteDb } from "./sqlite-source";

/** Tables with fewer rows are read by one thread (splitting costs more than it saves). */
export const PARALLEL_MIN_ROWS = 50_000;
const READY_TIMEOUT_MS = 15_000;
const CREDITS = 2;
/**
 * Chunks a reader may run ahead in `predict`: together at least a whole range (verify-readers.ts:
 * 4,096 rows in 60k-character chunks), so that every reader works on its next range while the
 * main thread compares another reader's (with 2, only one reader worked at a time).
 */
const PREDICT_CREDITS = 32;
/**
 * A reader's young generation (V8's default is tens of MB per thread): the chunks a reader
 * builds live briefly, and with the default each of 2–4 readers grew to 50–70 MB during
 * verification (1M rows: 364 MB peak RSS; 228 MB with 2 MB and 60k-character chunks).
 */
const READER_YOUNG_MB = 2;

interface Reader {
  worker: Worker;
  syncPort: MessagePort;
  streamPort: MessagePort;
}

export interface StreamTask {
  kind: "lines" | "rows";
  /** The SELECT: one COPY line per row ("lines"), or the columns' source expressions ("rows"). */
  sql: string;
  chunkChars: number;
  /** For "rows": what the reader needs to encode. */
  columns?: ColumnPlan[];
  zone?: string;
  safeIntegers?: boolean;
}

/** One chunk of predicted COPY text: `rows` lines of range `range`, starting at its row `first` (0-based, rowid order). */
export interface PredictChunk {
  /** Predicted COPY text, or (binary task) the bytes as a latin1 string when they did not fit a slot. */
  text: string;
  /** Binary task: the predicted bytes, a view of the reader's shared slot (valid until the next chunk is asked for). */
  bytes?: Buffer;
  rows: number;
  range: number;
  first: number;
}

/** Default `--jobs`: the cores, at most 4. */
export const DEFAULT_JOBS = Math.max(1, Math.min(4, availableParallelism()));
/**
 * Threads of `planInBackground`, apart from the readers: they run at a lower priority (the load
 * comes first), which a thread cannot undo, so the readers that verify later stay at full priority
 * (reader 2 planning, then verifying at nice 10: verification 5.8 → 5.0 s at 1M rows). Two split
 * the scan of a big table: what is left of it after the load runs on both cores.
 */
const PLANNERS = 2;
/** Files smaller than this are read on the main thread only: starting reader threads would cost more than it saves. */
const READERS_MIN_BYTES = 8 * 1024 * 1024;

/**
 * `--jobs N`: N reader threads on the same snapshot besides this one, which
 * coordinates (and takes a share of split scans); 1 = this thread alone.
 */
export function readerOptions(options: { from: string; jobs?: number; parallelMinRows?: number }, log: (line: string) => void, planInBackground = false): { readers: number; planners: number; parallelMinRows?: number; log: (line: string) => void } {
  const jobs = options.jobs ?? DEFAULT_JOBS;
  let bytes = 0;
  for (const f of [options.from, `${options.from}-wal`]) { try { bytes += statSync(f).size; } catch { /* absent */ } }
  const wanted = jobs > 1 && (options.parallelMinRows !== undefined || bytes >= READERS_MIN_BYTES);
  return { readers: wanted ? jobs : 0, planners: wanted && planInBackground ? PLANNERS : 0, log, ...(options.parallelMinRows !== undefined ? { parallelMinRows: options.parallelMinRows } : {}) };
}

function workerFile(): { file: string; execArgv?: string[] } {
  // Under tsx (tests, scripts) the sources are .ts; the compiled package runs .js.
  if (__filename.endsWith(".ts")) return { file: join(__dirname, "reader-worker.ts"), execArgv: ["--require", "tsx/cjs"] };
  return { file: join(__dirname, "reader-worker.js") };
}

function toError(e: { message: string; code?: string }): Error {
  const err = new Error(e.message) as Error & { code?: string };
  if (e.code) err.code = e.code;
  return err;
}

export class ReaderPool {
  private nextId = 1;
  private readonly signal: Int32Array;

  private constructor(private readonly db: SqliteDb, private readonly readers: Reader[], signal: SharedArrayBuffer, private readonly minRows: number,
    /** `planInBackground`'s threads (signal slots after the readers'); closed once the plan is made. */
    private readonly planners: Reader[] = []) {
    this.signal = new Int32Array(signal);
  }

  /** Number of reader threads (0: everything runs on the main connection). */
  get size(): number {
    return this.readers.length;
  }

  /** A pool without threads. */
  static inline(db: SqliteDb): ReaderPool {
    return new ReaderPool(db, [], new SharedArrayBuffer(4), Number.POSITIVE_INFINITY);
  }

  /**
   * Starts `n` readers that see the snapshot `db` began at. `begin` (re)starts
   * the main connection's read transaction; it is called again if a writer
   * committed while the readers began. Falls back to no readers (and says why)
   * when the snapshot cannot be shared.
   */
  static start(path: string, db: SqliteDb, readerCount: number, begin: () => void, log: (line: string) => void, minRows = PARALLEL_MIN_ROWS, plannerCount = 0): ReaderPool {
    const n = readerCount + plannerCount;
    const signal = new SharedArrayBuffer(4 * READER_SIGNAL.stride * n);
    const sig = new Int32Array(signal);
    const readers: Reader[] = [];
    const { file, execArgv } = workerFile();
    for (let i = 0; i < n; i++) {
      const sync = new MessageChannel();
      const stream = new MessageChannel();
      const init: ReaderInit = { path, index: i, signal, syncPort: sync.port2, streamPort: stream.port2 };
      const worker = new Worker(file, { workerData: init, transferList: [sync.port2, stream.port2], ...(execArgv ? { execArgv } : {}), resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_MB } });
      worker.unref();
      readers.push({ worker, syncPort: sync.port1, streamPort: stream.port1 });
    }
    const pool = new ReaderPool(db, readers.slice(0, readerCount), signal, minRows, readers.slice(readerCount));
    /** Waits until slot `what` of every reader is not `unset`; returns the first failure message. */
    const waitAll = (what: number, ok: (v: number) => boolean): string => {
      for (let i = 0; i < n; i++) {
        const at = i * READER_SIGNAL.stride + what;
        const deadline = Date.now() + READY_TIMEOUT_MS;
        while (!ok(Atomics.load(sig, at)) && Atomics.load(sig, at) >= 0 && Date.now() < deadline) Atomics.wait(sig, at, Atomics.load(sig, at), 50);
        if (!ok(Atomics.load(sig, at))) {
          const msg = receiveMessageOnPort(readers[i].syncPort)?.message as ReaderReply | undefined;
          return msg && "error" in msg ? msg.error.message : "reader thread did not answer";
        }
      }
      return "";
    };
    let reason = waitAll(READER_SIGNAL.ready, (v) => v === 1);
    if (!reason) {
      const probe = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
      try {
        const version = () => Number(probe.pragma("data_version", { simple: true }));
        // The window between the two versions is only the time the readers take to begin (about a millisecond).
        for (let generation = 1; generation <= 20 && !reason; generation++) {
          const before = version();
          if (db.inTransaction) db.exec("COMMIT");
          begin();
          for (const r of readers) r.worker.postMessage({ kind: "begin", generation } satisfies ReaderTask);
          reason = waitAll(READER_SIGNAL.began, (v) => v === generation);
          if (!reason && version() === before) return pool;
        }
      } finally {
        probe.close();
      }
      reason ||= "a writer kept committing while the readers began";
    }
    pool.close();
    log(`--jobs: reading with one connection (${reason})`);
    if (!db.inTransaction) begin();
    return ReaderPool.inline(db);
  }

  /** Rowid ranges splitting `table` into `parts`, or null when it is small or has no rowid. */
  ranges(table: string, parts: number): [bigint, bigint][] | null {
    return rowidRanges(this.db, table, parts, this.minRows);
  }

  /** An `AggregateRunner` for the scan: the aggregates of each rowid range on its own reader (and the main thread), merged. */
  readonly aggregate: AggregateRunner = (table, exprs) => {
    const qt = quoteSqliteIdent(table);
    const out: unknown[] = [];
    for (let start = 0; start < exprs.length; start += 1000) {
      const chunk = exprs.slice(start, start + 1000);
      const select = (where: string) => `SELECT ${chunk.map((x) => x.expr).join(", ")} FROM main.${qt}${where}`;
      const ranges = this.ranges(table, this.readers.length + 1);
      if (!ranges) {
        out.push(...(this.db.prepare(select("")).raw().get() as unknown[]));
        continue;
      }
      const ids = this.readers.map((r, i) => {
        const id = this.nextId++;
        const [a, b] = ranges[i + 1];
        r.worker.postMessage({ kind: "aggregate", id, sql: select(` WHERE rowid BETWEEN ${a} AND ${b}`) } satisfies ReaderTask);
        return id;
      });
      const own = this.db.prepare(select(` WHERE rowid BETWEEN ${ranges[0][0]} AND ${ranges[0][1]}`)).raw().get() as unknown[];
      const theirs = this.readers.map((r, i) => takeReply(this.signal, i * READER_SIGNAL.stride + READER_SIGNAL.reply, r.syncPort, ids[i], "reader thread"));
      out.push(...mergeAggregates(chunk, [own, ...theirs]));
    }
    return out;
  };

  /**
   * Streams a table as COPY text chunks produced by a reader thread, in
   * SQLite's natural order (one reader, the whole table: PostgreSQL parses a
   * single COPY at a time and one reader keeps it busy, and rows stored in
   * SQLite's order let verification compare both sides without sorting).
   * `onChunk` is awaited before the reader gets its credit back: memory
   * stays bounded by 2 chunks of about `chunkChars` characters. Needs a reader.
   */
  async stream(task: StreamTask, onChunk: (chunk: string, rows: number) => Promise<void>): Promise<StreamDone> {
    const reader = this.readers[0];
    if (!reader) throw new Error("ReaderPool.stream needs a reader thread");
    // The first reader's slots in the signal array start at 0.
    const slot = (i: number) => i;
    const id = this.nextId++;
    Atomics.store(this.signal, slot(READER_SIGNAL.cancel), 0);
    Atomics.store(this.signal, slot(READER_SIGNAL.credits), CREDITS);
    return await new Promise<StreamDone>((resolve, reject) => {
      let failure: Error | null = null;
      // The reader answered this task (done or error) or is gone: only then may the promise
      // settle, else a cancelled reader could still be reading when the next task resets `cancel`.
      let stopped = false;
      let queue = Promise.resolve();
      // Keep the event loop alive while the reader works (the workers themselves are unref'd).
      const keepAlive = setInterval(() => undefined, 1 << 30);
      const cleanup = () => {
        clearInterval(keepAlive);
        reader.streamPort.off("message", onMessage);
        reader.worker.off("error", onError);
        reader.worker.off("exit", onExit);
      };
      const settle = () => {
        if (!failure || !stopped) return;
        cleanup();
        reject(failure);
      };
      const fail = (err: Error) => {
        if (failure) return;
        failure = err;
        // Stop the reader where it is (it waits for credits or checks between chunks); it answers `done`.
        Atomics.store(this.signal, slot(READER_SIGNAL.cancel), 1);
        Atomics.notify(this.signal, slot(READER_SIGNAL.credits));
        settle();
      };
      const onError = (err: Error) => { stopped = true; fail(err); settle(); };
      const onExit = () => onError(new Error("reader thread exited"));
      const onMessage = (m: ReaderReply) => {
        if (m.id !== id) return;
        if ("error" in m) return onError(toError(m.error));
        if ("done" in m) {
          stopped = true;
          if (failure) return settle();
          queue = queue.then(() => { if (!failure) { cleanup(); resolve(m.done); } });
          return;
        }
        if (failure || !("chunk" in m)) return;
        queue = queue.then(async () => {
          if (failure) return;
          await onChunk(m.chunk, m.rows);
          Atomics.add(this.signal, slot(READER_SIGNAL.credits), 1);
          Atomics.notify(this.signal, slot(READER_SIGNAL.credits));
        }).catch((err: Error) => fail(err));
      };
      reader.streamPort.on("message", onMessage);
      reader.worker.on("error", onError);
      reader.worker.on("exit", onExit);
      reader.worker.postMessage(task.kind === "lines"
        ? { kind: "lines", id, sql: task.sql, chunkChars: task.chunkChars } satisfies ReaderTask
        : { kind: "rows", id, sql: task.sql, chunkChars: task.chunkChars, columns: task.columns ?? [], zone: task.zone ?? "UTC", safeIntegers: !!task.safeIntegers } satisfies ReaderTask);
    });
  }

  /**
   * Verification: the predicted COPY text of `ranges` (task "predict"), range
   * i read by reader i mod n, all readers at once, yielded in range order.
   * Each reader may run `PREDICT_CREDITS` chunks ahead. Stopping early (break,
   * throw) cancels the readers and waits until every one has stopped, so
   * the pool can be used again.
   */
  async *predict(task: Omit<Extract<ReaderTask, { kind: "predict" }>, "kind" | "id" | "ranges">, ranges: [bigint, bigint][]): AsyncGenerator<PredictChunk> {
    const n = this.readers.length;
    if (!n) throw new Error("ReaderPool.predict needs a reader thread");
    const id = this.nextId++;
    const slot = (k: number, i: number) => k * READER_SIGNAL.stride + i;
    const queues: ReaderReply[][] = this.readers.map(() => []);
    const finished = this.readers.map(() => false);
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    const poke = () => { const w = wake; wake = null; w?.(); };
    const handlers = this.readers.map((r, k) => {
      const onMessage = (m: ReaderReply) => {
        if (m.id !== id) return;
        if ("error" in m) { failure ??= toError(m.error); finished[k] = true; }
        else if ("done" in m) finished[k] = true;
        else queues[k].push(m);
        poke();
      };
      const onExit = () => { failure ??= new Error("reader thread exited"); finished[k] = true; poke(); };
      r.streamPort.on("message", onMessage);
      r.worker.on("exit", onExit);
      return { onMessage, onExit };
    });
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const next = () => new Promise<void>((resolve) => { wake = resolve; });
    // Binary chunks are written by the reader into shared memory, slot = its chunk number mod the
    // credits: a slot is reused only after its chunk was handed out and the next one asked for.
    const slots = this.readers.map(() => (task.binary ? new SharedArrayBuffer(PREDICT_CREDITS * PREDICT_SLOT_BYTES) : undefined));
    this.readers.forEach((r, k) => {
      Atomics.store(this.signal, slot(k, READER_SIGNAL.cancel), 0);
      Atomics.store(this.signal, slot(k, READER_SIGNAL.credits), PREDICT_CREDITS);
      r.worker.postMessage({ kind: "predict", id, ...task, ranges: ranges.filter((_r, i) => i % n === k), ...(slots[k] ? { slots: slots[k] } : {}) } satisfies ReaderTask);
    });
    try {
      for (let i = 0; i < ranges.length; i++) {
        const k = i % n;
        for (;;) {
          while (!queues[k].length) {
            if (failure) throw failure;
            if (finished[k]) throw new Error("reader thread stopped before the end of its ranges");
            await next();
          }
          const m = queues[k].shift()!;
          if (!("chunk" in m)) continue;
          const shared = slots[k];
          const bytes = shared && m.slot !== undefined ? Buffer.from(shared, m.slot * PREDICT_SLOT_BYTES, m.bytes ?? 0) : undefined;
          yield { text: m.chunk, rows: m.rows, range: i, first: m.first ?? 0, ...(bytes ? { bytes } : {}) };
          Atomics.add(this.signal, slot(k, READER_SIGNAL.credits), 1);
          Atomics.notify(this.signal, slot(k, READER_SIGNAL.credits));
          if (m.end) break;
        }
      }
      while (!finished.every(Boolean)) await next();
      if (failure) throw failure;
    } finally {
      this.readers.forEach((_r, k) => {
        if (finished[k]) return;
        Atomics.store(this.signal, slot(k, READER_SIGNAL.cancel), 1);
        Atomics.notify(this.signal, slot(k, READER_SIGNAL.credits));
      });
      while (!finished.every(Boolean)) await next();
      clearInterval(keepAlive);
      this.readers.forEach((r, k) => { r.streamPort.off("message", handlers[k].onMessage); r.worker.off("exit", handlers[k].onExit); });
    }
  }

  /** Whether `planInBackground` can run (the pool was started with planner threads, not used yet). */
  get canPlanInBackground(): boolean {
    return this.planners.length > 0;
  }

  /**
   * The full plan (every value scanned), computed on the planner threads
   * while the caller goes on; the readers stay free for `stream`. The
   * planners end with it (once).
   */
  planInBackground(from: string, options: MappingOptions): Promise<Plan> {
    const [r, helper] = this.planners;
    if (!r) return Promise.reject(new Error("planInBackground needs planner threads"));
    const id = this.nextId++;
    return new Promise<Plan>((resolve, reject) => {
      const onMessage = (m: ReaderReply) => {
        if (m.id !== id) return;
        off();
        if ("error" in m) reject(toError(m.error));
        else if ("plan" in m) resolve(m.plan);
        else reject(new Error("reader thread sent no plan"));
      };
      const onExit = () => { off(); reject(new Error("reader thread exited")); };
      const keepAlive = setInterval(() => undefined, 1 << 30);
      const index = this.readers.length + 1;
      // The planner waits for the helper's answers on the helper's reply slot: wake it if the helper dies.
      const onHelperExit = () => {
        Atomics.store(this.signal, index * READER_SIGNAL.stride + READER_SIGNAL.reply, HELPER_GONE);
        Atomics.notify(this.signal, index * READER_SIGNAL.stride + READER_SIGNAL.reply);
      };
      const off = () => {
        clearInterval(keepAlive);
        r.streamPort.off("message", onMessage);
        r.worker.off("exit", onExit);
        helper?.worker.off("exit", onHelperExit);
        this.closePlanners();
      };
      r.streamPort.on("message", onMessage);
      r.worker.on("exit", onExit);
      if (helper) {
        helper.worker.on("exit", onHelperExit);
        const channel = new MessageChannel();
        helper.worker.postMessage({ kind: "help", port: channel.port2 } satisfies ReaderTask, [channel.port2]);
        r.worker.postMessage({ kind: "plan", id, from, options, helper: { port: channel.port1, index, minRows: this.minRows } } satisfies ReaderTask, [channel.port1]);
      } else {
        r.worker.postMessage({ kind: "plan", id, from, options } satisfies ReaderTask);
      }
    });
  }

  /**
   * Stops the planner threads at once: a "close" message would wait for a scan still running
   * (the migration failed, or the pool is closed early) and keep burning a core, e.g. in the
   * Pulumi provider's process. They only read, so nothing is lost; their connections close with them.
   */
  private closePlanners(): void {
    const planners = this.planners.splice(0);
    for (const r of planners) {
      r.syncPort.close();
      r.streamPort.close();
      void r.worker.terminate();
    }
  }

  /**
   * An `AggregateRunner` over the first `rows` rows of each table (by rowid;
   * a rowid-less table whole): the scan of a sample, for a tentative plan.
   */
  sampleAggregate(rows: number): AggregateRunner {
    return (table, exprs) => {
      const qt = quoteSqliteIdent(table);
      const out: unknown[] = [];
      for (let start = 0; start < exprs.length; start += 1000) {
        const list = exprs.slice(start, start + 1000).map((x) => x.expr).join(", ");
        let row: unknown[];
        try {
          row = this.db.prepare(`SELECT ${list} FROM main.${qt} WHERE rowid <= ifnull((SELECT rowid FROM main.${qt} ORDER BY rowid LIMIT 1 OFFSET ${rows - 1}), 9223372036854775807)`).raw().get() as unknown[];
        } catch {
          row = this.db.prepare(`SELECT ${list} FROM main.${qt}`).raw().get() as unknown[];
        }
        out.push(...row);
      }
      return out;
    };
  }

  /** Ends the readers' transactions and stops the threads. */
  close(): void {
    this.closePlanners();
    for (const r of this.readers) {
      try { r.worker.postMessage({ kind: "close" } satisfies ReaderTask); } catch { /* already gone */ }
      r.syncPort.close();
      r.streamPort.close();
    }
    this.readers.length = 0;
  }
}
