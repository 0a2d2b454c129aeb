import { readFileSync } from "node:fs";
import type { ServerConfig } from "../server/index.js";
import type { FlagSpec } from "./flags.js";
import { FlagError, parseFlags, readInt, readUrls } from "./flags.js";
import { kvFlags, parseKvConfig } from "./kvconfig.js";

/** `raftplane server`'s own flags; it also takes every `raftplane kv` flag for its KV member. */
export const apiFlags: readonly FlagSpec[] = [
  { name: "api-listen", default: "127.0.0.1:6443", help: "host:port the Kubernetes API server listens on (plain HTTP for now; 0.0.0.0:6443 for every address)." },
  {
    name: "datastore-endpoints",
    default: "",
    help: "Comma-separated etcd v3 client URLs (raftplane kv members or etcd) to use instead of running a KV member here; the KV flags are then ignored.",
  },
  { name: "datastore-request-timeout", default: "5000", help: "Milliseconds a store request may take, retries across endpoints included, before the API answers 503." },
  { name: "watch-cache-size", default: "1024", help: "Recent events each resource's watch cache keeps for watches that start in the past." },
  {
    name: "max-requests-inflight",
    default: "400",
    help: "Non-mutating requests (watches and logs aside) served at once; more are answered 429 with Retry-After. 0 for no limit.",
  },
  {
    name: "kubelet-timeout",
    default: "10000",
    help: "Milliseconds pods/log waits for a node agent's connection and (unless following) its answer, as kube-apiserver's --kubelet-timeout.",
  },
  { name: "max-mutating-requests-inflight", default: "200", help: "Mutating requests served at once; more are answered 429 with Retry-After. 0 for no limit." },
  {
    name: "datastore-compaction-interval",
    default: "300000",
    help: "Milliseconds between compactions of the store's history (kube-apiserver's --etcd-compaction-interval); the store keeps at least this much history. 0 disables.",
  },
];

export const serverFlags: readonly FlagSpec[] = [...kvFlags, ...apiFlags];

const apiFlagNames = new Set(apiFlags.map((f) => f.name));

/** argv without the API server's flags (and their values), for the KV flag parser. */
function kvArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--?([a-z0-9-]+)(=.*)?$/s.exec(arg);
    if (m !== null && apiFlagNames.has(m[1] as string)) {
      if (m[2] === undefined) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

function parseListen(raw: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d+)$/.exec(raw.trim());
  if (m === null) throw new FlagError(`invalid value "${raw}" for flag --api-listen: want host:port or a port`);
  const port = Number(m[2]);
  if (port > 65535) throw new FlagError(`invalid value "${raw}" for flag --api-listen: port out of range`);
  const host = m[1] === undefined || m[1] === "" ? "0.0.0.0" : m[1].replace(/^\[|\]$/g, "");
  return { host, port };
}

function raftplaneVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function parseServerConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const v = parseFlags(serverFlags, argv, env);
  const kv = parseKvConfig(kvArgs(argv), env);
  const { host, port } = parseListen(v.get("api-listen") ?? "");
  const rawEndpoints = v.get("datastore-endpoints") ?? "";
  return {
    kv,
    datastoreEndpoints: rawEndpoints.trim() === "" ? [] : readUrls(v, "datastore-endpoints"),
    apiHost: host,
    apiPort: port,
    storeRequestTimeoutMs: readInt(v, "datastore-request-timeout", 100),
    watchCacheSize: readInt(v, "watch-cache-size", 1),
    compactionIntervalMs: readInt(v, "datastore-compaction-interval", 0),
    maxRequestsInflight: readInt(v, "max-requests-inflight", 0),
    maxMutatingRequestsInflight: readInt(v, "max-mutating-requests-inflight", 0),
    kubeletTimeoutMs: readInt(v, "kubelet-timeout", 1),
    logLevel: kv.logLevel,
    version: raftplaneVersion(),
  };
}
