import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../internal/etcdapi/index.js";

/** dist/bench/kv/cluster.js → dist/cmd/raftplane.js. */
const raftplaneBinary = fileURLToPath(new URL("../../cmd/raftplane.js", import.meta.url));
export const etcdBinary = "/usr/bin/etcd";

/**
 * Extra Node flags for raftplane members, e.g. BENCH_MEMBER_NODE_FLAGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof" to see where a member's time goes (Node refuses --cpu-prof in
 * NODE_OPTIONS). Profiles are written when destroy() stops the members.
 */
const memberNodeFlags = (process.env["BENCH_MEMBER_NODE_FLAGS"] ?? "").split(/\s+/).filter((f) => f !== "");

export const Targets = ["raftplane", "etcd"] as const;
export type Target = (typeof Targets)[number];

export interface ClusterMember {
  readonly name: string;
  readonly clientPort: number;
  /** The Kubernetes API server's port, when the member is a `raftplane server` replica. */
  readonly apiPort: number | undefined;
  readonly process: ChildProcess;
  readonly logFile: string;
}

export interface ClusterOptions {
  /** Members; default 3. */
  readonly size?: number;
  readonly heartbeatMs?: number;
  readonly electionMs?: number;
  /**
   * raftplane only: start `raftplane server` replicas (each a KV member with the same etcd flags
   * plus the Kubernetes API server on its own port) instead of `raftplane kv` members.
   */
  readonly apiServer?: boolean;
}

// Members and data directories are ended whenever the bench process ends: a thrown error,
// Ctrl-C or SIGTERM must not leave a cluster running to skew the next target's figures.
const liveProcesses = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHooked = false;

function hookProcessExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", () => {
    for (const p of liveProcesses) p.kill("SIGKILL");
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, tearing down clusters\n`);
      process.exit(code);
    });
  }
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => {
      const s = createServer();
      return new Promise<typeof s>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve(s));
      });
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long destroy() lets members stop on SIGTERM before it kills them. */
const stopGraceMs = 3000;

/** `raftplane server --datastore-request-timeout`: how long a store request may take before a 503. */
export const apiStoreTimeoutMs = 5000;

type UnaryFn = (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: object) => void) => void;

interface StatusAnswer {
  readonly header?: { readonly memberId?: number };
  readonly leader?: number;
}

function status(endpoint: string, timeoutMs: number): Promise<StatusAnswer> {
  const Ctor = grpc.makeGenericClientConstructor(serviceDefinition("Maintenance"), "Maintenance");
  const client = new Ctor(endpoint, grpc.credentials.createInsecure()) as grpc.Client & Record<string, UnaryFn>;
  return new Promise<StatusAnswer>((resolve, reject) => {
    (client["Status"] as UnaryFn).call(client, {}, { deadline: Date.now() + timeoutMs }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res as StatusAnswer);
    });
  });
}

/**
 * A cluster of one target on loopback, started with the same etcd flags whichever binary it is
 * (raftplane kv takes exactly etcd's), so the two differ only in the server.
 */
export class BenchCluster {
  private readonly lastCpuTicks = new Map<string, number>();

  private constructor(
    readonly target: Target,
    readonly dir: string,
    readonly members: ClusterMember[],
  ) {}

  /** host:port of every member's client listener. */
  get endpoints(): string[] {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`);
  }

  /** http://host:port of every member's API server (started with `apiServer`); empty otherwise. */
  get apiUrls(): string[] {
    return this.members.flatMap((m) => (m.apiPort === undefined ? [] : [`http://127.0.0.1:${m.apiPort}`]));
  }

  static async start(target: Target, options: ClusterOptions = {}): Promise<BenchCluster> {
    const { size = 3, heartbeatMs = 100, electionMs = 1000, apiServer = false } = options;
    if (apiServer && target !== "raftplane") throw new Error(`${target} has no API server: only raftplane members can run one`);
    hookProcessExit();
    const dir = mkdtempSync(join(tmpdir(), `raftplane-bench-${apiServer ? "server" : target}-`));
    liveDirs.add(dir);
    const ports = await freePorts(3 * size);
    const token = `bench-${target}-${process.pid}-${Date.now().toString(36)}`;
    const specs = Array.from({ length: size }, (_, i) => ({
      name: `m${i + 1}`,
      client: ports[3 * i] as number,
      peer: ports[3 * i + 1] as number,
      api: apiServer ? (ports[3 * i + 2] as number) : undefined,
    }));
    const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(",");
    const members = specs.map((s) => {
      const flags = [
        "--name", s.name,
        "--data-dir", join(dir, `${s.name}.etcd`),
        "--listen-client-urls", `http://127.0.0.1:${s.client}`,
        "--advertise-client-urls", `http://127.0.0.1:${s.client}`,
        "--listen-peer-urls", `http://127.0.0.1:${s.peer}`,
        "--initial-advertise-peer-urls", `http://127.0.0.1:${s.peer}`,
        "--initial-cluster", initialCluster,
        "--initial-cluster-state", "new",
        "--initial-cluster-token", token,
        "--heartbeat-interval", String(heartbeatMs),
        "--election-timeout", String(electionMs),
      ];
      // The API server's own flags; the store request timeout is its default, written out so
      // the JSON of a run can say what it was. Warnings only: logging is not what is measured.
      if (s.api !== undefined) flags.push("--api-listen", `127.0.0.1:${s.api}`, "--datastore-request-timeout", String(apiStoreTimeoutMs), "--log-level", "warn");
      const logFile = join(dir, `${s.name}.log`);
      const fd = openSync(logFile, "a");
      const child =
        target === "etcd"
          ? spawn(etcdBinary, flags, { stdio: ["ignore", fd, fd] })
          : spawn(process.execPath, [...memberNodeFlags, raftplaneBinary, apiServer ? "server" : "kv", ...flags], { stdio: ["ignore", fd, fd] });
      closeSync(fd);
      liveProcesses.add(child);
      child.once("exit", () => liveProcesses.delete(child));
      return { name: s.name, clientPort: s.client, apiPort: s.api, process: child, logFile };
    });
    const cluster = new BenchCluster(target, dir, members);
    try {
      await cluster.waitForLeader(30_000);
      if (apiServer) await cluster.waitForApi(30_000);
    } catch (err) {
      for (const m of members) process.stderr.write(`--- ${target} ${m.name} log tail:\n${tail(m.logFile)}\n`);
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  /** Until every member answers Status naming the same, non-zero leader. */
  private async waitForLeader(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let problem = "not asked yet";
    while (Date.now() < deadline) {
      const dead = this.members.find((m) => m.process.exitCode !== null || m.process.signalCode !== null);
      if (dead) {
        const how = dead.process.signalCode !== null ? `killed by ${dead.process.signalCode}` : `exited with code ${dead.process.exitCode}`;
        throw new Error(`${this.target} ${dead.name} ${how} while starting (log ${dead.logFile})`);
      }
      try {
        const answers = await Promise.all(this.endpoints.map((e) => status(e, 1000)));
        const leaders = new Set(answers.map((a) => a.leader ?? 0));
        if (leaders.size === 1 && !leaders.has(0)) return;
        problem = `leaders seen: ${[...leaders].join(", ")}`;
      } catch (err) {
        problem = (err as Error).message;
      }
      await sleep(200);
    }
    throw new Error(`${this.target} cluster had no agreed leader after ${timeoutMs} ms: ${problem}`);
  }

  /**
   * Until every member's API server answers /readyz and serves the kube-system namespace (its
   * watch caches listed the store and the system namespaces exist), as test/e2e waits.
   */
  private async waitForApi(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let problem = "not asked yet";
    while (Date.now() < deadline) {
      const dead = this.exited()[0];
      if (dead) throw new Error(`${this.target} ${dead.name} ${dead.how} while starting its API server`);
      problem = "";
      for (const url of this.apiUrls) {
        try {
          const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
          if (!ready.ok) problem = `${url}/readyz: ${ready.status} ${(await ready.text()).trim()}`;
          else {
            const ns = await fetch(`${url}/api/v1/namespaces/kube-system`, { signal: AbortSignal.timeout(2000) });
            await ns.arrayBuffer();
            if (!ns.ok) problem = `${url}: kube-system not there yet (${ns.status})`;
          }
        } catch (err) {
          problem = `${url}: ${(err as Error).message}`;
        }
        if (problem !== "") break;
      }
      if (problem === "") return;
      await sleep(200);
    }
    throw new Error(`${this.target} API servers not ready after ${timeoutMs} ms: ${problem}`);
  }

  /** utime + stime of all members in seconds, from /proc, to show where the machine's CPU went. */
  serverCpuSeconds(): number {
    let ticks = 0;
    for (const m of this.members) {
      try {
        const stat = readFileSync(`/proc/${m.process.pid}/stat`, "utf8");
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        this.lastCpuTicks.set(m.name, Number(fields[11]) + Number(fields[12]));
      } catch {
        // a member that ended keeps the figure last read, so a window's difference stays >= 0
      }
      ticks += this.lastCpuTicks.get(m.name) ?? 0;
    }
    return ticks / 100; // USER_HZ is 100 on Linux
  }

  /** Members that have ended (none should, before destroy()): how, and the end of their log. */
  exited(): { readonly name: string; readonly how: string; readonly logTail: string }[] {
    return this.members
      .filter((m) => m.process.exitCode !== null || m.process.signalCode !== null)
      .map((m) => ({
        name: m.name,
        how: m.process.signalCode !== null ? `killed by ${m.process.signalCode}` : `exited with code ${m.process.exitCode}`,
        logTail: tail(m.logFile),
      }));
  }

  /** VmRSS and VmHWM (peak RSS) of each member in MB, from /proc/<pid>/status; NaN once ended. */
  memory(): { readonly name: string; readonly rssMB: number; readonly peakMB: number }[] {
    return this.members.map((m) => {
      let status = "";
      try {
        status = readFileSync(`/proc/${m.process.pid}/status`, "utf8");
      } catch {
        // a member that already ended has no figures
      }
      const kB = (field: string): number => {
        const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
        return match ? Number(match[1]) : Number.NaN;
      };
      return { name: m.name, rssMB: kB("VmRSS") / 1024, peakMB: kB("VmHWM") / 1024 };
    });
  }

  /** host:port of the member that is leader now, as the members' Status answers say. */
  async leaderEndpoint(): Promise<string> {
    const answers = await Promise.all(this.endpoints.map((e) => status(e, 5000)));
    const i = answers.findIndex((a) => a.leader !== undefined && a.header?.memberId === a.leader);
    if (i < 0) throw new Error(`${this.target}: no member says it is the leader`);
    return this.endpoints[i] as string;
  }

  /**
   * Every member's host:port, the leader's first: load tools deal connections over this list, so
   * a single connection always goes to the leader, as in etcd's published write figures, and
   * a run does not depend on which member won the election.
   */
  async endpointsLeaderFirst(): Promise<string[]> {
    const leader = await this.leaderEndpoint();
    return [leader, ...this.endpoints.filter((e) => e !== leader)];
  }

  /**
   * Stops every member: SIGTERM first, so a member run under `--cpu-prof` (NODE_OPTIONS) can
   * write its profile, then SIGKILL for any still running after a few seconds.
   */
  async destroy(): Promise<void> {
    await Promise.all(
      this.members.map(
        (m) =>
          new Promise<void>((resolve) => {
            if (m.process.exitCode !== null || m.process.signalCode !== null) return resolve();
            const kill = setTimeout(() => m.process.kill("SIGKILL"), stopGraceMs);
            m.process.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            m.process.kill("SIGTERM");
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
    liveDirs.delete(this.dir);
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
