import type { History } from "../history.js";
import { checkConvergence } from "./convergence.js";
import { checkDurability } from "./durability.js";
import { checkLinearizability } from "./linearizability.js";
import type { LinearizabilityOptions, LinearizabilityResult } from "./linearizability.js";
import { checkRevisions } from "./revisions.js";
import type { CheckName, SectionResult, Verdict } from "./types.js";
import { checkWatches } from "./watches.js";

export interface CheckReport {
  /** violation if any section found one; else unknown if any could not decide; else ok. */
  readonly verdict: Verdict;
  readonly meta?: History["meta"];
  /** The checkers' results; a LinearizabilityResult among them carries its failing excerpts. */
  readonly sections: readonly (SectionResult | LinearizabilityResult)[];
}

export interface CheckOptions {
  readonly linearizability?: LinearizabilityOptions;
}

/** Runs every checker on a run's history. Sections that need the final log are "unknown" without one. */
export function checkHistory(history: History, options: CheckOptions = {}): CheckReport {
  const linearizability = checkLinearizability(history.ops, options.linearizability);
  const log = history.finalLog;
  const missing = (check: CheckName): SectionResult => ({ check, verdict: "unknown", violations: [], summary: "the history has no final log" });
  const sections: SectionResult[] = [
    linearizability,
    checkRevisions(history.ops, log),
    log === undefined ? missing("watches") : checkWatches(history.watches, log),
    log === undefined ? missing("durability") : checkDurability(history.ops, log),
    checkConvergence(history.hashes),
  ];
  const report = combine(sections);
  return history.meta === undefined ? report : { ...report, meta: history.meta };
}

/** A report of some checkers' results, e.g. `combine([checkLinearizability(ops)])`. */
export function combine(sections: readonly (SectionResult | LinearizabilityResult)[]): CheckReport {
  const verdict: Verdict = sections.some((s) => s.verdict === "violation")
    ? "violation"
    : sections.some((s) => s.verdict === "unknown")
      ? "unknown"
      : "ok";
  return { verdict, sections };
}
