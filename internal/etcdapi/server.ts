import type { IncomingMessage, ServerResponse } from "node:http";
import { Server } from "@grpc/grpc-js";
import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import type { KvMetrics, Logger } from "../observability/index.js";
import type { RaftNode } from "../raftnode/index.js";
import { serviceDefinition } from "./codec.js";
import type { Limits } from "./context.js";
import { ServerContext, grpcOverheadBytes } from "./context.js";
import { clusterService } from "./cluster-service.js";
import { kvService } from "./kv-service.js";
import { leaseService } from "./lease-service.js";
import { maintenanceService } from "./maintenance-service.js";
import { watchService } from "./watch-service.js";
import type { ClientPort } from "./listener.js";
import { listenClientPort } from "./listener.js";
import type { KvStateMachine } from "./state.js";
import { etcdProtocolVersion } from "./version.js";



export interface KvServerOptions {
  readonly memberId: number;
  readonly clusterId: number;
  readonly clusterToken: string;
  readonly node: RaftNode;
  readonly sm: KvStateMachine;
  readonly limits: Limits;
  /** Test only: serve linearizable reads without ReadIndex (`--unsafe-local-reads`). */
  readonly unsafeLocalReads?: boolean;
  readonly logger: Logger;
  readonly metrics: KvMetrics;
}

/** A service of proto/rpc.proto, built from the member's context. */
export type ServiceFactory = (ctx: ServerContext) => UntypedServiceImplementation;

/** The services a KV member serves, by their names in proto/rpc.proto. */
export const etcdServices: Readonly<Record<string, ServiceFactory>> = {
  KV: kvService,
  Watch: (ctx) => watchService(ctx),
  Lease: (ctx) => leaseService(ctx),
  Cluster: clusterService,
  Maintenance: maintenanceService,
};

/**
 * The client side of a KV member: the etcd v3 gRPC services plus /health, /metrics and
 * /version over HTTP, on each client URL.
 */
export class KvServer {
  readonly ctx: ServerContext;
  readonly grpc: Server;
  private ports: ClientPort[] = [];

  constructor(
    private readonly opts: KvServerOptions,
    services: Readonly<Record<string, ServiceFactory>> = etcdServices,
  ) {
    this.ctx = new ServerContext(
      opts.memberId,
      opts.clusterId,
      opts.clusterToken,
      opts.node,
      opts.sm,
      opts.limits,
      opts.logger,
      opts.unsafeLocalReads === true,
    );
    this.grpc = new Server({
      "grpc.max_receive_message_length": opts.limits.maxRequestBytes + grpcOverheadBytes,
      "grpc.max_send_message_length": 2 ** 31 - 1,
    });
    for (const [name, factory] of Object.entries(services)) {
      this.grpc.addService(serviceDefinition(name), factory(this.ctx));
    }
  }

  /** Listen on every client URL (http://host:port). Returns the bound ports (0 picks one). */
  async listen(urls: readonly string[]): Promise<number[]> {
    for (const u of urls) {
      const url = new URL(u);
      const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
      this.ports.push(await listenClientPort(host, Number(url.port), this.grpc, (req, res) => this.http(req, res)));
    }
    return this.ports.map((p) => p.port);
  }

  async close(): Promise<void> {
    this.ctx.close();
    await Promise.all(this.ports.map((p) => p.close()));
    this.ports = [];
    this.grpc.forceShutdown();
  }

  private http(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    switch (path) {
      case "/health": {
        const healthy = this.opts.node.leader() !== 0 && this.opts.sm.alarmList().length === 0;
        const reason = this.opts.node.leader() === 0 ? "RAFT NO LEADER" : healthy ? "" : "ALARM ACTIVE";
        res.writeHead(healthy ? 200 : 503, { "content-type": "application/json" });
        res.end(JSON.stringify({ health: String(healthy), reason }));
        return;
      }
      case "/metrics":
        this.opts.metrics.dbTotalSizeBytes.set(this.opts.sm.store.sizeBytes());
        this.opts.metrics.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": this.opts.metrics.registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500).end(String(err)),
        );
        return;
      case "/version":
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ etcdserver: etcdProtocolVersion, etcdcluster: "3.4.0" }));
        return;
      default:
        res.writeHead(404, { "content-type": "text/plain" }).end("404 page not found\n");
    }
  }
}
