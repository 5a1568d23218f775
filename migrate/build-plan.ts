import { planFromDatabase, type PlanInternals } from "./plan";
import type { Plan } from "./plan-types";
import { readerOptions } from "./reader-pool";
import { openSource } from "./sqlite-source";
import type { MappingOptions } from "./types";

/**
 * Opens `from` read-only, introspects and scans it, and returns the plan as plain data (refusals in
 * `errors`). `extra.checkUtf8` also reads every text value to find invalid UTF-8 (what `plan` does).
 * `read.jobs`: threads scanning in parallel (see `MigrateOptions.jobs`).
 */
export function buildPlan(from: string, options: MappingOptions = {}, extra: Pick<PlanInternals, "checkUtf8"> = {}, read: { jobs?: number } = {}): Plan {
  const src = openSource(from, readerOptions({ from, ...read }, () => undefined));
  try {
    return planFromDatabase(src.db, from, options, { ...extra, runAggregate: src.readers.aggregate });
  } finally {
    src.close();
  }
}
