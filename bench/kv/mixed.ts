import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../internal/etcdapi/index.js";
import type { BenchCluster } from "./cluster.js";
import type { ClosedLoopOptions } from "./closed-loop.js";
import { closedLoopResult, completed, preload, startClients, stopClients } from "./closed-loop.js";
import type { TargetResult } from "./results.js";
import { nonEmptyBuckets } from "./results.js";
import type { WatchRange } from "./watch-worker.js";
import type { ControlMessage } from "./worker.js";
import { memoryResult, watcherFigures, Watchers } from "./watchers.js";
import { newControl, runWindow, sleep } from "./window.js";
import type { MixedOperation } from "./workloads.js";
import { namespacePrefix, podKey, prefixEnd } from "./workloads.js";

/**
 * mixed: what a Kubernetes API server asks of its store, at once. Pods are preloaded under
 * /registry/pods/<namespace>/; closed-loop clients then draw operations by weight (CAS status
 * updates of their own pods, namespace lists with a limit, keep-alives of a few leases) while
 * watches follow the pods: even-numbered ones the whole /registry/pods/ prefix (as the API
 * server's watch cache does), odd-numbered ones one namespace each.
 */

export interface MixedRunOptions {
  readonly closedLoop: ClosedLoopOptions;
  readonly weights: Readonly<Record<MixedOperation, number>>;
  readonly podsPerNamespace: number;
  readonly listLimit: number;
  readonly leases: number;
  readonly watchers: number;
  readonly streams: number;
  /** Pause between creating the watches and reading the members' memory. */
  readonly settleMs: number;
}

export const podsPrefix = Buffer.from("/registry/pods/");

/** Node-heartbeat leases outlive any run: keep-alives renew them, nothing waits for expiry. */
const leaseTtlSeconds = 60;

type UnaryFn = (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: object) => void) => void;

/**
 * Grants the leases with ids chosen here: etcd's own ids use all 63 bits, beyond what the
 * codec's JS numbers hold exactly, and a rounded id would renew nothing.
 */
async function grantLeases(endpoint: string, count: number, timeoutMs: number): Promise<number[]> {
  const Lease = grpc.makeGenericClientConstructor(serviceDefinition("Lease"), "Lease");
  const client = new Lease(endpoint, grpc.credentials.createInsecure()) as grpc.Client & Record<string, UnaryFn>;
  const ids = Array.from({ length: count }, (_, i) => 0x7e_0000 + i);
  try {
    for (const ID of ids) {
      await new Promise<void>((resolve, reject) =>
        (client["LeaseGrant"] as UnaryFn).call(client, { ID, TTL: leaseTtlSeconds }, { deadline: Date.now() + timeoutMs }, (err) => (err ? reject(err) : resolve())),
      );
    }
  } finally {
    client.close();
  }
  return ids;
}

export async function measureMixed(cluster: BenchCluster, o: MixedRunOptions): Promise<TargetResult> {
  const target = cluster.target;
  const base = o.closedLoop;
  const pods = base.options.keyspace;
  const namespaces = Math.ceil(pods / o.podsPerNamespace);
  const stampBase = process.hrtime.bigint();
  process.stderr.write(`  ${target}: preloading ${pods.toLocaleString("en-US")} pods in ${namespaces} namespaces, granting ${o.leases} leases\n`);
  const podRevisions = await preload(cluster.endpoints, pods, (i) => podKey(i, o.podsPerNamespace), Buffer.alloc(base.options.valueBytes, 0x70), base.timeoutMs);
  const leaseIds = await grantLeases(await cluster.leaderEndpoint(), o.leases, base.timeoutMs);
  const closedLoop: ClosedLoopOptions = {
    ...base,
    options: { ...base.options, mixed: { weights: o.weights, podsPerNamespace: o.podsPerNamespace, listLimit: o.listLimit, leaseIds, podRevisions, stampBase } },
  };

  const control = newControl();
  const memoryBefore = cluster.memory();
  const ranges: WatchRange[] = [{ key: podsPrefix, rangeEnd: prefixEnd(podsPrefix) }];
  for (let n = 0; n < namespaces; n++) {
    const prefix = namespacePrefix(n);
    ranges.push({ key: prefix, rangeEnd: prefixEnd(prefix) });
  }
  const rangeOf = (i: number): number => (i % 2 === 0 ? 0 : 1 + (Math.floor(i / 2) % namespaces));
  const watchers = await Watchers.start(cluster.endpoints, { watchers: o.watchers, streams: o.streams, conns: o.streams, threads: 1, ranges, rangeOf }, control, stampBase);
  let clients: ReturnType<typeof startClients> | undefined;
  try {
    const created = await watchers.create(60_000);
    await sleep(o.settleMs);
    const memoryWatchers = cluster.memory();
    clients = startClients(await cluster.endpointsLeaderFirst(), closedLoop, control);
    const running = clients;
    const failed = Promise.race([watchers.group.failed, running.group.failed]);
    failed.catch(() => undefined);
    let delivered = 0;
    let responses = 0;
    const usage = await runWindow({
      label: target,
      cluster,
      control,
      warmupMs: base.warmupMs,
      durationMs: base.durationMs,
      failed,
      onOpen: () => {
        running.group.post({ type: "mark" } satisfies ControlMessage);
        watchers.mark();
      },
      progress: (seconds) => `${Math.round(completed(running) / seconds).toLocaleString("en-US")} ops/s, ${Math.round(watchers.delivered() / seconds).toLocaleString("en-US")} events/s`,
      onClose: () => {
        delivered = watchers.delivered();
        responses = watchers.responses();
      },
    });
    const memoryEnd = cluster.memory();
    const parts = await Promise.race([stopClients(running), failed]);
    const finished = await Promise.race([watchers.finish(undefined, 0, 0), failed]);
    const result = closedLoopResult(target, parts, usage, true);
    const w = watcherFigures(finished);
    const updates = result.operations?.find((op) => op.kind === "update");
    const prefixWatchers = Math.ceil(o.watchers / 2);
    return {
      ...result,
      watch: {
        watchers: o.watchers,
        streams: o.streams,
        createdWatchers: created.created,
        createSeconds: created.seconds,
        rate: 0,
        writers: base.clients,
        puts: updates?.requests ?? 0,
        putRate: updates?.throughput ?? 0,
        putErrors: updates?.errors ?? 0,
        putsSkipped: 0,
        putsUnanswered: 0,
        putLatencyMs: updates?.latencyMs ?? { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 },
        deliveredEvents: delivered,
        responses,
        eventsPerSecond: delivered / usage.seconds,
        // every update reaches each whole-prefix watch, and one namespace watch in `namespaces`
        expectedEventsPerSecond: (updates?.throughput ?? 0) * (prefixWatchers + (o.watchers - prefixWatchers) / namespaces),
        deliveryLatencyMs: w.latency,
        deliveryHistogram: nonEmptyBuckets(w.histogram),
        completion: undefined,
        watchErrors: w.errors,
        firstWatchError: w.firstError,
        busiestWatchThreadPercent: w.busiestPercent,
        memory: memoryResult(memoryBefore, memoryWatchers, memoryEnd, o.watchers),
      },
      errors: result.errors + w.errors,
      firstError: result.firstError ?? w.firstError,
    };
  } finally {
    await clients?.group.terminate();
    await watchers.terminate();
  }
}
