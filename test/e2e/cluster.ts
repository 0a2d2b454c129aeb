/**
 * The e2e launcher: `raftplane server` replicas as child processes on free loopback ports
 * (processes and cleanup from test/integration/process.ts), each a KV member plus the API server, or API
 * servers on an external store (--datastore-endpoints). Temporary directories and processes
 * are removed however the test process ends.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManagedProcess, freePorts, removeTempDir, sleep, tempDir } from "../integration/process.js";

export { freePorts, hookProcessExit, ManagedProcess, sleep, tempDir } from "../integration/process.js";

/** dist/test/e2e/cluster.js → dist/cmd/raftplane.js, the binary under test. */
const binary = fileURLToPath(new URL("../../cmd/raftplane.js", import.meta.url));

/** One `raftplane server` replica. */
export class Replica extends ManagedProcess {
  constructor(
    name: string,
    readonly apiPort: number,
    readonly clientPort: number,
    logFile: string,
    flags: readonly string[],
  ) {
    super(name, logFile, process.execPath, [binary, "server", ...flags]);
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }
}

export interface ServerClusterOptions {
  /** Replicas; default 3. */
  readonly size?: number;
  /** External etcd v3 endpoints: the replicas then run no KV member. */
  readonly datastoreEndpoints?: string;
  /** --datastore-request-timeout in ms; default 3000. */
  readonly storeTimeoutMs?: number;
  /** How long start waits for every replica to serve; default 30 s. */
  readonly readyTimeoutMs?: number;
}

/** A kubeconfig whose only cluster is one API server, namespace default. */
export function writeKubeconfig(path: string, server: string): string {
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: raftplane, cluster: {server: '${server}'}}]`,
      "contexts: [{name: raftplane, context: {cluster: raftplane, user: admin, namespace: default}}]",
      "current-context: raftplane",
      "users: [{name: admin, user: {}}]",
      "",
    ].join("\n"),
  );
  return path;
}

export class ServerCluster {
  readonly replicas: Replica[] = [];

  private constructor(
    readonly dir: string,
    private readonly readyTimeoutMs: number,
  ) {}

  static async start(options: ServerClusterOptions = {}): Promise<ServerCluster> {
    const size = options.size ?? 3;
    const dir = tempDir("raftplane-e2e-");
    const cluster = new ServerCluster(dir, options.readyTimeoutMs ?? 30_000);
    const ports = await freePorts(3 * size);
    const token = `e2e-${process.pid}-${Date.now().toString(36)}`;
    const peers = Array.from({ length: size }, (_, i) => `s${i + 1}=http://127.0.0.1:${ports[3 * i + 2] as number}`).join(",");
    for (let i = 0; i < size; i++) {
      const [api, client, peer] = [ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]] as [number, number, number];
      const name = `s${i + 1}`;
      const flags = [
        "--name", name,
        "--data-dir", join(dir, `${name}.etcd`),
        "--listen-client-urls", `http://127.0.0.1:${client}`,
        "--advertise-client-urls", `http://127.0.0.1:${client}`,
        "--listen-peer-urls", `http://127.0.0.1:${peer}`,
        "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
        "--initial-cluster", peers,
        "--initial-cluster-token", token,
        "--heartbeat-interval", "50",
        "--election-timeout", "500",
        "--api-listen", `127.0.0.1:${api}`,
        "--datastore-request-timeout", String(options.storeTimeoutMs ?? 3000),
        "--log-level", "warn",
      ];
      if (options.datastoreEndpoints !== undefined) flags.push("--datastore-endpoints", options.datastoreEndpoints);
      cluster.replicas.push(new Replica(name, api, client, join(dir, `${name}.log`), flags));
    }
    for (const r of cluster.replicas) r.spawn();
    try {
      await cluster.waitReady();
    } catch (err) {
      cluster.printLogTails(`cluster did not start: ${(err as Error).message}`);
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  replica(name: string): Replica {
    const r = this.replicas.find((x) => x.name === name);
    if (r === undefined) throw new Error(`no replica ${name}`);
    return r;
  }

  running(): Replica[] {
    return this.replicas.filter((r) => r.running);
  }

  /** A kubeconfig file pointing at one replica's API server. */
  kubeconfig(name: string): string {
    return writeKubeconfig(join(this.dir, `kubeconfig-${name}`), this.replica(name).apiUrl);
  }

  /** Wait until every running replica is ready and sees the system namespaces. */
  async waitReady(timeoutMs = this.readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let problem = "not checked yet";
    while (Date.now() < deadline) {
      const crashed = this.replicas.filter((r) => r.crashed !== undefined);
      if (crashed.length > 0) throw new Error(`replica ${crashed.map((r) => `${r.name} ${r.crashed as string}`).join(", ")} unexpectedly`);
      problem = "";
      for (const r of this.running()) {
        try {
          const ready = await fetch(`${r.apiUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
          if (!ready.ok) {
            problem = `${r.name} /readyz: ${await ready.text()}`;
            break;
          }
          const ns = await fetch(`${r.apiUrl}/api/v1/namespaces/kube-system`, { signal: AbortSignal.timeout(2000) });
          if (!ns.ok) {
            problem = `${r.name}: kube-system not there yet (${ns.status})`;
            break;
          }
        } catch (err) {
          problem = `${r.name}: ${(err as Error).message}`;
          break;
        }
      }
      if (problem === "") return;
      await sleep(150);
    }
    throw new Error(`cluster not ready after ${timeoutMs} ms: ${problem}`);
  }

  /** The replica whose KV member leads, by its etcd_server_is_leader metric (undefined with an external store). */
  async leader(timeoutMs = 10_000): Promise<Replica | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const r of this.running()) {
        try {
          const res = await fetch(`http://127.0.0.1:${r.clientPort}/metrics`, { signal: AbortSignal.timeout(1000) });
          if (/^etcd_server_is_leader 1$/m.test(await res.text())) return r;
        } catch {
          // not serving: ask the next one
        }
      }
      await sleep(100);
    }
    return undefined;
  }

  async kill(name: string): Promise<void> {
    await this.replica(name).signal("SIGKILL");
  }

  printLogTails(reason: string, lines = 30): void {
    const parts = [`[test harness] ${reason}; logs in ${this.dir}:`];
    for (const r of this.replicas) parts.push(`--- ${r.name} (${r.running ? "running" : "not running"}): last ${lines} lines\n${r.logTail(lines)}`);
    process.stderr.write(`${parts.join("\n")}\n`);
  }

  async destroy(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.signal("SIGKILL")));
    removeTempDir(this.dir);
  }
}
