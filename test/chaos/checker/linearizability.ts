import type { KvOp } from "../history.js";
import { ABSENT, KeyModel, NEVER, NO_READ, OpKind, Treatment, UNCLAIMED, revisionClaims } from "./model.js";
import type { KeyProblem, RevisionClaims } from "./model.js";
import { search } from "./search.js";
import type { DeadEnd } from "./search.js";
import type { Verdict, Violation } from "./types.js";

/**
 * Linearizability of the key-value history, one key at a time (linearizability is
 * compositional: a history is linearizable iff each key's sub-history is). Each key is a
 * register; the search is search.ts's. A failing key is shrunk to a small excerpt that still
 * fails on its own, which is what the report shows.
 */

export interface LinearizabilityOptions {
  /** Per key: search steps before the verdict becomes "unknown". Default 50,000,000. */
  readonly maxSteps?: number;
  /** Per key: milliseconds before the verdict becomes "unknown". Default 30,000. */
  readonly timeLimitMs?: number;
  /** Shrink each failing key's history to a minimal failing excerpt. Default true. */
  readonly minimize?: boolean;
  /** Per failing key: milliseconds for shrinking; past them the excerpt found so far is shown. Default 10,000. */
  readonly minimizeTimeLimitMs?: number;
}

const DEFAULTS: Required<LinearizabilityOptions> = {
  maxSteps: 50_000_000,
  timeLimitMs: 30_000,
  minimize: true,
  minimizeTimeLimitMs: 10_000,
};

/** Steps allowed to each trial of the shrinking; a trial that runs out counts as "passes". */
const SHRINK_TRIAL_STEPS = 2_000_000;

export interface KeyVerdict {
  readonly key: string;
  readonly verdict: Verdict;
  /** Operations considered (failed operations and unknown reads are not). */
  readonly ops: number;
  readonly steps: number;
  readonly ms: number;
  /** ok: the order found, as operation ids (unknown writes that need not happen are left out). */
  readonly order?: readonly number[];
  /** violation, unknown: how far the search got, in operations placed. */
  readonly deepest?: number;
  /** unknown: why. */
  readonly reason?: string;
}

export interface ExcerptNote {
  readonly id: number;
  readonly note: string;
}

export interface StuckOp {
  readonly id: number;
  readonly reason: string;
}

/** The evidence for one key: an excerpt of its history that no order can explain. */
export interface LinearizabilityFailure {
  readonly key: string;
  /** The excerpt's operations as recorded, by invoke time. */
  readonly ops: readonly KvOp[];
  /** Operations of the key considered in the whole history. */
  readonly of: number;
  /** Every single operation was tried out and the rest then passed: nothing can be removed. */
  readonly minimal: boolean;
  /** Operations of the excerpt not checked exactly as recorded, and why. */
  readonly notes: readonly ExcerptNote[];
  /** The longest order of the excerpt's operations the search found, as ids. */
  readonly order: readonly number[];
  /** The value the register holds after that order (null: absent). */
  readonly state: string | null;
  /** The operation that had to come next (it completed) but could not, if the search saw one. */
  readonly blocked?: number;
  /** Why each operation left out of the order cannot come next. */
  readonly stuck: readonly StuckOp[];
  readonly message: string;
}

export interface LinearizabilityResult {
  readonly check: "linearizability";
  readonly verdict: Verdict;
  readonly keys: readonly KeyVerdict[];
  readonly failures: readonly LinearizabilityFailure[];
  readonly violations: readonly Violation[];
  readonly summary: string;
}

/**
 * Checks every key of `ops` (any order; failed operations and unknown reads are ignored).
 * Throws HistoryFormatError if a key has a value written twice. A key whose search runs out of
 * budget is "unknown"; the result is "violation" if any key fails, else "unknown" if any key
 * could not be decided.
 */
export function checkLinearizability(ops: readonly KvOp[], options: LinearizabilityOptions = {}): LinearizabilityResult {
  const opts = { ...DEFAULTS, ...options };
  const byKey = new Map<string, KvOp[]>();
  for (const op of ops) {
    let list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, (list = []));
    list.push(op);
  }
  const claims = revisionClaims(ops);
  const keys: KeyVerdict[] = [];
  const failures: LinearizabilityFailure[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const { verdict, failure } = checkKey(key, byKey.get(key) as KvOp[], claims, opts);
    keys.push(verdict);
    if (failure !== undefined) failures.push(failure);
  }
  const verdict: Verdict = failures.length > 0 ? "violation" : keys.some((k) => k.verdict === "unknown") ? "unknown" : "ok";
  const violations: Violation[] = failures.map((f) => ({
    check: "linearizability",
    kind: "not-linearizable",
    message: f.message,
    ops: f.ops.map((op) => op.id),
  }));
  for (const k of keys) {
    if (k.verdict === "unknown") {
      violations.push({ check: "linearizability", kind: "budget-exhausted", message: `key ${JSON.stringify(k.key)}: unknown (${k.reason})` });
    }
  }
  const total = keys.reduce((s, k) => s + k.ops, 0);
  const ms = keys.reduce((s, k) => s + k.ms, 0);
  const summary = `${keys.length} keys, ${total} operations, ${keys.filter((k) => k.verdict === "ok").length} linearizable, ${failures.length} not, ${keys.filter((k) => k.verdict === "unknown").length} unknown; ${ms.toFixed(0)} ms`;
  return { check: "linearizability", verdict, keys, failures, violations, summary };
}

