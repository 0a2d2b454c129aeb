import type { Message } from "./types.js";
import { bytesKey } from "./util.js";

interface ReadIndexStatus {
  readonly req: Message;
  readonly index: number;
  readonly acks: Set<number>;
}

/**
 * ReadIndex requests waiting for the leader to confirm, by a round of heartbeats carrying the
 * request's context, that it was still leader when the request arrived (Raft thesis §6.4).
 */
export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** Remember a request, to be answered with `index` (the commit index when it arrived). */
  addRequest(index: number, req: Message): void {
    const key = bytesKey(req.entries[0]?.data ?? new Uint8Array(0));
    if (this.pending.has(key)) return;
    this.pending.set(key, { req, index, acks: new Set() });
    this.queue.push(key);
  }

  /** A heartbeat response carrying ctx came from id; returns who has acked that request. */
  recvAck(id: number, ctx: Uint8Array): ReadonlySet<number> | undefined {
    const rs = this.pending.get(bytesKey(ctx));
    if (!rs) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** The request with ctx is confirmed: it and every request queued before it are answered. */
  advance(ctx: Uint8Array): ReadIndexStatus[] {
    const key = bytesKey(ctx);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const rs = this.pending.get(k);
      if (rs) out.push(rs);
      this.pending.delete(k);
    }
    return out;
  }

  lastPendingRequestCtx(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    if (key === undefined) return undefined;
    return this.pending.get(key)?.req.entries[0]?.data;
  }

  reset(): void {
    this.pending = new Map();
    this.queue = [];
  }
}
