import type { ClusterMemberSpec, KvConfig } from "../kv/index.js";
import { logLevels } from "../observability/index.js";
import type { FlagSpec } from "./flags.js";
import { FlagError, checkUrl, parseFlags, readBool, readChoice, readInt, readUrls } from "./flags.js";

/** `raftplane kv`'s flags: etcd's names, meanings and defaults, so scripts can start either. */
export const kvFlags: readonly FlagSpec[] = [
  { name: "name", default: "default", help: "Human-readable name for this member." },
  { name: "data-dir", default: "", help: 'Path to the data directory (default "${name}.etcd").' },
  { name: "listen-client-urls", default: "http://localhost:2379", help: "URLs to listen on for client traffic." },
  { name: "advertise-client-urls", default: "http://localhost:2379", help: "Client URLs advertised to the rest of the cluster." },
  { name: "listen-peer-urls", default: "http://localhost:2380", help: "URLs to listen on for peer traffic." },
  { name: "initial-advertise-peer-urls", default: "http://localhost:2380", help: "This member's peer URLs advertised to the rest of the cluster." },
  { name: "initial-cluster", default: "", help: 'Initial cluster configuration for bootstrapping, name=peerURL,... (default "${name}=${initial-advertise-peer-urls}").' },
  { name: "initial-cluster-state", default: "new", help: "new (every member listed starts together) or existing (join a running cluster)." },
  { name: "initial-cluster-token", default: "etcd-cluster", help: "Initial cluster token, which keeps separately bootstrapped clusters apart." },
  { name: "snapshot-count", default: "100000", help: "Number of committed transactions that trigger a snapshot and log compaction." },
  { name: "heartbeat-interval", default: "100", help: "Time (in milliseconds) of a heartbeat interval." },
  { name: "election-timeout", default: "1000", help: "Time (in milliseconds) for an election to timeout." },
  { name: "quota-backend-bytes", default: "0", help: "Raise the NOSPACE alarm when the store exceeds this size (0 means the default, 2 GiB)." },
  { name: "max-request-bytes", default: "1572864", help: "Maximum client request size in bytes the server will accept." },
  { name: "max-txn-ops", default: "128", help: "Maximum number of operations permitted in a transaction." },
  { name: "auto-compaction-retention", default: "0", help: "Auto compaction retention for the key-value history: hours (periodic mode, also durations like 30m) or revisions; 0 disables." },
  { name: "auto-compaction-mode", default: "periodic", help: "Interpret the retention as a period of time (periodic) or a number of revisions (revision)." },
  { name: "log-level", default: "info", help: "Log level: debug, info, warn, error, panic or fatal." },
  {
    name: "unsafe-local-reads",
    default: "false",
    boolean: true,
    help: "TEST ONLY, breaks linearizability: serve linearizable reads from local state without ReadIndex, so the chaos suite can show its checker catches stale reads.",
  },
];

const defaultQuotaBytes = 2 * 1024 * 1024 * 1024;

/** `a=http://h:1,a=http://h:2,b=http://h:3` → members with their peer URLs, in first-seen order. */
export function parseInitialCluster(raw: string): ClusterMemberSpec[] {
  const members = new Map<string, string[]>();
  for (const part of raw.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new FlagError(`invalid --initial-cluster entry "${part}": want name=peerURL`);
    const name = part.slice(0, eq);
    const url = checkUrl(part.slice(eq + 1), "--initial-cluster");
    const urls = members.get(name) ?? [];
    if (urls.includes(url)) throw new FlagError(`--initial-cluster lists ${url} twice for ${name}`);
    urls.push(url);
    members.set(name, urls);
  }
  if (members.size === 0) throw new FlagError("--initial-cluster is empty");
  return [...members].map(([name, peerUrls]) => ({ name, peerUrls }));
}

/** etcd's retention: a bare number is hours in periodic mode; Go durations like 30m or 1h30m also work. */
function parseRetention(raw: string, mode: "periodic" | "revision"): number {
  if (mode === "revision") {
    if (!/^\d+$/.test(raw)) throw new FlagError(`invalid --auto-compaction-retention "${raw}": revision mode takes a number of revisions`);
    return Number(raw);
  }
  if (/^\d+$/.test(raw)) return Number(raw) * 3600_000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of raw.matchAll(re)) {
    total += Number(m[1]) * (units[m[2] as string] as number);
    consumed += m[0].length;
  }
  if (consumed !== raw.length || raw === "") {
    throw new FlagError(`invalid --auto-compaction-retention "${raw}": want hours or a duration like 30m`);
  }
  return Math.round(total);
}

export function parseKvConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): KvConfig {
  const v = parseFlags(kvFlags, argv, env);
  const name = v.get("name") ?? "default";
  if (name === "") throw new FlagError("--name must not be empty");
  const initialAdvertisePeerUrls = readUrls(v, "initial-advertise-peer-urls");
  const rawCluster = v.get("initial-cluster") || `${name}=${initialAdvertisePeerUrls.join(`,${name}=`)}`;
  const initialCluster = parseInitialCluster(rawCluster);
  const self = initialCluster.find((m) => m.name === name);
  if (!self) {
    throw new FlagError(`couldn't find local name "${name}" in the initial cluster configuration`);
  }
  const mismatch = initialAdvertisePeerUrls.filter((u) => !self.peerUrls.includes(u));
  if (mismatch.length > 0) {
    throw new FlagError(
      `--initial-cluster has ${name}=${self.peerUrls.join(",")} but --initial-advertise-peer-urls has ${initialAdvertisePeerUrls.join(",")}`,
    );
  }
  const heartbeatIntervalMs = readInt(v, "heartbeat-interval", 1);
  const electionTimeoutMs = readInt(v, "election-timeout", 1);
  if (electionTimeoutMs < 5 * heartbeatIntervalMs) {
    throw new FlagError(
      `--election-timeout[${electionTimeoutMs}ms] should be at least as 5 times as --heartbeat-interval[${heartbeatIntervalMs}ms]`,
    );
  }
  const mode = readChoice(v, "auto-compaction-mode", ["periodic", "revision"] as const);
  const quota = readInt(v, "quota-backend-bytes", 0);
  return {
    name,
    dataDir: v.get("data-dir") || `${name}.etcd`,
    listenClientUrls: readUrls(v, "listen-client-urls"),
    advertiseClientUrls: readUrls(v, "advertise-client-urls"),
    listenPeerUrls: readUrls(v, "listen-peer-urls"),
    initialAdvertisePeerUrls,
    initialCluster,
    initialClusterState: readChoice(v, "initial-cluster-state", ["new", "existing"] as const),
    initialClusterToken: v.get("initial-cluster-token") ?? "etcd-cluster",
    snapshotCount: readInt(v, "snapshot-count", 1),
    heartbeatIntervalMs,
    electionTimeoutMs,
    quotaBackendBytes: quota === 0 ? defaultQuotaBytes : quota,
    maxRequestBytes: readInt(v, "max-request-bytes", 1),
    maxTxnOps: readInt(v, "max-txn-ops", 1),
    autoCompactionRetention: parseRetention(v.get("auto-compaction-retention") ?? "0", mode),
    autoCompactionMode: mode,
    logLevel: readChoice(v, "log-level", logLevels),
    unsafeLocalReads: readBool(v, "unsafe-local-reads"),
  };
}
