import { Prng } from "../../sim/prng.js";

/**
 * The linearizability search of Wing and Gong, with Lowe's memoisation: a depth-first search
 * for a sequential order of the operations that respects real time (an operation that
 * returned before another was invoked comes first) and that the model accepts. It keeps the
 * operations' call and return events in one time-ordered list; an operation may be taken
 * next only if its call comes before the first return still in the list (no pending operation
 * must have finished before it started). Taking it removes its two events; backtracking puts
 * them back. Reaching a return event means that operation can no longer be placed on this
 * path: back up one step. A set of (operations taken, model state) already explored prunes
 * every path that reaches the same configuration again.
 *
 * The model is abstract here: a state is a small integer and `step` says what an operation
 * does to it. Operations with an infinite return time are optional (their outcome is
 * unknown): they may be placed at any point after their call, or never.
 *
 * Four prunings keep chaos-sized histories (thousands of operations per key, dozens
 * concurrent, many unknown outcomes) to about one pass, each sound because some order it
 * keeps works whenever any order works (the differential test checks them against the
 * definition):
 * - after an optional operation, no blind write (it would hide it: drop the optional one);
 * - an operation that leaves the state as it was goes first in some completion if any
 *   exists, so when it fails, the configuration it was placed in fails too (no trying
 *   every subset of concurrent reads of one value);
 * - lazy operations (see SearchInput.lazy) are kept out of the event list and tried only
 *   at a dead end where a consumer could not go next, one of each kind;
 * - lazy operations are left out of the configurations' hash, which record instead how many
 *   lazy blind writes were used: reaching a configuration again with no fewer is pruned.
 */

export interface SearchInput {
  readonly size: number;
  /** Call time of each operation. */
  readonly call: Float64Array;
  /** Return time of each operation; Infinity for an optional one. */
  readonly ret: Float64Array;
  /**
   * 1 for an operation that sets the state without reading it. Placing one right after an
   * optional operation is pointless (the optional one could as well not have happened), so
   * the search skips that order; it is what keeps many unknown writes from exploding.
   */
  readonly blind: Uint8Array;
  /**
   * 1 for an optional operation whose resulting state no operation can tell apart from any
   * other lazy operation's (an unknown write nobody observed), so that it can only matter if
   * a consumer comes right after it (it can only explain why a compare failed).
   */
  readonly lazy: Uint8Array;
  /** 1 for an operation a lazy one can matter to. */
  readonly consumer: Uint8Array;
  /**
   * For a lazy operation that is not blind: the one state it can take effect in, or -1 if it
   * may in several (or -2 if in none). The state it takes effect in is never seen again (a
   * state is one write's value), which is what makes its identity forgettable once placed.
   */
  readonly guard: Int32Array;
  readonly initial: number;
  /** The state after operation `op` in `state`, or -1 if it cannot happen there. States are ≥ 0. */
  step(op: number, state: number): number;
}

export interface SearchLimits {
  readonly maxSteps: number;
  /** performance.now() value past which the search gives up. */
  readonly deadline: number;
  /** Keep the order of the deepest dead end (costly on long histories; for reports). */
  readonly recordDeepest: boolean;
}

/** The furthest the search got before it had to back up. */
export interface DeadEnd {
  /** Operations placed. */
  readonly depth: number;
  /** The operation whose return was reached while it was still unplaced. */
  readonly blocked: number;
  /** With recordDeepest: the operations placed, in order, and the state they led to. */
  readonly order?: readonly number[];
  readonly state?: number;
}

export type SearchOutcome =
  | { readonly verdict: "ok"; readonly steps: number; readonly order: readonly number[] }
  | { readonly verdict: "violation" | "unknown"; readonly steps: number; readonly deadEnd: DeadEnd | undefined };

const HEAD = 0;
/** Flags of a configuration on the path: its lazy candidates were all tried; */
const LAZIES_TRIED = 1;
/** the operation placed next left the state unchanged; */
const PRESERVES = 2;
/** a consumer that could not go next was passed before it. */
const STUCK_CONSUMER = 4;
const TIME_CHECK_MASK = 0xfff;
/** Fixed, so that a search replays exactly; the values only need to look random. */
const ZOBRIST_SEED = 0x2545f491;