function checkKey(
  key: string,
  ops: readonly KvOp[],
  claims: RevisionClaims,
  opts: Required<LinearizabilityOptions>,
): { verdict: KeyVerdict; failure?: LinearizabilityFailure } {
  const started = performance.now();
  const model = new KeyModel(key, ops, claims);
  const problem = model.problem();
  const outcome = search(problem, { maxSteps: opts.maxSteps, deadline: started + opts.timeLimitMs, recordDeepest: false });
  const ms = performance.now() - started;
  const base = { key, ops: model.size, steps: outcome.steps, ms };
  if (outcome.verdict === "ok") {
    const order = outcome.order.map((k) => (model.ops[problem.modelIndex[k] as number] as KvOp).id);
    return { verdict: { ...base, verdict: "ok", order } };
  }
  const deepest = outcome.deadEnd?.depth ?? 0;
  if (outcome.verdict === "unknown") {
    const limit = outcome.steps > opts.maxSteps ? `${opts.maxSteps} steps` : `${opts.timeLimitMs} ms`;
    return { verdict: { ...base, verdict: "unknown", deepest, reason: `budget exhausted: ${limit}, ${deepest} of ${problem.size} operations placed at best` } };
  }
  const failure = explain(model, problem, outcome.deadEnd, opts);
  return { verdict: { ...base, verdict: "violation", deepest }, failure };
}

/** Shrinks a failing key (if asked) and describes the excerpt. */
function explain(model: KeyModel, full: KeyProblem, deadEnd: DeadEnd | undefined, opts: Required<LinearizabilityOptions>): LinearizabilityFailure {
  let included: Uint8Array = new Uint8Array(model.size).fill(1);
  let minimal = false;
  if (opts.minimize) ({ included, minimal } = shrink(model, full, deadEnd, performance.now() + opts.minimizeTimeLimitMs));
  const problem = opts.minimize ? model.problem(included) : full;
  const outcome = search(problem, { maxSteps: opts.maxSteps, deadline: performance.now() + opts.timeLimitMs, recordDeepest: true });
  const idOf = (k: number): number => (model.ops[problem.modelIndex[k] as number] as KvOp).id;
  const end = outcome.verdict === "ok" ? undefined : outcome.deadEnd;
  const order = end?.order ?? [];
  const state = end?.state ?? ABSENT;
  const placed = new Set(order);
  const blocked = end !== undefined && end.blocked >= 0 ? end.blocked : undefined;
  const stuck: StuckOp[] = [];
  for (let k = 0; k < problem.size; k++) {
    if (!placed.has(k)) stuck.push({ id: idOf(k), reason: whyNot(problem, k, state, blocked) });
  }
  if (blocked !== undefined) {
    const first = stuck.findIndex((s) => s.id === idOf(blocked));
    if (first > 0) stuck.unshift(...stuck.splice(first, 1));
  }

  const excerpt: KvOp[] = [];
  const notes: ExcerptNote[] = [];
  for (let i = 0; i < model.size; i++) {
    if (included[i] !== 1) continue;
    const op = model.ops[i] as KvOp;
    excerpt.push(op);
    const note = noteFor(model, i, problem.treatment[i] as Treatment, problem);
    if (note !== undefined) notes.push({ id: op.id, note });
  }
  const size = excerpt.length === model.size ? `all ${model.size} operations` : `${excerpt.length} of ${model.size} operations`;
  const headline = blocked !== undefined && problem.step(blocked, state) < 0 ? `: op ${idOf(blocked)} ${whyNot(problem, blocked, state, blocked)}` : "";
  const message = `key ${JSON.stringify(model.key)} is not linearizable (${size} fail${minimal ? ", minimal" : ""})${headline}`;
  const failure: LinearizabilityFailure = {
    key: model.key,
    ops: excerpt,
    of: model.size,
    minimal,
    notes,
    order: order.map(idOf),
    state: model.valueNames[state] ?? null,
    stuck,
    message,
  };
  return blocked === undefined ? failure : { ...failure, blocked: idOf(blocked) };
}

/**
 * Delta debugging (Zeller's ddmin, removing complements only) over the key's operations in
 * invoke order, after first cutting away everything invoked after the operation the full
 * search got stuck on. An excerpt "fails" when the search proves it has no linearization.
 */
