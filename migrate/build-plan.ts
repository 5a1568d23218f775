import { planFromDatabase } from "./plan";
import type { Plan } from "./plan-types";
import { openSource } from "./sqlite-source";
import type { MappingOptions } from "./types";

/** Opens `from` read-only, introspects and scans it, and returns the plan as plain data (refusals in `errors`). */
export function buildPlan(from: string, options: MappingOptions = {}): Plan {
  const src = openSource(from);
  try {
    return planFromDatabase(src.db, from, options);
  } finally {
    src.close();
  }
}
