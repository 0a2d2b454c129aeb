import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CtlResult } from "./etcdctl.js";
import { describeRun, etcdctl } from "./etcdctl.js";
import { EtcdGrpc, hexId } from "./grpc-client.js";
import { freePorts, ManagedProcess, removeTempDir, sleep, tempDir } from "./process.js";

export { freePorts } from "./process.js";

/** dist/test/integration/cluster.js → dist/cmd/raftplane.js, the binary under test. */
const binary = fileURLToPath(new URL("../../cmd/raftplane.js", import.meta.url));

export interface ClusterOptions {
  /** Members started together; default 3. */
  readonly size?: number;
  /** --heartbeat-interval in ms; default 50 (etcd's is 100: shorter keeps failover tests quick). */
  readonly heartbeatMs?: number;
  /** --election-timeout in ms; default 500 (etcd's is 1000). */
  readonly electionMs?: number;
  /** --snapshot-count; default etcd's 100000. */
  readonly snapshotCount?: number;
  /** --quota-backend-bytes; default 0 (etcd's default quota). */
  readonly quotaBackendBytes?: number;
  /** --max-request-bytes; default etcd's 1.5 MiB. */
  readonly maxRequestBytes?: number;
  /** How long start, restart and join wait for members to serve; default 30 s. */
  readonly readyTimeoutMs?: number;
}

const defaults: Required<ClusterOptions> = {
  size: 3,
  heartbeatMs: 50,
  electionMs: 500,
  snapshotCount: 100_000,
  quotaBackendBytes: 0,
  maxRequestBytes: 1_572_864,
  readyTimeoutMs: 30_000,
};

/** A member could not bind a port picked for it. */
class PortTakenError extends Error {
  override readonly name = "PortTakenError";
}

/** One `raftplane kv` member: its ports, data directory, log file and (when running) process. */
export class ClusterMember extends ManagedProcess {
  /** The member id, learned from its first Status answer (0 until then). */
  id = 0;
  /** Set once the member is removed from the cluster; it is no longer started or waited for. */
  removed = false;
  /** After removeMember: whether the process stopped on its own, as etcd does. */
  exitedByItself = false;

  constructor(
    name: string,
    readonly clientPort: number,
    readonly peerPort: number,
    readonly dataDir: string,
    logFile: string,
    flags: readonly string[],
  ) {
    super(name, logFile, process.execPath, [binary, "kv", ...flags]);
  }

  /** For etcdctl's --endpoints, in the http:// form most guides use. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get clientUrl(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get peerUrl(): string {
    return `http://127.0.0.1:${this.peerPort}`;
  }
}

/** What `etcdctl member add` printed and the member it then started. */
export interface JoinedMember {
  readonly member: ClusterMember;
  readonly added: CtlResult;
}

/**
 * A cluster of `raftplane kv` child processes on loopback, started as etcd's documentation
 * starts one, with temporary data directories that are removed by destroy() (and at process
 * exit, whatever happens).
 */
export class Cluster {
  readonly members: ClusterMember[] = [];
  private readonly clients = new Map<string, EtcdGrpc>();
  private readonly token = `itest-${process.pid}-${Date.now().toString(36)}`;

  private constructor(
    readonly dir: string,
    readonly options: Required<ClusterOptions>,
  ) {}

  /**
   * Start `size` members with --initial-cluster-state new and wait until all serve. A port
   * picked free can be taken by another process before a member binds it: then it starts over
   * once on new ports.
   */
  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    try {
      return await Cluster.startOnce(options);
    } catch (err) {
      if (!(err instanceof PortTakenError)) throw err;
      return Cluster.startOnce(options);
    }
  }

  private static async startOnce(options: ClusterOptions): Promise<Cluster> {
    const o = { ...defaults, ...options };
    const dir = tempDir("raftplane-it-");
    const cluster = new Cluster(dir, o);
    try {
      const ports = await freePorts(2 * o.size);
      const specs = Array.from({ length: o.size }, (_, i) => ({
        name: `m${i + 1}`,
        client: ports[2 * i] as number,
        peer: ports[2 * i + 1] as number,
      }));
      const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(",");
      for (const s of specs) cluster.members.push(cluster.makeMember(s.name, s.client, s.peer, initialCluster, "new"));
      for (const m of cluster.members) m.spawn();
      await cluster.waitReady();
    } catch (err) {
      const portTaken = cluster.members.some((m) => m.crashed !== undefined && m.log().includes("EADDRINUSE"));
      cluster.printLogTails(`cluster did not start: ${(err as Error).message}`);
      await cluster.destroy();
      throw portTaken ? new PortTakenError((err as Error).message, { cause: err }) : err;
    }
    return cluster;
  }

