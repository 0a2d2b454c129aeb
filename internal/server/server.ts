/**
 * One control-plane replica (`raftplane server`): a KV member (or an external etcd-API store
 * named by --datastore-endpoints) and the API server on top of it. The API server reaches an
 * external store over gRPC, as it would reach etcd, and the embedded member in process.
 */
import { ApiServer } from "../apiserver/index.js";
import type { KvConfig, KvMember } from "../kv/index.js";
import { startKvMember } from "../kv/index.js";
import type { LogLevel } from "../observability/index.js";
import { createLogger } from "../observability/index.js";
import type { KvBackend } from "../store/index.js";
import { GrpcBackend, Store } from "../store/index.js";
import { MemberBackend } from "./member-backend.js";

export interface ServerConfig {
  /** The embedded KV member's configuration (unused with datastoreEndpoints). */
  readonly kv: KvConfig;
  /** External etcd v3 endpoints; empty runs the embedded KV member. */
  readonly datastoreEndpoints: readonly string[];
  /** Where the API server listens. */
  readonly apiHost: string;
  readonly apiPort: number;
  /** Longest a store request may take before the API answers 503, in ms. */
  readonly storeRequestTimeoutMs: number;
  /** Recent events each watch cache keeps. */
  readonly watchCacheSize: number;
  /** Milliseconds between compactions of the store's history; 0 never. */
  readonly compactionIntervalMs: number;
  /** Short requests served at once before 429s (kube's flags of the same names); 0 no limit. */
  readonly maxRequestsInflight: number;
  readonly maxMutatingRequestsInflight: number;
  /** How long pods/log waits for a node agent, in ms. */
  readonly kubeletTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** raftplane's version, for /version. */
  readonly version: string;
}

export interface RunningServer {
  /** The API server's bound port. */
  readonly apiPort: number;
  /** The embedded member, unless an external store is used. */
  readonly member: KvMember | undefined;
  /** Resolves when the embedded member was removed from its cluster (the replica should stop). */
  readonly removed: Promise<void>;
  stop(): Promise<void>;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const logger = createLogger({ component: "apiserver", level: config.logLevel, bindings: { name: config.kv.name } });
  let member: KvMember | undefined;
  const endpoints = config.datastoreEndpoints;
  let backend: KvBackend;
  if (endpoints.length === 0) {
    // The member is in this process: its request path is called directly, not over loopback gRPC.
    member = await startKvMember(config.kv);
    backend = new MemberBackend(member, { requestTimeoutMs: config.storeRequestTimeoutMs });
  } else {
    backend = new GrpcBackend(endpoints, { requestTimeoutMs: config.storeRequestTimeoutMs, attemptTimeoutMs: Math.max(500, Math.floor(config.storeRequestTimeoutMs / 2)) });
  }
  const store = new Store(backend);
  const api = new ApiServer({
    store,
    logger,
    version: config.version,
    watchCacheCapacity: config.watchCacheSize,
    compactionIntervalMs: config.compactionIntervalMs,
    maxRequestsInflight: config.maxRequestsInflight,
    maxMutatingRequestsInflight: config.maxMutatingRequestsInflight,
    kubeletTimeoutMs: config.kubeletTimeoutMs,
  });
  let apiPort: number;
  try {
    apiPort = await api.listen(config.apiHost, config.apiPort);
  } catch (err) {
    await api.stop();
    await store.close();
    await member?.stop();
    throw err;
  }
  logger.info({ store: backend.endpoints, embedded: member !== undefined }, "replica serving");
  return {
    apiPort,
    member,
    removed: member?.removed ?? new Promise<void>(() => undefined),
    async stop() {
      await api.stop();
      await store.close();
      await member?.stop();
    },
  };
}
