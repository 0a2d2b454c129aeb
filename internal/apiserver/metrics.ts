/** The API server's metrics under kube-apiserver's names, each server with its own registry. */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface ApiServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"verb" | "group" | "version" | "resource" | "subresource" | "scope" | "component" | "code">;
  readonly duration: Histogram<"verb" | "group" | "version" | "resource" | "subresource" | "scope" | "component">;
  readonly longRunning: Gauge<"verb" | "resource">;
  readonly inflight: Gauge<"request_kind">;
  readonly dropped: Counter<"request_kind">;
  readonly watchEvents: Counter<"resource">;
}

export function createApiServerMetrics(): ApiServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: "apiserver_request_total",
      help: "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
      labelNames: ["verb", "group", "version", "resource", "subresource", "scope", "component", "code"],
      registers,
    }),
    duration: new Histogram({
      name: "apiserver_request_duration_seconds",
      help: "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
      labelNames: ["verb", "group", "version", "resource", "subresource", "scope", "component"],
      buckets: [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60],
      registers,
    }),
    longRunning: new Gauge({
      name: "apiserver_longrunning_requests",
      help: "Gauge of all active long-running apiserver requests broken out by verb and resource.",
      labelNames: ["verb", "resource"],
      registers,
    }),
    inflight: new Gauge({
      name: "apiserver_current_inflight_requests",
      help: "Maximal number of currently used inflight request limit of this apiserver per request kind in last second.",
      labelNames: ["request_kind"],
      registers,
    }),
    dropped: new Counter({
      name: "apiserver_dropped_requests_total",
      help: "Number of requests dropped with 'Try again later' response.",
      labelNames: ["request_kind"],
      registers,
    }),
    watchEvents: new Counter({
      name: "apiserver_watch_cache_events_received_total",
      help: "Counter of events received in watch cache broken by resource type.",
      labelNames: ["resource"],
      registers,
    }),
  };
}