  private makeMember(name: string, client: number, peer: number, initialCluster: string, state: "new" | "existing"): ClusterMember {
    const o = this.options;
    const flags = [
      "--name", name,
      "--data-dir", join(this.dir, `${name}.etcd`),
      "--listen-client-urls", `http://127.0.0.1:${client}`,
      "--advertise-client-urls", `http://127.0.0.1:${client}`,
      "--listen-peer-urls", `http://127.0.0.1:${peer}`,
      "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
      "--initial-cluster", initialCluster,
      "--initial-cluster-state", state,
      "--initial-cluster-token", this.token,
      "--heartbeat-interval", String(o.heartbeatMs),
      "--election-timeout", String(o.electionMs),
      "--snapshot-count", String(o.snapshotCount),
      "--quota-backend-bytes", String(o.quotaBackendBytes),
      "--max-request-bytes", String(o.maxRequestBytes),
    ];
    return new ClusterMember(name, client, peer, join(this.dir, `${name}.etcd`), join(this.dir, `${name}.log`), flags);
  }

  member(name: string): ClusterMember {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  }

  /** Members whose process is up. */
  running(): ClusterMember[] {
    return this.members.filter((m) => m.running);
  }

  /** etcdctl --endpoints for the named members (default: every running one). */
  endpoints(names?: readonly string[]): string {
    const ms = names ? names.map((n) => this.member(n)) : this.running();
    return ms.map((m) => m.endpoint).join(",");
  }

  /** A gRPC client of one member (recreated after restarts, so no reconnect backoff applies). */
  grpc(name: string): EtcdGrpc {
    let c = this.clients.get(name);
    if (!c) {
      c = new EtcdGrpc(this.member(name).endpoint);
      this.clients.set(name, c);
    }
    return c;
  }

  private dropClient(name: string): void {
    this.clients.get(name)?.close();
    this.clients.delete(name);
  }

  /** Run etcdctl against the named members (default: every running one). */
  ctl(args: readonly string[], opts: { members?: readonly string[]; input?: string; timeoutMs?: number } = {}): Promise<CtlResult> {
    return etcdctl(args, {
      endpoints: this.endpoints(opts.members),
      ...(opts.input === undefined ? {} : { input: opts.input }),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    });
  }

