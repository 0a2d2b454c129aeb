import * as grpc from "@grpc/grpc-js";
import { MemoryStorage } from "../../internal/raft/index.js";
import { MemoryLog, RaftNode } from "../../internal/raftnode/index.js";
import { createKvMetrics, createLogger } from "../../internal/observability/index.js";
import type { ServiceFactory } from "../../internal/etcdapi/index.js";
import { KvServer, KvStateMachine, serviceDefinition } from "../../internal/etcdapi/index.js";

export interface SingleMember {
  readonly server: KvServer;
  readonly node: RaftNode;
  readonly sm: KvStateMachine;
  readonly port: number;
  /** A generic gRPC client of one service of proto/rpc.proto, on this member. */
  client(service: string): grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  close(): Promise<void>;
}

/**
 * One KV member (a single-voter raft group in memory) serving the given gRPC services on an
 * ephemeral loopback port, for service tests. Real gRPC, real raft, no disk.
 */
export async function startSingleMember(
  services: Readonly<Record<string, ServiceFactory>>,
  limits = { maxRequestBytes: 1.5 * 1024 * 1024, maxTxnOps: 128, quotaBytes: 2 * 1024 ** 3 },
): Promise<SingleMember> {
  const logger = createLogger({ component: "test", level: "error" });
  const sm = new KvStateMachine();
  const log = new MemoryLog(MemoryStorage.bootstrap({ voters: [1], learners: [] }, sm.snapshot()));
  const node = new RaftNode({
    id: 1, log, network: { send: () => undefined }, stateMachine: sm, logger,
    heartbeatMs: 10, electionMs: 100, snapshotCount: 10_000, applied: 1,
  });
  node.start();
  node.campaign();
  while (!node.isLeader()) await new Promise((r) => setTimeout(r, 5));
  const server = new KvServer(
    { memberId: 1, clusterId: 7, clusterToken: "test", node, sm, limits, logger, metrics: createKvMetrics() },
    services,
  );
  const [port] = await server.listen(["http://127.0.0.1:0"]);
  const clients: grpc.Client[] = [];
  return {
    server, node, sm, port: port as number,
    client(service) {
      const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(service), service);
      const c = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      clients.push(c);
      return c as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
    },
    async close() {
      for (const c of clients) c.close();
      await server.close();
      await node.stop();
    },
  };
}
