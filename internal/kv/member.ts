import { mkdir } from "node:fs/promises";
import type { MemberInfo } from "../etcdapi/index.js";
import { KvServer, KvStateMachine, clusterId as deriveClusterId, formatId, memberId as deriveMemberId } from "../etcdapi/index.js";
import type { KvMetrics, Logger } from "../observability/index.js";
import { createKvMetrics, createLogger } from "../observability/index.js";
import { MemoryStorage } from "../raft/index.js";
import { RaftNode } from "../raftnode/index.js";
import { GrpcTransport, removedFromCluster } from "../transport/index.js";
import { Wal } from "../wal/index.js";
import { AutoCompactor } from "./compactor.js";
import type { KvConfig } from "./config.js";
import { discoverCluster } from "./discovery.js";

/** A running KV member: raft over gRPC and LevelDB, serving the etcd API on its client URLs. */
export interface KvMember {
  readonly id: number;
  readonly clusterId: number;
  readonly node: RaftNode;
  readonly sm: KvStateMachine;
  readonly server: KvServer;
  readonly metrics: KvMetrics;
  readonly clientPorts: readonly number[];
  readonly peerUrls: readonly string[];
  /** Resolves when this member learns it was removed from the cluster (it should then stop). */
  readonly removed: Promise<void>;
  stop(): Promise<void>;
}

/** A WAL sync slower than this is logged as a warning, as etcd does. */
const slowSyncSeconds = 1;

/** Shortest lease TTL, derived from the election timeout as etcd does (3 × election, ≥ 1 s). */
export function minLeaseTtlSeconds(electionMs: number): number {
  return Math.max(1, Math.ceil((3 * electionMs) / 1000));
}

/** Members of a new cluster as --initial-cluster names them, with their derived ids. */
export function founders(config: Pick<KvConfig, "initialCluster" | "initialClusterToken">): MemberInfo[] {
  return config.initialCluster
    .map((m) => ({
      id: deriveMemberId(m.peerUrls, config.initialClusterToken),
      name: m.name,
      peerURLs: [...m.peerUrls],
      clientURLs: [],
      isLearner: false,
    }))
    .sort((a, b) => a.id - b.id);
}

/**
 * Start one KV member from an etcd-style configuration: open (or bootstrap) its data directory,
 * join its peers, replay its log, and serve clients.
 */