export function search(input: SearchInput, limits: SearchLimits): SearchOutcome {
  const n = input.size;
  const { call, ret, blind, lazy, consumer, guard } = input;

  // Events 1..m in time order; 0 is the head; -1 ends the list. At equal times calls go
  // first, so operations that touch in time count as concurrent: the lenient reading.
  // Lazy operations stay out of the list.
  const events: number[] = [];
  const blindLazies: number[] = [];
  const guarded = new Map<number, number[]>();
  let required = 0;
  for (let op = 0; op < n; op++) {
    if (lazy[op] === 1) {
      if (blind[op] === 1) blindLazies.push(op);
      else if ((guard[op] as number) !== -2) {
        const list = guarded.get(guard[op] as number);
        if (list === undefined) guarded.set(guard[op] as number, [op]);
        else list.push(op);
      }
      continue;
    }
    events.push(op * 2);
    if (ret[op] !== Infinity) {
      events.push(op * 2 + 1);
      required++;
    }
  }
  const timeOf = (e: number): number => ((e & 1) === 0 ? (call[e >> 1] as number) : (ret[e >> 1] as number));
  events.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);
  blindLazies.sort((a, b) => (call[a] as number) - (call[b] as number) || a - b);
  const anyLazy = blindLazies.length > 0 || guarded.size > 0;
  const m = events.length;
  const next = new Int32Array(m + 1);
  const prev = new Int32Array(m + 1);
  const eventOp = new Int32Array(m + 1);
  const isReturn = new Uint8Array(m + 1);
  const callEvent = new Int32Array(n);
  const returnEvent = new Int32Array(n).fill(-1);
  for (let i = 1; i <= m; i++) {
    const e = events[i - 1] as number;
    const op = e >> 1;
    eventOp[i] = op;
    isReturn[i] = e & 1;
    if ((e & 1) === 0) callEvent[op] = i;
    else returnEvent[op] = i;
    prev[i] = i - 1;
    next[i - 1] = i;
  }
  next[m] = -1;

  const unlink = (e: number): void => {
    next[prev[e] as number] = next[e] as number;
    if (next[e] !== -1) prev[next[e] as number] = prev[e] as number;
  };
  const relink = (e: number): void => {
    next[prev[e] as number] = e;
    if (next[e] !== -1) prev[next[e] as number] = e;
  };

  const rng = new Prng(ZOBRIST_SEED);
  const zobrist1 = new Int32Array(n);
  const zobrist2 = new Int32Array(n);
  for (let op = 0; op < n; op++) {
    zobrist1[op] = rng.nextU32() | 0;
    zobrist2[op] = rng.nextU32() | 0;
  }
  // Lazy operations stay out of the hash, and the states they leave (values nobody observed)
  // all get one tag. Blind ones are interchangeable: configurations record how many were used
  // (fewer is better: more remain). A guarded one takes effect in a state that never comes
  // back, so once placed, whether it was is irrelevant. Without this, every combination of
  // them used multiplies the configurations a failing history must exhaust. Lazy operations
  // that may take effect in several states (guard -1) are rare and keep their identity.
  const garbage = new Set<number>();
  for (let op = 0; op < n; op++) {
    if (lazy[op] === 1 && (blind[op] === 1 || (guard[op] as number) >= 0)) {
      zobrist1[op] = 0;
      zobrist2[op] = 0;
    }
  }
  for (const op of blindLazies) garbage.add(input.step(op, input.initial));
  const tagOf = (state: number, optional: number): number => (garbage.has(state) ? 1 + optional : 3 + state * 2 + optional);
  const seen = new ConfigurationSet();

  // The path: each operation placed, the state and flags before it, and for a lazy one the
  // dead end (return event) it was tried at and its position among the lazy candidates.
  const stackOp = new Int32Array(n);
  const stackState = new Int32Array(n);
  const stackFlags = new Uint8Array(n);
  const stackTrigger = new Int32Array(n);
  const stackLazyAt = new Int32Array(n);
  let depth = 0;
  let state = input.initial;
  // The last operation placed is optional: a blind write may not come next.
  let afterOptional = 0;
  // In this configuration, the lazy candidates were all tried.
  let laziesTried = 0;
  // In this pass over the events, a consumer could not go next: lazy operations may help.
  let stuckConsumer = 0;
  // ≥ 0 while trying the lazy candidates (from this position) at the dead end `entry`.
  let lazyAt = -1;
  const candidates: number[] = [];
  const placedLazy = new Uint8Array(n);
  // Lazy blind writes are interchangeable: each is unobserved, its revision unknown, and once
  // called it stays available. So only the earliest unplaced one is ever tried, which keeps
  // the placed ones a prefix of blindLazies (and the memoisation effective).
  let blindPlaced = 0;
  let h1 = 0;
  let h2 = 0;
  let steps = 0;
  let deadEnd: DeadEnd | undefined;
  let entry = next[HEAD] as number;

  /** The lazy operations that may go next at dead end `end` (the first pending return). */
  const gatherCandidates = (end: number): void => {
    // Operations called by the first pending return can go next.
    const frontier = end === -1 ? Infinity : (ret[eventOp[end] as number] as number);
    candidates.length = 0;
    // One blind one (the earliest unplaced), one guarded by this state (they are alike too),
    // and every one that may take effect in several states.
    const first = blindLazies[blindPlaced];
    if (first !== undefined && (call[first] as number) <= frontier) candidates.push(first);
    const mine = guarded.get(state) ?? [];
    const alike = mine.find((op) => placedLazy[op] === 0 && (call[op] as number) <= frontier);
    if (alike !== undefined) candidates.push(alike);
    for (const op of guarded.get(-1) ?? []) if (placedLazy[op] === 0 && (call[op] as number) <= frontier) candidates.push(op);
  };

  const place = (op: number, after: number, g1: number, g2: number, optional: number): void => {
    stackOp[depth] = op;
    stackState[depth] = state * 2 + afterOptional;
    stackFlags[depth] = laziesTried | stuckConsumer | (after === state ? PRESERVES : 0);
    stackTrigger[depth] = entry;
    stackLazyAt[depth] = lazyAt;
    depth++;
    h1 = g1;
    h2 = g2;
    state = after;
    afterOptional = optional;
    laziesTried = 0;
    stuckConsumer = 0;
    lazyAt = -1;
    entry = next[HEAD] as number;
  };

  while (required > 0) {
    steps++;
    if (steps > limits.maxSteps || ((steps & TIME_CHECK_MASK) === 0 && performance.now() > limits.deadline)) {
      return { verdict: "unknown", steps, deadEnd };
    }
    if (lazyAt >= 0) {
      if (lazyAt >= candidates.length) {
        // Every lazy candidate was tried here: this configuration is a dead end.
        lazyAt = -1;
        laziesTried = LAZIES_TRIED;
        continue;
      }
      const op = candidates[lazyAt] as number;
      const after = afterOptional === 1 && blind[op] === 1 ? -1 : input.step(op, state);
      if (after >= 0) {
        garbage.add(after);
        const g1 = h1 ^ (zobrist1[op] as number);
        const g2 = h2 ^ (zobrist2[op] as number);
        if (seen.add(g1, g2, tagOf(after, 1), blindPlaced + (blind[op] as number))) {
          placedLazy[op] = 1;
          if (blind[op] === 1) blindPlaced++;
          place(op, after, g1, g2, 1);
          continue;
        }
      }
      lazyAt++;
      continue;
    }
    if (entry !== -1 && isReturn[entry] === 0) {
      const op = eventOp[entry] as number;
      const optional = ret[op] === Infinity ? 1 : 0;
      const after = afterOptional === 1 && blind[op] === 1 ? -1 : input.step(op, state);
      // Only a consumer that cannot go next here needs a lazy operation in front of it: one
      // that can goes first in some completion if any completion exists (see below).
      if (after < 0 && consumer[op] === 1) stuckConsumer = STUCK_CONSUMER;
      if (after >= 0) {
        const g1 = h1 ^ (zobrist1[op] as number);
        const g2 = h2 ^ (zobrist2[op] as number);
        if (seen.add(g1, g2, tagOf(after, optional), blindPlaced)) {
          unlink(callEvent[op] as number);
          if (optional === 0) {
            unlink(returnEvent[op] as number);
            required--;
          }
          place(op, after, g1, g2, optional);
          continue;
        }
      }
      entry = next[entry] as number;
      continue;
    }
    // A return (or, defensively, the end of the list): no operation can go next without
    // help. Lazy operations come last, so that the search reaches each configuration first
    // with as few of them used as it can, and rarely has to explore one again.
    if (stuckConsumer !== 0 && laziesTried === 0 && anyLazy) {
      gatherCandidates(entry);
      lazyAt = 0;
      continue;
    }
    // This path cannot be completed.
    if (deadEnd === undefined || depth > deadEnd.depth) {
      const blocked = entry === -1 ? -1 : (eventOp[entry] as number);
      deadEnd = limits.recordDeepest
        ? { depth, blocked, order: Array.from(stackOp.subarray(0, depth)), state }
        : { depth, blocked };
    }
    // Back up. An operation that left the state as it was (a read, a failed compare) could
    // have gone first in any completion of the configuration it was placed in: it was a
    // candidate there, so nothing pending had to precede it, and it changed nothing for the
    // others (a lazy operation that preceded it in a completion can follow it instead, or
    // be dropped). Its failure is that configuration's failure, so back up past it too. This
    // is what keeps many concurrent reads of one value from costing every subset of them.
    let flags: number;
    do {
      if (depth === 0) return { verdict: "violation", steps, deadEnd };
      depth--;
      const op = stackOp[depth] as number;
      const saved = stackState[depth] as number;
      flags = stackFlags[depth] as number;
      state = saved >> 1;
      afterOptional = saved & 1;
      h1 ^= zobrist1[op] as number;
      h2 ^= zobrist2[op] as number;
      laziesTried = flags & LAZIES_TRIED;
      stuckConsumer = flags & STUCK_CONSUMER;
      entry = stackTrigger[depth] as number;
      if (lazy[op] === 1) {
        // Back to the lazy candidates at the same dead end, after this one.
        placedLazy[op] = 0;
        if (blind[op] === 1) blindPlaced--;
        gatherCandidates(entry);
        lazyAt = (stackLazyAt[depth] as number) + 1;
        continue;
      }
      if (ret[op] !== Infinity) {
        relink(returnEvent[op] as number);
        required++;
      }
      relink(callEvent[op] as number);
      entry = next[callEvent[op] as number] as number;
      lazyAt = -1;
    } while ((flags & PRESERVES) !== 0);
  }
  return { verdict: "ok", steps, order: Array.from(stackOp.subarray(0, depth)) };
}

