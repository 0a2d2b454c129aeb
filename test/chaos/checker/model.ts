import type { CasOp, KvOp, WriteOp } from "../history.js";
import { HistoryFormatError } from "../history.js";
import type { SearchInput } from "./search.js";

/**
 * One key as a register: its state is the value it holds (or none), and since each write puts
 * a value unique to the key, a state is just the write that made it: 0 for "absent", else a
 * value id. Revisions come from what the history observed (`RevisionClaims`), so that a
 * compare on mod_revision can be judged without making the revision part of the state.
 */

export const OpKind = {
  Read: 0,
  Write: 1,
  /** A compare-and-swap that answered "succeeded". */
  CasSucceeded: 2,
  /** A compare-and-swap that answered "compare failed". */
  CasFailed: 3,
  /** A compare-and-swap with unknown outcome: it took effect (the compare held) or never did. */
  CasUnknown: 4,
} as const;
export type OpKind = (typeof OpKind)[keyof typeof OpKind];

/** The state of a key that does not exist: initially, and what mod_revision 0 compares with. */
export const ABSENT = 0;
/** A value no write of this key put (or a revision of another key's write): no state has it. */
export const NEVER = -2;
/** A mod_revision that no observation ties to a value of this key. */
export const UNCLAIMED = -3;
/** No failure-branch read was recorded. */
export const NO_READ = -1;

/** A write or compare-and-swap that may have put its value: not failed, nor answered "compare failed". */
export function mayHaveWritten(op: KvOp): op is WriteOp | CasOp {
  if (op.type === "read" || op.outcome === "failed") return false;
  return op.type === "write" || op.outcome === "unknown" || op.result.succeeded;
}

/** Revision → the (key, value) some observation says was put at it; the first observation wins. */
export type RevisionClaims = ReadonlyMap<number, { readonly key: string; readonly value: string }>;

/**
 * Every revision the history ties to a written value: a write's or successful compare-and-
 * swap's own revision, and the mod_revision a read (or failure-branch read) returned with a
 * value. Contradictions among them are the revision checker's business.
 */
export function revisionClaims(ops: readonly KvOp[]): Map<number, { key: string; value: string }> {
  const written = new Set<string>();
  for (const op of ops) {
    if (mayHaveWritten(op)) written.add(`${op.key}\u0000${op.value}`);
  }
  const claims = new Map<number, { key: string; value: string }>();
  const claim = (key: string, value: string | null, revision: number | undefined): void => {
    if (value === null || revision === undefined || claims.has(revision)) return;
    if (written.has(`${key}\u0000${value}`)) claims.set(revision, { key, value });
  };
  for (const op of ops) {
    if (op.outcome !== "ok") continue;
    if (op.type === "read") claim(op.key, op.result.value, op.result.modRevision);
    else if (op.type === "write") claim(op.key, op.value, op.result.revision);
    else if (op.result.succeeded) claim(op.key, op.value, op.result.revision);
    else if (op.result.current !== undefined) claim(op.key, op.result.current.value, op.result.current.modRevision);
  }
  return claims;
}

/** What became of a recorded operation in one excerpt of a key's history. */
export const Treatment = {
  /** Checked as recorded. */
  Kept: 0,
  /** Its compare is not checked (the write it depends on is outside the excerpt): a plain write. */
  Weakened: 1,
  /** Not checked at all: what it observed was written by an operation outside the excerpt. */
  Dropped: 2,
  /** An unknown write nobody observed, which cannot matter: left out of the search. */
  Pruned: 3,
} as const;
export type Treatment = (typeof Treatment)[keyof typeof Treatment];

