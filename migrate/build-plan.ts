import { planFromDatabase, type PlanInternals } from "./plan";
import type { Plan } from "./plan-types";
import { openSource } from "./sqlite-source";
import type { MappingOptions } from "./types";

/**
 * Opens `from` read-only, introspects and scans it, and returns the plan as plain data (refusals in
 * `errors`). `extra.checkUtf8` also reads every text value to find invalid UTF-8 (what `plan` does).
 */
export function buildPlan(from: string, options: MappingOptions = {}, extra: Pick<PlanInternals, "checkUtf8"> = {}): Plan {
  const src = openSource(from);
  try {
    return planFromDatabase(src.db, from, options, extra);
  } finally {
    src.close();
  }
}