/**
 * Configurations seen: (64-bit Zobrist hash of the set of operations placed, state tag) →
 * the fewest lazy blind writes used to get there, in an open-addressing table. Sets are
 * compared by hash only; two different sets with one state collide with probability about
 * 2^-64 per pair, which could only make the search miss an order (a false alarm), never
 * accept a bad history.
 */
class ConfigurationSet {
  private slots = new Int32Array(4 * 1024);
  private mask = 1023;
  private count = 0;

  /** False if already seen with as few lazy writes used (nothing new to explore). */
  add(h1: number, h2: number, tag: number, used: number): boolean {
    if (this.count * 2 >= this.mask) this.grow();
    return this.insert(h1, h2, tag, used);
  }

  private insert(h1: number, h2: number, tag: number, used: number): boolean {
    const slots = this.slots;
    let i = (h1 ^ Math.imul(tag, 0x9e3779b1)) & this.mask;
    for (;;) {
      const at = i * 4;
      const t = slots[at + 2] as number;
      if (t === 0) {
        slots[at] = h1;
        slots[at + 1] = h2;
        slots[at + 2] = tag;
        slots[at + 3] = used;
        this.count++;
        return true;
      }
      if (t === tag && slots[at] === h1 && slots[at + 1] === h2) {
        if ((slots[at + 3] as number) <= used) return false;
        slots[at + 3] = used;
        return true;
      }
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.mask = this.mask * 2 + 1;
    this.slots = new Int32Array(4 * (this.mask + 1));
    this.count = 0;
    for (let at = 0; at < old.length; at += 4) {
      const tag = old[at + 2] as number;
      if (tag !== 0) this.insert(old[at] as number, old[at + 1] as number, tag, old[at + 3] as number);
    }
  }
}
