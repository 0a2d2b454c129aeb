/**
 * The chaos suite's checkers: pure functions from a run's history (../history.ts) to
 * verdicts with readable evidence.
 *
 * - checkLinearizability: the key-value operations, per key, against a register (WGL search
 *   with memoisation, unknown outcomes optional, a step and time budget per key), with a
 *   minimal failing excerpt for each failing key.
 * - checkRevisions: revisions agree among observations, are unique, follow real time, and
 *   match the final log for reads.
 * - checkWatches: ordered, unique, atomic, reliable, resumable, accurate.
 * - checkDurability: every effective write in the final log, nothing else there.
 * - checkConvergence: equal HashKV at equal revisions.
 * - checkHistory runs them all; renderText, renderHtml and writeReport show the result.
 */
export { checkLinearizability } from "./linearizability.js";
export type {
  ExcerptNote,
  KeyVerdict,
  LinearizabilityFailure,
  LinearizabilityOptions,
  LinearizabilityResult,
  StuckOp,
} from "./linearizability.js";
export { checkRevisions } from "./revisions.js";
export { checkWatches, inRange } from "./watches.js";
export { checkDurability } from "./durability.js";
export { checkConvergence } from "./convergence.js";
export { checkHistory, combine } from "./check.js";
export type { CheckOptions, CheckReport } from "./check.js";
export { describeCall, describeOutcome, renderFailure, renderHtml, renderText, writeReport } from "./report.js";
export type { CheckName, SectionResult, Verdict, Violation } from "./types.js";
export { generateRegisterHistory, mutateRandomRead, mutateStaleRead } from "./generate.js";
export type { RegisterWorkload } from "./generate.js";