/** A key's history prepared for the search, with the ability to cut excerpts from it. */
export class KeyModel {
  readonly key: string;
  /** The operations that can matter (failed ones and unknown reads are left out), by invoke. */
  readonly ops: readonly KvOp[];
  readonly call: Float64Array;
  /** Return times; Infinity for an unknown outcome. */
  readonly ret: Float64Array;
  readonly kind: Uint8Array;
  /** Read: the value id returned (ABSENT, NEVER). Writes: the value id put. */
  readonly value: Int32Array;
  /** Compare-and-swap: the value id its compare wants (ABSENT, NEVER, UNCLAIMED). */
  readonly expect: Int32Array;
  /** Failed compare-and-swap: the value id its failure branch read, or NO_READ. */
  readonly current: Int32Array;
  /** The operation whose write this one depends on, or -1. */
  readonly need: Int32Array;
  /** 1 when the operation depends on whichever write the state came from (see context()). */
  readonly needsContext: Uint8Array;
  /** By value id: the value, and its revision (-1 when unknown). Id 0 is "absent". */
  readonly valueNames: readonly (string | null)[];
  readonly valueRevision: Float64Array;
  private readonly contexts = new Map<number, Int32Array>();

  constructor(key: string, keyOps: readonly KvOp[], claims: RevisionClaims) {
    this.key = key;
    const ops = keyOps
      .filter((op) => op.outcome !== "failed" && !(op.type === "read" && op.outcome === "unknown"))
      .sort((a, b) => a.invoke - b.invoke || a.id - b.id);
    this.ops = ops;
    const n = ops.length;
    this.call = new Float64Array(n);
    this.ret = new Float64Array(n);
    this.kind = new Uint8Array(n);
    this.value = new Int32Array(n);
    this.expect = new Int32Array(n).fill(NEVER);
    this.current = new Int32Array(n).fill(NO_READ);
    this.need = new Int32Array(n).fill(-1);
    this.needsContext = new Uint8Array(n);

    const ids = new Map<string, number>();
    const names: (string | null)[] = [null];
    const writerOf: number[] = [-1];
    const repeated: string[] = [];
    const puts = new Map<string, number>();
    ops.forEach((op, i) => {
      if (op.type === "read") return;
      const other = puts.get(op.value);
      if (other !== undefined) repeated.push(`ops ${other} and ${op.id} both write ${JSON.stringify(op.value)} to ${JSON.stringify(key)}: values must be unique per key`);
      puts.set(op.value, op.id);
      if (!mayHaveWritten(op)) return;
      ids.set(op.value, names.length);
      names.push(op.value);
      writerOf.push(i);
    });
    if (repeated.length > 0) throw new HistoryFormatError(repeated);
    this.valueNames = names;
    this.valueRevision = new Float64Array(names.length).fill(-1);
    for (const [revision, c] of claims) {
      const id = c.key === key ? ids.get(c.value) : undefined;
      if (id !== undefined && this.valueRevision[id] === -1) this.valueRevision[id] = revision;
    }
    const idOf = (value: string | null): number => (value === null ? ABSENT : (ids.get(value) ?? NEVER));
    const writerOfId = (id: number): number => (id > 0 ? (writerOf[id] as number) : -1);

    ops.forEach((op, i) => {
      this.call[i] = op.invoke;
      this.ret[i] = op.outcome === "ok" ? op.complete : Infinity;
      if (op.type === "read") {
        if (op.outcome !== "ok") return;
        this.kind[i] = OpKind.Read;
        this.value[i] = idOf(op.result.value);
        this.need[i] = writerOfId(this.value[i] as number);
        return;
      }
      this.value[i] = ids.get(op.value) ?? NEVER;
      if (op.type === "write") {
        this.kind[i] = OpKind.Write;
        return;
      }
      let expect: number;
      if (op.compare.target === "value") {
        expect = idOf(op.compare.value);
        if (expect === ABSENT) expect = NEVER;
      } else if (op.compare.modRevision === 0) {
        expect = ABSENT;
      } else {
        const c = claims.get(op.compare.modRevision);
        if (c === undefined) expect = UNCLAIMED;
        else if (c.key !== key) expect = NEVER;
        else expect = idOf(c.value);
      }
      this.expect[i] = expect;
      if (op.outcome === "unknown") {
        this.kind[i] = OpKind.CasUnknown;
      } else if (op.result.succeeded) {
        this.kind[i] = OpKind.CasSucceeded;
      } else {
        this.kind[i] = OpKind.CasFailed;
        const current = op.result.current;
        if (current !== undefined) {
          this.current[i] = idOf(current.value);
          this.need[i] = writerOfId(this.current[i] as number);
          return;
        }
        this.needsContext[i] = 1;
        return;
      }
      if (expect === UNCLAIMED) this.needsContext[i] = 1;
      else this.need[i] = writerOfId(expect);
    });
  }

