import type { CasCompare, CasOp, KvOp, ReadOp, WriteOp } from "../history.js";

/**
 * Hand-made histories for the checkers' tests, one line per operation:
 *
 *   const h = new HistoryBuilder();
 *   h.write(1, [0, 10], "a", { revision: 2 });
 *   h.read(2, [12, 14], "a", { modRevision: 2, revision: 2 });
 *
 * Times are [invoke, complete]; the key is "x" unless given; ids count from 1.
 */

type Span = readonly [number, number];

interface Common {
  readonly key?: string;
  readonly member?: string;
}

export class HistoryBuilder {
  readonly ops: KvOp[] = [];
  private nextId = 1;

  read(process: number, [invoke, complete]: Span, value: string | null, o: Common & { modRevision?: number; revision?: number } = {}): ReadOp {
    const result = { value, ...(o.modRevision === undefined ? {} : { modRevision: o.modRevision }), ...(o.revision === undefined ? {} : { revision: o.revision }) };
    return this.push({ ...this.base(process, invoke, o), type: "read", outcome: "ok", complete, result });
  }

  /** A read that timed out. */
  readUnknown(process: number, invoke: number, o: Common = {}): ReadOp {
    return this.push({ ...this.base(process, invoke, o), type: "read", outcome: "unknown", error: "timeout" });
  }

  write(process: number, [invoke, complete]: Span, value: string, o: Common & { revision?: number } = {}): WriteOp {
    const result = o.revision === undefined ? {} : { revision: o.revision };
    return this.push({ ...this.base(process, invoke, o), type: "write", value, outcome: "ok", complete, result });
  }

  /** A write with no answer: it may take effect any time after invoke, or never. */
  writeUnknown(process: number, invoke: number, value: string, o: Common = {}): WriteOp {
    return this.push({ ...this.base(process, invoke, o), type: "write", value, outcome: "unknown", error: "timeout" });
  }

  /** A write the client was told certainly did not happen. */
  writeFailed(process: number, [invoke, complete]: Span, value: string, o: Common = {}): WriteOp {
    return this.push({ ...this.base(process, invoke, o), type: "write", value, outcome: "failed", complete, error: "unavailable" });
  }

  /**
   * A compare-and-swap. `expect` is a value, or { modRevision }. `result`: true (succeeded),
   * false (compare failed, no failure-branch read), { current } (compare failed, and the
   * failure branch read this), or "unknown".
   */
  cas(
    process: number,
    [invoke, complete]: Span,
    expect: string | { readonly modRevision: number },
    value: string,
    result: boolean | "unknown" | { readonly current: string | null; readonly modRevision?: number },
    o: Common & { revision?: number } = {},
  ): CasOp {
    const compare: CasCompare = typeof expect === "string" ? { target: "value", value: expect } : { target: "modRevision", modRevision: expect.modRevision };
    const head = { ...this.base(process, invoke, o), type: "cas" as const, compare, value };
    if (result === "unknown") return this.push({ ...head, outcome: "unknown", error: "timeout" });
    const revision = o.revision === undefined ? {} : { revision: o.revision };
    if (typeof result === "boolean") return this.push({ ...head, outcome: "ok", complete, result: { succeeded: result, ...revision } });
    const current = { value: result.current, ...(result.modRevision === undefined ? {} : { modRevision: result.modRevision }) };
    return this.push({ ...head, outcome: "ok", complete, result: { succeeded: false, current, ...revision } });
  }

  private base(process: number, invoke: number, o: Common): { id: number; process: number; key: string; invoke: number; member?: string } {
    const base = { id: this.nextId++, process, key: o.key ?? "x", invoke };
    return o.member === undefined ? base : { ...base, member: o.member };
  }

  private push<T extends KvOp>(op: T): T {
    this.ops.push(op);
    return op;
  }
}
