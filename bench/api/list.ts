import type { Agent } from "node:http";
import type { BenchCluster } from "../kv/index.js";
import { bucketOf, isMeasuring, newControl, newHistogram, nonEmptyBuckets, runWindow, summarize } from "../kv/index.js";
import { ensureNamespace, failureOf, keepAliveAgents, send } from "./http.js";
import { benchPod } from "./pods.js";
import type { ApiListFigures, ApiTargetResult } from "./results.js";

/**
 * api-list: creates N pods in one namespace, then times, each for the duration: lists of every
 * pod from the watch cache (GET /api/v1/pods?resourceVersion=0), and paged lists of the
 * namespace from the store (GET /api/v1/namespaces/<ns>/pods?limit=500, following `continue`).
 * Every answer is parsed and its items counted: a list must hold every pod created.
 */

export interface ApiListOptions {
  readonly pods: number;
  readonly namespace: string;
  readonly pageSize: number;
  /** Closed-loop list clients (one list in flight each). */
  readonly clients: number;
  /** Creates in flight while preloading. */
  readonly preloadConcurrency: number;
  readonly timeoutMs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** Pod creates are retried this often on errors (a 409 on a retry means the first one worked). */
const preloadAttempts = 3;

async function preload(servers: readonly string[], agents: readonly Agent[], o: ApiListOptions): Promise<{ seconds: number; errors: number }> {
  const started = performance.now();
  const collection = `/api/v1/namespaces/${o.namespace}/pods`;
  let next = 0;
  let created = 0;
  let errors = 0;
  const progress = setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`\r  raftplane: ${created.toLocaleString("en-US")} of ${o.pods.toLocaleString("en-US")} pods created (${Math.round(created / seconds).toLocaleString("en-US")}/s) `);
  }, 1000);
  const createOne = async (i: number): Promise<void> => {
    const server = i % servers.length;
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await send(agents[server], servers[server] as string, "POST", collection, JSON.stringify(benchPod(o.namespace, i, 0)), o.timeoutMs);
        if (answer.status === 201 || (answer.status === 409 && attempt > 1)) return;
        throw new Error(failureOf(answer));
      } catch (err) {
        errors++;
        if (attempt === preloadAttempts) throw new Error(`creating pod ${i} failed ${preloadAttempts} times, last: ${(err as Error).message}`);
      }
    }
  };
  // `preloadConcurrency` loops, each creating the next pod not yet taken.
  const loop = async (): Promise<void> => {
    while (next < o.pods) {
      await createOne(next++);
      created++;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.preloadConcurrency, o.pods) }, loop));
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`\r  raftplane: ${created.toLocaleString("en-US")} pods created in ${seconds.toFixed(1)} s (${Math.round(created / seconds).toLocaleString("en-US")}/s)${errors > 0 ? `, ${errors} errors retried` : ""}\n`);
  return { seconds, errors };
}

interface ListPage {
  readonly items: number;
  readonly continueToken: string | undefined;
}

function parseList(body: Buffer): ListPage {
  const list = JSON.parse(body.toString("utf8")) as { kind?: unknown; items?: unknown; metadata?: { continue?: unknown } };
  if (list.kind !== "PodList" || !Array.isArray(list.items)) throw new Error(`not a PodList: ${body.toString("utf8", 0, 120)}`);
  const token = list.metadata?.continue;
  return { items: list.items.length, continueToken: typeof token === "string" && token !== "" ? token : undefined };
}