  get size(): number {
    return this.ops.length;
  }

  /**
   * The writes that may have made the state an operation saw, when nothing recorded says which:
   * every write invoked before the operation returned, except those surely overwritten first
   * (a write that returned before another write was invoked, which itself returned before the
   * operation was invoked). An excerpt that keeps the operation must keep all of these for the
   * operation to mean there what it meant in the whole history.
   */
  context(op: number): Int32Array {
    const cached = this.contexts.get(op);
    if (cached !== undefined) return cached;
    const { call, ret, kind } = this;
    const isWrite = (j: number): boolean => kind[j] === OpKind.Write || kind[j] === OpKind.CasSucceeded || kind[j] === OpKind.CasUnknown;
    let overwrittenBefore = -Infinity;
    for (let j = 0; j < this.size; j++) {
      if (isWrite(j) && (ret[j] as number) < (call[op] as number)) overwrittenBefore = Math.max(overwrittenBefore, call[j] as number);
    }
    const context: number[] = [];
    for (let j = 0; j < this.size; j++) {
      if (j !== op && isWrite(j) && (call[j] as number) < (ret[op] as number) && (ret[j] as number) >= overwrittenBefore) context.push(j);
    }
    const result = Int32Array.from(context);
    this.contexts.set(op, result);
    return result;
  }

  /**
   * The search problem for the excerpt of operations marked in `included` (all when absent).
   * An operation that depends on a write left out is weakened or dropped, which keeps the
   * excerpt a faithful witness: if it has no linearization, neither has the whole history.
   */
  problem(included?: Uint8Array): KeyProblem {
    const has = (j: number): boolean => included === undefined || included[j] === 1;
    const treatment = new Uint8Array(this.size).fill(Treatment.Kept);
    const chosen: number[] = [];
    const kinds: number[] = [];
    for (let i = 0; i < this.size; i++) {
      if (!has(i)) continue;
      let kind = this.kind[i] as OpKind;
      const need = this.need[i] as number;
      const faithful =
        included === undefined || ((need < 0 || has(need)) && (this.needsContext[i] === 0 || this.context(i).every(has)));
      if (!faithful) {
        if (kind === OpKind.Read || kind === OpKind.CasFailed) {
          treatment[i] = Treatment.Dropped;
          continue;
        }
        treatment[i] = Treatment.Weakened;
        kind = OpKind.Write;
      }
      chosen.push(i);
      kinds.push(kind);
    }

    // An unknown write that an answered operation observed took effect before that one
    // returned: it gets that return time and must be placed. One nobody refers to can only
    // matter by making the compare of the next operation fail (or, against an unclaimed
    // mod_revision, hold); if every failed compare recorded what it saw, and every
    // mod_revision compare names a known write, it cannot matter at all and is left out.
    const names = this.valueNames.length;
    const observedBy = new Float64Array(names).fill(Infinity);
    const referenced = new Uint8Array(names);
    let prunable = true;
    chosen.forEach((i, at) => {
      const kind = kinds[at] as OpKind;
      const observe = (id: number): void => {
        if (id > 0) observedBy[id] = Math.min(observedBy[id] as number, this.ret[i] as number);
      };
      if (kind === OpKind.Read) observe(this.value[i] as number);
      if (kind === OpKind.CasSucceeded) observe(this.expect[i] as number);
      if (kind === OpKind.CasFailed) {
        observe(this.current[i] as number);
        if (this.current[i] === NO_READ) prunable = false;
      }
      // A compare naming a value tells its state apart from other unobserved ones.
      if ((kind === OpKind.CasUnknown || kind === OpKind.CasFailed) && (this.expect[i] as number) > 0) referenced[this.expect[i] as number] = 1;
      if (kind !== OpKind.Read && kind !== OpKind.Write && this.expect[i] === UNCLAIMED) prunable = false;
    });

    // Otherwise it is lazy: it can only matter right before a compare that depends on it.
    // (Nobody observed it, so its revision is unknown, unless claimed in the whole history.)
    const modelIndex: number[] = [];
    const ret: number[] = [];
    const effectiveKind: number[] = [];
    const lazy: number[] = [];
    chosen.forEach((i, at) => {
      const kind = kinds[at] as OpKind;
      let r = this.ret[i] as number;
      let unseen = false;
      const id = this.value[i] as number;
      if (r === Infinity && kind !== OpKind.Read) {
        if ((observedBy[id] as number) < Infinity) r = observedBy[id] as number;
        else if (referenced[id] === 0) unseen = true;
      }
      if (unseen && prunable) {
        treatment[i] = Treatment.Pruned;
        return;
      }
      modelIndex.push(i);
      ret.push(r);
      effectiveKind.push(kind);
      // Lazy ones must be alike: a revision known (from outside an excerpt) sets one apart.
      lazy.push(unseen && (this.valueRevision[id] as number) < 0 ? 1 : 0);
    });
    return new KeyProblem(this, Int32Array.from(modelIndex), Float64Array.from(ret), Uint8Array.from(effectiveKind), Uint8Array.from(lazy), treatment);
  }
}