  /** Like ctl, but throws (with the output) unless etcdctl exits 0; returns stdout. */
  async ctlOk(args: readonly string[], opts: { members?: readonly string[]; input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.ctl(args, opts);
    if (r.code !== 0) throw new Error(`etcdctl ${args.join(" ")} failed: ${describeRun(r)}`);
    return r.stdout;
  }

  /**
   * Wait until every running member answers Status with a leader, all agree on it, and the
   * member list shows each running member's name and client URL (published once it joined).
   */
  async waitReady(timeoutMs = this.options.readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let problem = "not checked yet";
    while (Date.now() < deadline) {
      const crashed = this.members.filter((m) => m.crashed !== undefined && !m.removed);
      if (crashed.length > 0) {
        throw new Error(`member ${crashed.map((m) => `${m.name} ${m.crashed as string}`).join(", ")} unexpectedly`);
      }
      problem = await this.readiness();
      if (problem === "") return;
      await sleep(100);
    }
    throw new Error(`cluster not ready after ${timeoutMs} ms: ${problem}`);
  }

  private async readiness(): Promise<string> {
    const running = this.running().filter((m) => !m.removed);
    if (running.length === 0) return "no member is running";
    const leaders = new Set<number>();
    for (const m of running) {
      try {
        const s = await this.grpc(m.name).status();
        m.id = s.header.memberId;
        if (!s.leader) return `${m.name} has no leader`;
        leaders.add(s.leader);
      } catch (err) {
        return `${m.name}: ${(err as Error).message}`;
      }
    }
    if (leaders.size !== 1) return `members disagree on the leader: ${[...leaders].map(hexId).join(", ")}`;
    try {
      const list = await this.grpc(running[0]?.name as string).memberList();
      for (const m of running) {
        const entry = list.find((e) => e.ID === m.id);
        if (!entry) return `${m.name} (${hexId(m.id)}) is not in the member list`;
        if (entry.name !== m.name || !(entry.clientURLs ?? []).includes(m.clientUrl)) {
          return `${m.name} has not published its name and client URL yet`;
        }
      }
    } catch (err) {
      return `member list: ${(err as Error).message}`;
    }
    return "";
  }

  /** The current leader, once the running members agree on one. */
  async leader(timeoutMs = 15_000): Promise<ClusterMember> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const m of this.running()) {
        try {
          const s = await this.grpc(m.name).status();
          m.id = s.header.memberId;
          if (s.leader === m.id) return m;
        } catch {
          // down or electing: ask the next one
        }
      }
      await sleep(100);
    }
    throw new Error(`no leader among ${this.running().map((m) => m.name).join(",")} after ${timeoutMs} ms`);
  }

  async followers(): Promise<ClusterMember[]> {
    const leader = await this.leader();
    return this.running().filter((m) => m !== leader && !m.removed);
  }

  /** kill -9: no chance to flush or close anything. */
  async kill(name: string): Promise<void> {
    this.dropClient(name);
    await this.member(name).signal("SIGKILL");
  }

  /** A clean stop (SIGTERM), as an operator's systemctl stop. */
  async stop(name: string): Promise<void> {
    this.dropClient(name);
    await this.member(name).signal("SIGTERM");
  }

  /** Start a stopped member again on its data directory, without waiting. */
  spawn(name: string): void {
    this.dropClient(name);
    this.member(name).spawn();
  }

  /** Start a stopped member again on its data directory and wait until the cluster serves. */
  async restart(name: string): Promise<void> {
    this.spawn(name);
    await this.waitReady();
  }

  /**
   * Grow the cluster as etcd's runtime reconfiguration guide does: `etcdctl member add`, then
   * start the new member with --initial-cluster-state existing and the initial cluster that
   * member add printed.
   */
  async addMember(name: string): Promise<JoinedMember> {
    const joined = await this.announceMember(name);
    await this.startJoined(joined.member);
    return joined;
  }

  /** The first half of addMember: `etcdctl member add` only; the member is not started. */
  async announceMember(name: string): Promise<JoinedMember> {
    const [client, peer] = (await freePorts(2)) as [number, number];
    const added = await this.ctl(["member", "add", name, `--peer-urls=http://127.0.0.1:${peer}`]);
    if (added.code !== 0) throw new Error(`etcdctl member add failed: ${describeRun(added)}`);
    const initialCluster = /^ETCD_INITIAL_CLUSTER="([^"]*)"$/m.exec(added.stdout)?.[1];
    const state = /^ETCD_INITIAL_CLUSTER_STATE="([^"]*)"$/m.exec(added.stdout)?.[1];
    if (initialCluster === undefined || state !== "existing") {
      throw new Error(`etcdctl member add printed no initial cluster to join with: ${describeRun(added)}`);
    }
    const member = this.makeMember(name, client, peer, initialCluster, "existing");
    this.members.push(member);
    return { member, added };
  }

  /** The second half of addMember: start an announced member and wait until it serves. */
  async startJoined(member: ClusterMember): Promise<void> {
    member.spawn();
    try {
      await this.waitReady();
    } catch (err) {
      this.printLogTails(`${member.name} did not join: ${(err as Error).message}`);
      throw err;
    }
  }

  /** `etcdctl member remove`, then end the removed member's process. */
  async removeMember(name: string): Promise<CtlResult> {
    const m = this.member(name);
    if (m.id === 0) await this.waitReady();
    const others = this.running().filter((x) => x !== m).map((x) => x.name);
    const r = await this.ctl(["member", "remove", hexId(m.id)], { members: others });
    if (r.code === 0) {
      m.removed = true;
      // etcd stops a removed member by itself, and so must raftplane; stop it here if not.
      m.exitedByItself = await m.exitsWithin(20_000);
      if (!m.exitedByItself) await this.stop(name);
    }
    return r;
  }

  /** Print every member's log tail to stderr (the runner shows it with the failure). */
  printLogTails(reason: string, lines = 40): void {
    const parts = [`[test harness] ${reason}; member logs in ${this.dir}:`];
    for (const m of this.members) parts.push(`--- ${m.name} (${m.running ? `pid ${m.pid}` : "not running"}): last ${lines} lines\n${m.logTail(lines)}`);
    process.stderr.write(`${parts.join("\n")}\n`);
  }

  /**
   * For afterEach: print the members' log tails when the test failed. node:test has set
   * `passed` on the context since Node 20.12 (it is not in @types/node 20); if absent, print.
   */
  reportIfFailed(t: { readonly name: string }): void {
    const passed = (t as { readonly passed?: boolean }).passed;
    if (passed !== true) this.printLogTails(`test "${t.name}" did not pass`);
  }

  /** Kill every member and remove the data directories and logs. */
  async destroy(): Promise<void> {
    for (const name of [...this.clients.keys()]) this.dropClient(name);
    await Promise.all(this.members.map((m) => m.signal("SIGKILL")));
    removeTempDir(this.dir);
  }
}
