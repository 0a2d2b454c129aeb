import type { ServerContext } from "../etcdapi/index.js";
import type { Logger } from "../observability/index.js";

/**
 * etcd's --auto-compaction-retention on the leader. Periodic mode keeps `retention`
 * milliseconds of history: it samples the revision every tenth of the retention and compacts to
 * the revision seen one retention ago. Revision mode keeps the last `retention` revisions,
 * checking every five minutes. Compactions go through raft like `etcdctl compaction`.
 */
export class AutoCompactor {
  private timer: NodeJS.Timeout | undefined;
  private samples: { at: number; revision: number }[] = [];
  private lastCompacted = 0;

  constructor(
    private readonly ctx: ServerContext,
    private readonly mode: "periodic" | "revision",
    private readonly retention: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.retention <= 0) return;
    const every = this.mode === "periodic" ? Math.max(1000, Math.floor(this.retention / 10)) : 5 * 60_000;
    this.timer = setInterval(() => this.tick(), every);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The revision to compact to now, or 0 when nothing is due. */
  due(): number {
    const current = this.ctx.sm.store.currentRevision;
    if (this.mode === "revision") return Math.max(0, current - this.retention);
    const t = this.now();
    this.samples.push({ at: t, revision: current });
    let target = 0;
    while (this.samples.length > 0 && (this.samples[0]?.at ?? t) <= t - this.retention) {
      target = this.samples.shift()?.revision ?? target;
    }
    return target;
  }

  private tick(): void {
    const target = this.due();
    if (!this.ctx.node.isLeader() || target <= Math.max(this.lastCompacted, this.ctx.sm.store.compactRevision)) return;
    this.lastCompacted = target;
    this.ctx.propose({ request: "compaction", compaction: { revision: target } }).then(
      () => this.logger.info({ revision: target }, "auto-compaction done"),
      (err: unknown) => this.logger.warn({ err, revision: target }, "auto-compaction failed"),
    );
  }
}
