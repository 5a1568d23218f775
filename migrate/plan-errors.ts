import type { Plan } from "./plan-types";

/** One message listing every refusal of a plan (each names table, column, row key and the fix). */
export function formatPlanErrors(plan: Plan): string {
  const lines = plan.errors.map((e) => `  - ${e.message}`);
  return `migration refused, target not touched: ${plan.errors.length} problem(s) in ${plan.source}:\n${lines.join("\n")}`;
}
