/** What every checker returns. */

/** unknown: the checker could not decide (a budget ran out, or nothing could be compared). */
export type Verdict = "ok" | "violation" | "unknown";

export type CheckName = "linearizability" | "revisions" | "watches" | "durability" | "convergence";

export interface Violation {
  readonly check: CheckName;
  /** A short machine-readable class, e.g. "ordered", "lost-write", "real-time". */
  readonly kind: string;
  /** One readable sentence naming the operations, revisions and values involved. */
  readonly message: string;
  /** Ids of the operations involved. */
  readonly ops?: readonly number[];
  /** Id of the watch involved. */
  readonly watch?: number;
}

export interface SectionResult {
  readonly check: CheckName;
  readonly verdict: Verdict;
  readonly violations: readonly Violation[];
  /** What was checked, in one line (counts). */
  readonly summary: string;
}

export function verdictOf(violations: readonly Violation[], decided = true): Verdict {
  if (violations.length > 0) return "violation";
  return decided ? "ok" : "unknown";
}
