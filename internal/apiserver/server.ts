/**
 * The API server: an HTTP server (plain HTTP for now) serving the Kubernetes REST API over a
 * store, with one watch cache per resource. Every replica runs one; all writes go through the
 * store, so replicas agree through it.
 */
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resources } from "../api/index.js";
import type { Logger } from "../observability/index.js";
import type { Compactor, Store } from "../store/index.js";
import { ApiHandler } from "./handler.js";
import type { ApiServerMetrics } from "./metrics.js";
import { createApiServerMetrics } from "./metrics.js";
import { Rest } from "./rest.js";
import { WatchCache } from "./watch-cache.js";

export interface ApiServerOptions {
  readonly store: Store;
  readonly logger: Logger;
  /** raftplane's version, reported in /version. */
  readonly version: string;
  /** Recent events each resource's watch cache keeps. Default 1024. */
  readonly watchCacheCapacity?: number;
  /** Frames a watcher may have waiting before it is closed as too slow. Default 4096. */
  readonly maxPendingWatchFrames?: number;
  /** How often watchers that asked for bookmarks get one, in ms. Default 60 s. */
  readonly bookmarkIntervalMs?: number;
  /** How often the store's history is compacted (kube's --etcd-compaction-interval), in ms; 0 never. Default 5 min. */
  readonly compactionIntervalMs?: number;
  /** How long pods/log waits for a node agent's connection and (unless following) its answer, in ms. Default 10 s. */
  readonly kubeletTimeoutMs?: number;
  /** kube's --max-requests-inflight and --max-mutating-requests-inflight (see HandlerOptions). */
  readonly maxRequestsInflight?: number;
  readonly maxMutatingRequestsInflight?: number;
}

export class ApiServer {
  readonly metrics: ApiServerMetrics;
  readonly caches = new Map<string, WatchCache>();
  readonly rest: Rest;
  private readonly handler: ApiHandler;
  private http: Server | undefined;
  private bootstrapTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastStoreCheck = { at: 0, problem: "not checked yet" };
  private compactor: Compactor | undefined;

  constructor(private readonly options: ApiServerOptions) {
    this.metrics = createApiServerMetrics();
    for (const r of resources()) {
      this.caches.set(
        r.plural,
        new WatchCache(r, options.store, {
          ...(options.watchCacheCapacity === undefined ? {} : { capacity: options.watchCacheCapacity }),
          ...(options.maxPendingWatchFrames === undefined ? {} : { maxPendingFrames: options.maxPendingWatchFrames }),
          ...(options.bookmarkIntervalMs === undefined ? {} : { bookmarkIntervalMs: options.bookmarkIntervalMs }),
          logger: options.logger,
        }),
      );
    }
    this.rest = new Rest({ store: options.store, caches: this.caches, logger: options.logger, cacheReadyTimeoutMs: 10_000 });
    this.handler = new ApiHandler({
      rest: this.rest,
      metrics: this.metrics,
      logger: options.logger,
      raftplaneVersion: options.version,
      readiness: () => this.readiness(),
      ...(options.kubeletTimeoutMs === undefined ? {} : { kubeletTimeoutMs: options.kubeletTimeoutMs }),
      ...(options.maxRequestsInflight === undefined ? {} : { maxRequestsInflight: options.maxRequestsInflight }),
      ...(options.maxMutatingRequestsInflight === undefined ? {} : { maxMutatingRequestsInflight: options.maxMutatingRequestsInflight }),
    });
  }

  /** What stops this replica from serving, or "" when it is ready. */
  async readiness(): Promise<string> {
    const notReady = [...this.caches.values()].filter((c) => !c.ready).map((c) => c.resource.plural);
    if (notReady.length > 0) return `informer-sync failed: watch caches not ready: ${notReady.join(", ")}`;
    if (Date.now() - this.lastStoreCheck.at > 1000) {
      try {
        await this.options.store.currentRevision();
        this.lastStoreCheck = { at: Date.now(), problem: "" };
      } catch (err) {
        this.lastStoreCheck = { at: Date.now(), problem: `etcd failed: ${(err as Error).message}` };
      }
    }
    return this.lastStoreCheck.problem;
  }

  /** Start the caches and the system namespaces, and serve HTTP on host:port; returns the bound port. */
  async listen(host: string, port: number): Promise<number> {
    for (const c of this.caches.values()) c.start();
    this.bootstrap(100);
    const interval = this.options.compactionIntervalMs ?? 5 * 60_000;
    if (interval > 0) {
      this.compactor = this.options.store.compactor({
        intervalMs: interval,
        onCompacted: (revision) => this.options.logger.info({ revision }, "compacted the store's history"),
        onError: (err) => this.options.logger.warn({ err: err.message }, "compaction failed; retrying next interval"),
      });
      this.compactor.start();
    }
    const http = createServer({ noDelay: true, keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => this.handler.handle(req, res));
    http.on("clientError", (err, socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
      this.options.logger.debug({ err: err.message }, "bad HTTP request");
    });
    this.http = http;
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, host, () => {
        http.off("error", reject);
        resolve();
      });
    });
    const bound = (http.address() as AddressInfo).port;
    this.options.logger.info({ address: `http://${host}:${bound}` }, "API server serving");
    return bound;
  }

  private bootstrap(delayMs: number): void {
    this.bootstrapTimer = setTimeout(() => {
      this.rest.bootstrap().then(
        () => this.options.logger.info("system namespaces present"),
        (err: unknown) => {
          if (this.stopped) return;
          this.options.logger.debug({ err: (err as Error).message }, "creating system namespaces failed; retrying");
          this.bootstrap(Math.min(delayMs * 2, 2000));
        },
      );
    }, delayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.bootstrapTimer);
    this.compactor?.stop();
    this.rest.stop();
    for (const c of this.caches.values()) c.stop();
    const http = this.http;
    if (http !== undefined) {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    }
  }
}
