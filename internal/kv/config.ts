import type { LogLevel } from "../observability/index.js";

export interface ClusterMemberSpec {
  readonly name: string;
  readonly peerUrls: readonly string[];
}

/** A validated `raftplane kv` configuration. */
export interface KvConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClientUrls: readonly string[];
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeerUrls: readonly string[];
  readonly initialAdvertisePeerUrls: readonly string[];
  readonly initialCluster: readonly ClusterMemberSpec[];
  readonly initialClusterState: "new" | "existing";
  readonly initialClusterToken: string;
  readonly snapshotCount: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly quotaBackendBytes: number;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  /** 0 disables; milliseconds in periodic mode, revisions in revision mode. */
  readonly autoCompactionRetention: number;
  readonly autoCompactionMode: "periodic" | "revision";
  readonly logLevel: LogLevel;
  /** Test only: linearizable reads skip ReadIndex (see `--unsafe-local-reads`). */
  readonly unsafeLocalReads?: boolean;
}

