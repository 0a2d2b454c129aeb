/**
 * Compaction of the store's history, as kube-apiserver does it: every interval each API server
 * replica tries a compare-and-swap on the version of `compact_rev_key`; the one that wins
 * compacts to the revision it saw one interval earlier, so the store keeps at least one
 * interval of history (what watches resuming from a recent resourceVersion need), and several
 * replicas compact once per interval between them.
 */
import { CompareResult, CompareTarget } from "../mvcc/index.js";
import type { KvBackend } from "./backend.js";

/** kube-apiserver's key, so raftplane and kube-apiserver sharing an etcd agree on turns. */
export const compactRevisionKey = "compact_rev_key";

export interface CompactorOptions {
  /** Time between attempts, in ms; kube's default is 5 minutes. */
  readonly intervalMs: number;
  /** Told about failures (the next tick retries). */
  readonly onError?: (err: Error) => void;
  /** Told about each compaction done by this replica. */
  readonly onCompacted?: (revision: number) => void;
}

export class Compactor {
  /** The version of compact_rev_key this replica last saw. */
  private version = 0;
  /** The store revision at the last tick: the next compaction's target. */
  private revision = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly key = new TextEncoder().encode(compactRevisionKey);

  constructor(
    private readonly backend: KvBackend,
    private readonly options: CompactorOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.tick().catch((err: unknown) => this.options.onError?.(err as Error));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One attempt: take the turn if nobody took it since our last look, then compact. */
  async tick(): Promise<void> {
    const r = await this.backend.txn(
      {
        compare: [{ key: this.key, target: CompareTarget.VERSION, result: CompareResult.EQUAL, version: this.version }],
        success: [{ requestPut: { key: this.key, value: new TextEncoder().encode(String(this.revision)) } }],
        failure: [{ requestRange: { key: this.key } }],
      },
      false,
    );
    const target = this.revision;
    this.revision = r.revision;
    if (!r.succeeded) {
      // another replica took this turn: remember where the key is now
      this.version = r.ranges[0]?.kvs[0]?.version ?? 0;
      return;
    }
    this.version++;
    if (target === 0) return; // nothing to compact on the first turn
    await this.backend.compact(target);
    this.options.onCompacted?.(target);
  }
}