/** One excerpt of a key's history, as the search sees it. */
export class KeyProblem implements SearchInput {
  readonly size: number;
  readonly call: Float64Array;
  readonly blind: Uint8Array;
  readonly consumer: Uint8Array;
  readonly guard: Int32Array;
  readonly initial = ABSENT;
  private readonly value: Int32Array;
  private readonly expect: Int32Array;
  private readonly current: Int32Array;
  private readonly revision: Float64Array;

  constructor(
    readonly model: KeyModel,
    /** Search operation → index of the operation in the model. */
    readonly modelIndex: Int32Array,
    readonly ret: Float64Array,
    /** The kind each operation is checked as (a weakened compare-and-swap is a Write). */
    readonly kind: Uint8Array,
    readonly lazy: Uint8Array,
    /** By model index: what the excerpt did with each operation. */
    readonly treatment: Uint8Array,
  ) {
    const n = modelIndex.length;
    this.size = n;
    this.call = new Float64Array(n);
    this.blind = new Uint8Array(n);
    this.consumer = new Uint8Array(n);
    this.guard = new Int32Array(n).fill(-1);
    this.value = new Int32Array(n);
    this.expect = new Int32Array(n);
    this.current = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const i = modelIndex[k] as number;
      this.call[k] = model.call[i] as number;
      this.blind[k] = kind[k] === OpKind.Write ? 1 : 0;
      this.value[k] = model.value[i] as number;
      this.expect[k] = model.expect[i] as number;
      this.current[k] = model.current[i] as number;
      const cas = kind[k] !== OpKind.Read && kind[k] !== OpKind.Write;
      this.consumer[k] = cas && (this.expect[k] === UNCLAIMED || (kind[k] === OpKind.CasFailed && this.current[k] === NO_READ)) ? 1 : 0;
      // A compare-and-swap that takes effect needs the state its compare names.
      if (cas && this.expect[k] !== UNCLAIMED) this.guard[k] = this.expect[k] === NEVER ? -2 : (this.expect[k] as number);
    }
    this.revision = model.valueRevision;
  }

  /** The compare of compare-and-swap `op` in `state`: 0 false, 1 true, 2 can't tell. */
  compare(op: number, state: number): 0 | 1 | 2 {
    const e = this.expect[op] as number;
    if (e !== UNCLAIMED) return e === state ? 1 : 0;
    // Revisions are unique, so a state whose revision is known would have claimed this one.
    return state !== ABSENT && (this.revision[state] as number) < 0 ? 2 : 0;
  }

  step(op: number, state: number): number {
    switch (this.kind[op]) {
      case OpKind.Read:
        return this.value[op] === state ? state : -1;
      case OpKind.Write:
        return this.value[op] as number;
      case OpKind.CasFailed: {
        if (this.compare(op, state) === 1) return -1;
        const current = this.current[op] as number;
        return current === NO_READ || current === state ? state : -1;
      }
      default:
        // Succeeded, or unknown and placed: the compare held.
        return this.compare(op, state) === 0 ? -1 : (this.value[op] as number);
    }
  }
}
