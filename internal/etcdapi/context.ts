import type { Logger } from "../observability/index.js";
import type { RaftNode } from "../raftnode/index.js";
import { errors } from "./errors.js";
import type { InternalRequest, KvStateMachine } from "./state.js";
import { AlarmAction, AlarmType, encodeInternalRequest } from "./state.js";

/** gRPC framing and headers beyond a request itself, which etcd allows on top of --max-request-bytes. */
export const grpcOverheadBytes = 512 * 1024;

export interface Limits {
  /** Largest request accepted, in bytes (etcd's --max-request-bytes). */
  readonly maxRequestBytes: number;
  /** Most operations in one txn (etcd's --max-txn-ops). */
  readonly maxTxnOps: number;
  /** Store size that raises the NOSPACE alarm (etcd's --quota-backend-bytes). */
  readonly quotaBytes: number;
}

export interface ResponseHeader {
  readonly clusterId: number;
  readonly memberId: number;
  readonly revision: number;
  readonly raftTerm: number;
}

/** What every gRPC service of a KV member needs: identity, raft, the state machine, limits. */
export class ServerContext {
  private cleanups: (() => void)[] = [];

  constructor(
    readonly memberId: number,
    readonly clusterId: number,
    /** etcd's --initial-cluster-token: part of new members' ids. */
    readonly clusterToken: string,
    readonly node: RaftNode,
    readonly sm: KvStateMachine,
    readonly limits: Limits,
    readonly logger: Logger,
    /** Test only: answer linearizable reads from local state, skipping ReadIndex. */
    private readonly unsafeLocalReads = false,
  ) {}

  /** Run fn when the server closes (services stop their timers and clients here). */
  onClose(fn: () => void): void {
    this.cleanups.push(fn);
  }

  close(): void {
    for (const fn of this.cleanups.splice(0)) fn();
  }

  header(revision: number = this.sm.store.currentRevision): ResponseHeader {
    return { clusterId: this.clusterId, memberId: this.memberId, revision, raftTerm: this.node.currentTerm() };
  }

  /** Replicate a request and resolve with its result once applied here (errors reject). */
  async propose(req: InternalRequest): Promise<unknown> {
    const payload = encodeInternalRequest(req);
    if (payload.length > this.limits.maxRequestBytes) throw errors.requestTooLarge();
    return this.node.propose(payload);
  }

  /**
   * Refuse a write that would take the store past its quota, raising the NOSPACE alarm (through
   * raft, so every member refuses writes until `alarm disarm`), as etcd does.
   */
  async checkQuota(cost: number): Promise<void> {
    if (this.sm.hasAlarm(AlarmType.NOSPACE)) throw errors.noSpace();
    if (this.sm.store.sizeBytes() + cost <= this.limits.quotaBytes) return;
    await this.propose({
      request: "alarm",
      alarm: { action: AlarmAction.ACTIVATE, memberID: this.memberId, alarm: AlarmType.NOSPACE },
    });
    throw errors.noSpace();
  }

  /** Wait until this member has applied everything committed before the call (ReadIndex). */
  linearizableRead(): Promise<void> {
    if (this.unsafeLocalReads) return Promise.resolve();
    return this.node.readIndex();
  }
}
