import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, openSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FlagSpec } from "./flags.js";
import { FlagError, parseFlags, readInt, usageOf } from "./flags.js";
import type { Command } from "./main.js";

const upFlags: readonly FlagSpec[] = [
  { name: "members", default: "3", help: "Control-plane replicas to start (an odd number: 1, 3, 5...), each a KV member and an API server." },
  { name: "data-dir", default: "raftplane-data", help: "Where each member keeps its data (one subdirectory each) and its log." },
  { name: "host", default: "127.0.0.1", help: "Loopback address to listen on." },
  { name: "client-port", default: "2379", help: "First member's client port; member i uses client-port + 10000·(i-1)." },
  { name: "api-port", default: "6443", help: "First replica's Kubernetes API port; replica i uses api-port + (i-1)." },
  { name: "log-level", default: "info", help: "Members' log level (their logs go to <data-dir>/<name>.log)." },
];

const summary = "Start a whole local cluster as child processes on loopback (no Docker needed).";

interface Member {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly apiUrl: string;
  child?: ChildProcess;
}

function binPath(): string {
  return fileURLToPath(new URL("../../cmd/raftplane.js", import.meta.url));
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** A kubeconfig with one context per replica; the first is current. */
function kubeconfig(members: readonly Member[]): string {
  const lines = ["apiVersion: v1", "kind: Config", "clusters:"];
  for (const m of members) lines.push(`- name: raftplane-${m.name}`, "  cluster:", `    server: ${m.apiUrl}`);
  lines.push("contexts:");
  members.forEach((m, i) => {
    lines.push(`- name: ${i === 0 ? "raftplane" : `raftplane-${m.name}`}`, "  context:", `    cluster: raftplane-${m.name}`, "    user: admin", "    namespace: default");
  });
  lines.push("current-context: raftplane", "users:", "- name: admin", "  user: {}", "");
  return lines.join("\n");
}

export const upCommand: Command = {
  summary,
  async run(args) {
    if (args.includes("--help") || args.includes("-h")) {
      console.log(usageOf("up", summary, upFlags));
      return 0;
    }
    let n: number;
    let base: number;
    let apiBase: number;
    let values: Map<string, string>;
    try {
      values = parseFlags(upFlags, args, {});
      n = readInt(values, "members", 1);
      base = readInt(values, "client-port", 1);
      apiBase = readInt(values, "api-port", 1);
      if (base + 10000 * (n - 1) + 1 > 65535) throw new FlagError("--client-port and --members put ports past 65535");
      if (apiBase + n - 1 > 65535) throw new FlagError("--api-port and --members put ports past 65535");
    } catch (err) {
      if (!(err instanceof FlagError)) throw err;
      console.error(`raftplane up: ${err.message}`);
      return 2;
    }
    const host = values.get("host") ?? "127.0.0.1";
    const dataDir = resolve(values.get("data-dir") ?? "raftplane-data");
    mkdirSync(dataDir, { recursive: true });
    const members: Member[] = Array.from({ length: n }, (_, i) => ({
      name: `m${i + 1}`,
      clientUrl: `http://${host}:${base + 10000 * i}`,
      peerUrl: `http://${host}:${base + 10000 * i + 1}`,
      apiUrl: `http://${host}:${apiBase + i}`,
    }));
    const cluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
    for (const m of members) {
      const log = openSync(join(dataDir, `${m.name}.log`), "a");
      m.child = spawn(
        process.execPath,
        [
          binPath(), "server",
          "--name", m.name,
          "--data-dir", join(dataDir, m.name),
          "--listen-client-urls", m.clientUrl,
          "--advertise-client-urls", m.clientUrl,
          "--listen-peer-urls", m.peerUrl,
          "--initial-advertise-peer-urls", m.peerUrl,
          "--initial-cluster", cluster,
          "--initial-cluster-state", "new",
          "--api-listen", new URL(m.apiUrl).host,
          "--log-level", values.get("log-level") ?? "info",
        ],
        { stdio: ["ignore", log, log] },
      );
      m.child.on("exit", (code, signal) => {
        if (!stopping) console.error(`raftplane up: member ${m.name} exited (${signal ?? `code ${code}`}); see ${join(dataDir, `${m.name}.log`)}`);
      });
    }
    let stopping = false;
    const stop = (): void => {
      stopping = true;
      for (const m of members) m.child?.kill("SIGTERM");
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);

    process.stdout.write(`starting ${n} control-plane replicas in ${dataDir} `);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const states = await Promise.all(members.flatMap((m) => [healthy(`${m.clientUrl}/health`), healthy(`${m.apiUrl}/readyz`)]));
      if (states.every(Boolean)) break;
      if (stopping || Date.now() > deadline) {
        process.stdout.write("\n");
        console.error(`raftplane up: the cluster did not become healthy; see the logs in ${dataDir}`);
        stop();
        return 1;
      }
      process.stdout.write(".");
      await new Promise((r) => setTimeout(r, 300));
    }
    const endpoints = members.map((m) => new URL(m.clientUrl).host).join(",");
    const kubeconfigPath = join(dataDir, "kubeconfig");
    writeFileSync(kubeconfigPath, kubeconfig(members));
    console.log(" ready\n");
    for (const m of members) console.log(`  ${m.name}  API ${m.apiUrl}  client ${m.clientUrl}  peer ${m.peerUrl}`);
    console.log(`\nTry:\n  export KUBECONFIG=${kubeconfigPath}\n  kubectl get namespaces\n  kubectl create deployment web --image=nginx && kubectl get deployments -w`);
    console.log(`  ETCDCTL_API=3 etcdctl --endpoints=${endpoints} endpoint status -w table\n\nCtrl-C stops the cluster; its data stays in ${dataDir}.`);
    await Promise.all(members.map((m) => new Promise((r) => m.child?.once("exit", r))));
    return stopping ? 0 : 1;
  },
};