/** One kind of list, repeated by closed-loop clients through a warm-up and a measured window. */
async function measureLists(cluster: BenchCluster, agents: readonly Agent[], kind: "cache" | "paged", o: ApiListOptions): Promise<ApiListFigures> {
  const servers = cluster.apiUrls;
  const path = kind === "cache" ? "/api/v1/pods?resourceVersion=0" : `/api/v1/namespaces/${o.namespace}/pods?limit=${o.pageSize}`;
  const control = newControl();
  const requestHistogram = newHistogram();
  const listHistogram = newHistogram();
  let requests = 0;
  let lists = 0;
  let objects = 0;
  let bytes = 0;
  let errors = 0;
  let wrongCounts = 0;
  let firstError: string | undefined;
  let running = true;
  let turn = 0;

  const timed = async (server: number, url: string): Promise<Buffer> => {
    const started = performance.now();
    const answer = await send(agents[server], servers[server] as string, "GET", url, undefined, o.timeoutMs);
    const micros = (performance.now() - started) * 1000;
    if (answer.status !== 200) throw new Error(`GET ${url}: ${failureOf(answer)}`);
    if (isMeasuring(control)) {
      requests++;
      bytes += answer.body.length;
      const b = bucketOf(micros);
      requestHistogram[b] = (requestHistogram[b] ?? 0) + 1;
    }
    return answer.body;
  };

  const client = async (): Promise<void> => {
    while (running) {
      // Whole lists go round-robin over the servers; a paged list stays on one.
      const server = turn++ % servers.length;
      const started = performance.now();
      const measuredFromStart = isMeasuring(control);
      let items = 0;
      try {
        if (kind === "cache") items = parseList(await timed(server, path)).items;
        else {
          let token: string | undefined;
          do {
            const page = parseList(await timed(server, token === undefined ? path : `${path}&continue=${encodeURIComponent(token)}`));
            items += page.items;
            token = page.continueToken;
            if (isMeasuring(control)) objects += page.items;
          } while (token !== undefined && running);
          if (token !== undefined) continue; // cut short by the window's end
        }
      } catch (err) {
        if (isMeasuring(control)) errors++;
        firstError ??= (err as Error).message;
        continue;
      }
      if (!isMeasuring(control)) continue;
      if (kind === "cache") objects += items;
      if (items !== o.pods) {
        wrongCounts++;
        firstError ??= `a ${kind} list held ${items} pods, not ${o.pods}`;
      }
      // A list counts whole only if it started in the window too.
      if (measuredFromStart) {
        lists++;
        const b = bucketOf((performance.now() - started) * 1000);
        listHistogram[b] = (listHistogram[b] ?? 0) + 1;
      }
    }
  };

  const label = kind === "cache" ? "lists from the watch cache" : `paged lists (limit ${o.pageSize}) from the store`;
  process.stderr.write(`  raftplane: ${label}: ${path}\n`);
  const loops = Array.from({ length: o.clients }, client);
  const usage = await runWindow({
    label: `raftplane ${kind}`,
    cluster,
    control,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    failed: new Promise<never>(() => undefined),
    progress: (seconds) => `${(requests / seconds).toFixed(1)} ${kind === "cache" ? "lists" : "pages"}/s, ${Math.round(objects / seconds).toLocaleString("en-US")} objects/s`,
  });
  const seconds = usage.seconds;
  // Read before the clients' last answers: the window is closed, nothing more is counted.
  const figures: ApiListFigures = {
    kind,
    path,
    requests,
    errors,
    firstError,
    latencyMs: summarize(requestHistogram),
    histogram: nonEmptyBuckets(requestHistogram),
    lists,
    listLatencyMs: summarize(listHistogram),
    objects,
    objectsPerSecond: objects / seconds,
    bytesPerRequest: requests > 0 ? bytes / requests : Number.NaN,
    megabytesPerSecond: bytes / 2 ** 20 / seconds,
    wrongCounts,
    clientCpuPercent: usage.clientCpuPercent,
    serverCpuPercent: usage.serverCpuPercent,
    otherCpuPercent: usage.otherCpuPercent,
    seconds,
  };
  running = false;
  await Promise.all(loops);
  return figures;
}

export async function measureApiList(cluster: BenchCluster, o: ApiListOptions): Promise<ApiTargetResult> {
  const servers = cluster.apiUrls;
  await ensureNamespace(servers[0] as string, o.namespace, o.timeoutMs);
  const agents = keepAliveAgents(servers.length, Math.max(o.preloadConcurrency, o.clients));
  try {
    process.stderr.write(`  raftplane: creating ${o.pods.toLocaleString("en-US")} pods in namespace ${o.namespace}, ${o.preloadConcurrency} at a time\n`);
    const loaded = await preload(servers, agents, o);
    const serverRssMB = cluster.memory().reduce((a, m) => a + m.rssMB, 0);
    const cache = await measureLists(cluster, agents, "cache", o);
    const paged = await measureLists(cluster, agents, "paged", o);
    const operation = (f: ApiListFigures): NonNullable<ApiTargetResult["operations"]>[number] => ({
      kind: `list-${f.kind}`,
      requests: f.requests,
      errors: f.errors + f.wrongCounts,
      compareFailures: 0,
      firstError: f.firstError,
      throughput: f.objectsPerSecond,
      latencyMs: f.latencyMs,
      histogram: f.histogram,
    });
    return {
      target: "raftplane",
      requests: cache.requests + paged.requests,
      errors: cache.errors + cache.wrongCounts + paged.errors + paged.wrongCounts,
      compareFailures: 0,
      firstError: cache.firstError ?? paged.firstError,
      seconds: cache.seconds + paged.seconds,
      // objects/s and request latency of the watch cache's lists; both kinds are in `operations` and `api.lists`
      throughput: cache.objectsPerSecond,
      latencyMs: cache.latencyMs,
      clientCpuPercent: cache.clientCpuPercent,
      serverCpuPercent: cache.serverCpuPercent,
      otherCpuPercent: cache.otherCpuPercent,
      histogram: cache.histogram,
      operations: [operation(cache), operation(paged)],
      api: { lists: [cache, paged], preload: { pods: o.pods, seconds: loaded.seconds, errors: loaded.errors, serverRssMB } },
    };
  } finally {
    for (const a of agents) a.destroy();
  }
}
