import { Counter, Gauge, Histogram, Registry, exponentialBuckets } from "prom-client";

/**
 * The KV member's metrics, under the names etcd exports, so dashboards and alerts written for
 * etcd work unchanged. Each member gets its own registry: tests run several in one process.
 */
export interface KvMetrics {
  readonly registry: Registry;
  readonly hasLeader: Gauge;
  readonly isLeader: Gauge;
  readonly leaderChanges: Counter;
  readonly proposalsCommitted: Gauge;
  readonly proposalsApplied: Gauge;
  readonly proposalsPending: Gauge;
  readonly proposalsFailed: Counter;
  readonly walFsyncSeconds: Histogram;
  readonly backendCommitSeconds: Histogram;
  readonly dbTotalSizeBytes: Gauge;
  readonly peerRoundTripSeconds: Histogram<"To">;
}

export function createKvMetrics(): KvMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    hasLeader: new Gauge({
      name: "etcd_server_has_leader",
      help: "Whether or not a leader exists. 1 is existence, 0 is not.",
      registers,
    }),
    isLeader: new Gauge({
      name: "etcd_server_is_leader",
      help: "Whether or not this member is a leader. 1 if is, 0 otherwise.",
      registers,
    }),
    leaderChanges: new Counter({
      name: "etcd_server_leader_changes_seen_total",
      help: "The number of leader changes seen.",
      registers,
    }),
    proposalsCommitted: new Gauge({
      name: "etcd_server_proposals_committed_total",
      help: "The total number of consensus proposals committed.",
      registers,
    }),
    proposalsApplied: new Gauge({
      name: "etcd_server_proposals_applied_total",
      help: "The total number of consensus proposals applied.",
      registers,
    }),
    proposalsPending: new Gauge({
      name: "etcd_server_proposals_pending",
      help: "The current number of pending proposals to commit.",
      registers,
    }),
    proposalsFailed: new Counter({
      name: "etcd_server_proposals_failed_total",
      help: "The total number of failed proposals seen.",
      registers,
    }),
    walFsyncSeconds: new Histogram({
      name: "etcd_disk_wal_fsync_duration_seconds",
      help: "The latency distributions of fsync called by WAL.",
      buckets: exponentialBuckets(0.001, 2, 14),
      registers,
    }),
    backendCommitSeconds: new Histogram({
      name: "etcd_disk_backend_commit_duration_seconds",
      help: "The latency distributions of commit called by backend.",
      buckets: exponentialBuckets(0.001, 2, 14),
      registers,
    }),
    dbTotalSizeBytes: new Gauge({
      name: "etcd_mvcc_db_total_size_in_bytes",
      help: "Total size of the underlying database physically allocated in bytes.",
      registers,
    }),
    peerRoundTripSeconds: new Histogram({
      name: "etcd_network_peer_round_trip_time_seconds",
      help: "Round-Trip-Time histogram between peers",
      labelNames: ["To"],
      buckets: exponentialBuckets(0.0001, 2, 16),
      registers,
    }),
  };
}