function shrink(model: KeyModel, full: KeyProblem, deadEnd: DeadEnd | undefined, deadline: number): { included: Uint8Array; minimal: boolean } {
  const n = model.size;
  const mask = (ops: readonly number[]): Uint8Array => {
    const m = new Uint8Array(n);
    for (const i of ops) m[i] = 1;
    return m;
  };
  const fails = (ops: readonly number[]): boolean =>
    search(model.problem(mask(ops)), { maxSteps: SHRINK_TRIAL_STEPS, deadline, recordDeepest: false }).verdict === "violation";

  let current = Array.from({ length: n }, (_, i) => i);
  if (deadEnd !== undefined && deadEnd.blocked >= 0) {
    const until = full.ret[deadEnd.blocked] as number;
    const cut = current.filter((i) => (model.call[i] as number) <= until);
    if (cut.length < current.length && fails(cut)) current = cut;
  }
  let parts = 2;
  while (current.length >= 2) {
    if (performance.now() > deadline) return { included: mask(current), minimal: false };
    const chunk = Math.ceil(current.length / parts);
    let reduced = false;
    for (let start = 0; start < current.length; start += chunk) {
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
      if (fails(candidate)) {
        current = candidate;
        parts = Math.max(parts - 1, 2);
        reduced = true;
        break;
      }
      if (performance.now() > deadline) return { included: mask(current), minimal: false };
    }
    if (!reduced) {
      if (chunk === 1) break;
      parts = Math.min(parts * 2, current.length);
    }
  }
  return { included: mask(current), minimal: true };
}

function noteFor(model: KeyModel, i: number, treatment: Treatment, problem: KeyProblem): string | undefined {
  const op = model.ops[i] as KvOp;
  switch (treatment) {
    case Treatment.Weakened:
      return "checked as a plain write: the write its compare refers to is not in this excerpt";
    case Treatment.Dropped:
      return "not checked: the write it observed is not in this excerpt";
    case Treatment.Pruned:
      return "outcome unknown and never observed: it may not have happened";
    default:
      break;
  }
  if (op.outcome === "unknown" && op.type !== "read") {
    const k = problem.modelIndex.indexOf(i);
    const r = k >= 0 ? (problem.ret[k] as number) : Infinity;
    return r === Infinity
      ? "outcome unknown: may take effect at any time after its invoke, or never"
      : `outcome unknown, but its value was observed: it took effect by ${formatTime(r)}`;
  }
  return undefined;
}

/** Why search operation k cannot be placed next in `state`. */
function whyNot(problem: KeyProblem, k: number, state: number, blocked: number | undefined): string {
  const model = problem.model;
  const show = (id: number): string => {
    if (id === ABSENT) return "nothing (the key is absent)";
    if (id === NEVER) return "a value no write of this key put";
    return JSON.stringify(model.valueNames[id]);
  };
  const holds = `the register holds ${show(state)}`;
  const op = model.ops[problem.modelIndex[k] as number] as KvOp;
  if (problem.step(k, state) < 0) {
    switch (problem.kind[k]) {
      case OpKind.Read: {
        const read = model.value[problem.modelIndex[k] as number] as number;
        if (read === NEVER && op.type === "read" && op.outcome === "ok") {
          return `read returned ${JSON.stringify(op.result.value)}, which no write of this key put (a failed write, or a compare-and-swap whose compare failed, puts nothing)`;
        }
        return `read returned ${show(read)}, but ${holds}`;
      }
      case OpKind.CasFailed: {
        const i = problem.modelIndex[k] as number;
        const current = model.current[i] as number;
        if (current !== NO_READ && current !== state) return `compare-and-swap failed and read ${show(current)}, but ${holds}`;
        return `compare-and-swap failed, but its compare ${describeCompare(model, i)} holds: ${holds}`;
      }
      default:
        return `compare-and-swap ${op.outcome === "ok" ? "succeeded" : "would take effect"}, but its compare ${describeCompare(model, problem.modelIndex[k] as number)} does not hold: ${holds}`;
    }
  }
  if (blocked !== undefined && k !== blocked && (problem.call[k] as number) > (problem.ret[blocked] as number)) {
    return `invoked after op ${(model.ops[problem.modelIndex[blocked] as number] as KvOp).id} completed, so it cannot come before it`;
  }
  return "could take effect here, but no order of the remaining operations works after it";
}

function describeCompare(model: KeyModel, i: number): string {
  const op = model.ops[i] as KvOp;
  if (op.type !== "cas") return "";
  if (op.compare.target === "value") return `value == ${JSON.stringify(op.compare.value)}`;
  const e = model.expect[i] as number;
  const whose = e > 0 ? ` (the revision of ${JSON.stringify(model.valueNames[e])})` : e === UNCLAIMED ? " (a revision no observation ties to a value)" : "";
  return `mod_revision == ${op.compare.modRevision}${whose}`;
}

export function formatTime(t: number): string {
  return Number.isInteger(t) ? String(t) : t.toFixed(3);
}