export async function startKvMember(config: KvConfig, logger?: Logger): Promise<KvMember> {
  const metrics = createKvMetrics();
  const storeOptions = { minLeaseTtl: minLeaseTtlSeconds(config.electionTimeoutMs) };
  await mkdir(config.dataDir, { recursive: true });
  // The member id is known only once the WAL is open; slow syncs before that log without it.
  let log = logger ?? createLogger({ component: "kv", level: config.logLevel, bindings: { name: config.name } });
  const { wal, storage, isNew, metadata } = await Wal.open(config.dataDir, {
    onSync: (seconds) => {
      metrics.walFsyncSeconds.observe(seconds);
      // etcd warns above a second: a disk this slow makes followers miss heartbeats.
      if (seconds > slowSyncSeconds) log.warn({ took: seconds }, "slow fdatasync");
    },
  });

  let id: number;
  let cid: number;
  let sm: KvStateMachine;
  let applied: number;
  /** The members a joiner was told of when it joined: see the peer book below. */
  let joinedWith: readonly MemberInfo[] = [];
  if (isNew && config.initialClusterState === "new") {
    const members = founders(config);
    const self = members.find((m) => m.name === config.name) as MemberInfo;
    id = self.id;
    cid = deriveClusterId(members.map((m) => m.id));
    sm = new KvStateMachine(storeOptions, members);
    // The founding configuration and the empty store are a committed snapshot at index 1, so
    // every founder starts identical and members added later receive it (MemoryStorage.bootstrap).
    const boot = MemoryStorage.bootstrap({ voters: members.map((m) => m.id), learners: [] }, sm.snapshot());
    await wal.save(
      { metadata: { memberId: id, clusterId: cid }, snapshot: boot.snapshot(), hardState: boot.hardStateNow(), entries: [] },
      { sync: true },
    );
    applied = 1;
  } else if (isNew) {
    // Joining a running cluster: its members know the id MemberAdd gave us.
    const found = await discoverCluster(config.initialCluster, config.initialAdvertisePeerUrls, config.name);
    id = found.memberId;
    cid = found.clusterId;
    sm = new KvStateMachine(storeOptions, found.members);
    joinedWith = found.members;
    await wal.save({ metadata: { memberId: id, clusterId: cid, data: encodeJoinedWith(found.members) }, entries: [] }, { sync: true });
    applied = 0;
  } else {
    if (!metadata) throw new Error(`data directory ${config.dataDir} has a log but no member metadata`);
    id = metadata.memberId;
    cid = metadata.clusterId;
    sm = new KvStateMachine(storeOptions);
    joinedWith = decodeJoinedWith(metadata.data);
    const snap = storage.snapshot();
    if (snap.data.length > 0) sm.restore(snap.data);
    applied = snap.metadata.index;
  }

  log = logger ?? createLogger({ component: "kv", level: config.logLevel, bindings: { member: formatId(id), name: config.name } });
  const transport = new GrpcTransport({
    id,
    clusterId: formatId(cid),
    listenUrls: config.listenPeerUrls,
    onRoundTrip: (peer, seconds) => metrics.peerRoundTripSeconds.observe({ To: formatId(peer) }, seconds),
    membersProvider: () => ({ clusterId: cid, members: sm.memberList() }),
    isRemoved: (peer) => sm.isRemoved(peer),
    onEvent: (e) => {
      // A peer refusing us as removed: we missed the commit of our own removal.
      if (e.type === "peer-disconnected" && e.error.message.includes(`member ${id} ${removedFromCluster}`)) noteRemoved();
    },
  });
  let resolveRemoved: () => void = () => undefined;
  const removed = new Promise<void>((resolve) => {
    resolveRemoved = resolve;
  });
  let wasRemoved = false;
  const noteRemoved = (): void => {
    if (wasRemoved) return;
    wasRemoved = true;
    log.error("the member has been permanently removed from the cluster; its data directory can be deleted");
    resolveRemoved();
  };
  // The peer book: every member this one has heard of, kept until its removal is applied here.
  // The applied member list alone is not enough: a joiner first installs the leader's oldest
  // snapshot, whose members may all be gone, and must still answer the leader that sent it
  // (etcd keeps such peers as "remotes"). So a member absent from the list stays a peer, and
  // only a committed removal drops it.
  const peerBook = new Map<number, readonly string[]>();
  const syncPeers = (members: readonly MemberInfo[]): void => {
    if (sm.isRemoved(id)) noteRemoved();
    for (const m of members) if (m.peerURLs.length > 0) peerBook.set(m.id, m.peerURLs);
    for (const [peer, urls] of peerBook) {
      if (peer === id) continue;
      if (sm.isRemoved(peer)) {
        peerBook.delete(peer);
        transport.removePeer(peer);
      } else {
        transport.addPeer(peer, urls);
      }
    }
  };
  for (const m of joinedWith) if (m.peerURLs.length > 0) peerBook.set(m.id, m.peerURLs);
  syncPeers(sm.memberList());
  sm.onMembersChanged = syncPeers;

  const node = new RaftNode({
    id,
    log: wal,
    network: transport,
    stateMachine: sm,
    logger: log,
    metrics,
    heartbeatMs: config.heartbeatIntervalMs,
    electionMs: config.electionTimeoutMs,
    snapshotCount: config.snapshotCount,
    applied,
    onFatal: (err) => {
      log.fatal({ err }, "stopping: storage failed");
      process.exitCode = 1;
    },
  });
  transport.setHandler(node);
  await transport.start();
  node.start();

  const server = new KvServer({
    memberId: id,
    clusterId: cid,
    clusterToken: config.initialClusterToken,
    node,
    sm,
    limits: { maxRequestBytes: config.maxRequestBytes, maxTxnOps: config.maxTxnOps, quotaBytes: config.quotaBackendBytes },
    unsafeLocalReads: config.unsafeLocalReads === true,
    logger: log,
    metrics,
  });
  let clientPorts: number[];
  try {
    clientPorts = await server.listen(config.listenClientUrls);
  } catch (err) {
    // etcd exits when it cannot listen for clients: stop raft and the peer listener too, or
    // they keep the process running as a member no client can reach
    await server.close();
    await node.stop();
    await transport.stop();
    await wal.close();
    throw err;
  }
  const publisher = publishAttributes(server, id, config.name, config.advertiseClientUrls, log);
  const compactor = new AutoCompactor(server.ctx, config.autoCompactionMode, config.autoCompactionRetention, log);
  compactor.start();
  log.info(
    { cluster: formatId(cid), clientUrls: config.listenClientUrls, peerUrls: transport.listenUrls(), dataDir: config.dataDir },
    "serving",
  );
  if (config.unsafeLocalReads) log.warn("--unsafe-local-reads: linearizable reads skip ReadIndex and may be stale (test only)");

  return {
    id,
    clusterId: cid,
    node,
    sm,
    server,
    metrics,
    clientPorts,
    peerUrls: transport.listenUrls(),
    removed,
    async stop() {
      publisher.cancel();
      compactor.stop();
      await server.close();
      await node.stop();
      await transport.stop();
      await wal.close();
    },
  };
}

/**
 * Record this member's name and client URLs in the replicated member list once a leader is
 * known (etcd publishes them the same way), retrying until it is applied.
 */
function publishAttributes(
  server: KvServer,
  id: number,
  name: string,
  clientUrls: readonly string[],
  logger: Logger,
): { cancel(): void } {
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = (): void => {
    if (cancelled) return;
    const current = server.ctx.sm.member(id);
    if (current && current.name === name && current.clientURLs.join(",") === clientUrls.join(",")) return;
    server.ctx
      .propose({ request: "memberAttributes", memberAttributes: { memberId: id, name, clientUrls: [...clientUrls] } })
      .then(
        () => logger.info({ name, clientUrls }, "published member attributes"),
        () => {
          timer = setTimeout(attempt, 500);
        },
      );
  };
  timer = setTimeout(attempt, 0);
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}

/** The member list a joiner was given, kept in its WAL metadata for its restarts. */
function encodeJoinedWith(members: readonly MemberInfo[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(members.map((m) => ({ id: m.id, peerURLs: m.peerURLs }))));
}

function decodeJoinedWith(data: Uint8Array | undefined): MemberInfo[] {
  if (data === undefined || data.length === 0) return [];
  try {
    const raw = JSON.parse(new TextDecoder().decode(data)) as { id?: unknown; peerURLs?: unknown }[];
    return raw
      .filter((m) => typeof m.id === "number" && Array.isArray(m.peerURLs))
      .map((m) => ({ id: m.id as number, name: "", peerURLs: m.peerURLs as string[], clientURLs: [], isLearner: false }));
  } catch {
    return []; // metadata from before this field, or damaged: the applied member list still serves
  }
}
