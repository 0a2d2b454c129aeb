import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { GenericContainer, Wait, getContainerRuntimeClient } from "testcontainers";
import type { StartedTestContainer, WaitStrategy } from "testcontainers";
import type { CtlResult } from "../../integration/etcdctl.js";
import { describeRun, etcdctl } from "../../integration/etcdctl.js";
import type { HashKVAnswer, MemberAnswer, StatusAnswer } from "../../integration/grpc-client.js";
import { EtcdGrpc, hexId } from "../../integration/grpc-client.js";
import type { DelaySettings } from "./delay-proxy.js";
import { describeResult, ensureImage, onProcessExit, run, sleep } from "./docker.js";
import type { LinkFault } from "./netfilter.js";
import { bridgeFaults, isolateFaults, lossFaults, oneWayFaults, partitionFaults, restoreScript, setupScript } from "./netfilter.js";

// Ryuk, testcontainers' reaper, is an image from a registry that cannot be reached here; the
// cluster removes what it made itself (destroy(), the exit hook, and the sweep of leftovers).
process.env["TESTCONTAINERS_RYUK_DISABLED"] ??= "true";

/** The delay proxy's compiled file, copied into every member's namespace holder. */
const delayProxyScript = fileURLToPath(new URL("./delay-proxy.js", import.meta.url));

const clientPort = 2379;
const peerPort = 2380;
/** Where a member listens for peers when the delay proxy takes its advertised peer port. */
const memberPeerPort = 2381;
const controlPort = 2390;
const dataDir = "/var/lib/raftplane";

/**
 * Docker's way of turning off the image's HEALTHCHECK (the cluster checks members through the
 * etcd API; a health probe process every few seconds per member only costs CPU here).
 * testcontainers' type lists only the CMD forms.
 */
const noHealthCheck = { test: ["NONE"] } as unknown as Parameters<GenericContainer["withHealthCheck"]>[0];

const labelRun = "dev.raftplane.chaos";
const labelPid = "dev.raftplane.chaos.pid";

export interface ChaosClusterOptions {
  /** Members started together; default 3. */
  readonly size?: number;
  /**
   * Image with the raftplane binary; default $RAFTPLANE_IMAGE or raftplane:latest, built (or
   * found up to date) by scripts/build-image.sh first.
   */
  readonly image?: string;
  /** --heartbeat-interval in ms; default 100 (etcd's). */
  readonly heartbeatMs?: number;
  /** --election-timeout in ms; default 1000 (etcd's). */
  readonly electionMs?: number;
  /** --snapshot-count; default etcd's 100000. */
  readonly snapshotCount?: number;
  /**
   * Route each member's inbound peer traffic through a delay proxy in its namespace, so that
   * setDelay works; default true. Without it members listen for peers directly.
   */
  readonly delayProxy?: boolean;
  /** How long start, restart and join wait for the members to serve; default 60 s. */
  readonly readyTimeoutMs?: number;
  /** More `raftplane kv` flags for every member, such as the test-only `--unsafe-local-reads`. */
  readonly extraFlags?: readonly string[];
}

const defaults: Required<ChaosClusterOptions> = {
  size: 3,
  image: "",
  heartbeatMs: 100,
  electionMs: 1000,
  snapshotCount: 100_000,
  delayProxy: true,
  readyTimeoutMs: 60_000,
  extraFlags: [],
};

export const MemberState = {
  running: "running",
  paused: "paused",
  /** Killed or stopped; its container and data volume are kept for a restart. */
  down: "down",
  removed: "removed",
} as const;
export type MemberState = (typeof MemberState)[keyof typeof MemberState];

/**
 * One member: a holder container that owns the network namespace (its address, the published
 * client port, the delay proxy and the iptables rules, all of which outlive the member's own
 * restarts, as a Kubernetes pod's pause container), and the member's container inside it.
 */
export class ChaosMember {
  /** The member id, learned from its first Status answer (0 until then). */
  id = 0;
  state: MemberState = MemberState.down;
  /** The member's own container (absent before its first start). */
  kvContainerId = "";

  constructor(
    readonly name: string,
    /** Its DNS name on the cluster's network (the holder container's name). */
    readonly hostName: string,
    readonly holder: StartedTestContainer,
    /** Its address on the cluster's network. */
    readonly address: string,
    /** Host port published for its client port. */
    readonly hostClientPort: number,
    /** Host port published for its delay proxy's control port. */
    readonly hostControlPort: number,
    /** Process id of the holder, whose network namespace iptables is entered through. */
    readonly holderPid: number,
    /** The Docker volume holding its data directory. */
    readonly volume: string,
  ) {}

  /** Its client endpoint as etcdctl takes it from the host: 127.0.0.1:port. */
  get endpoint(): string {
    return `127.0.0.1:${this.hostClientPort}`;
  }

  /** The client URL it advertises (reachable on the cluster's network). */
  get clientUrl(): string {
    return `http://${this.hostName}:${clientPort}`;
  }

  get peerUrl(): string {
    return `http://${this.hostName}:${peerPort}`;
  }

  get kvContainerName(): string {
    return `${this.hostName}-kv`;
  }
}

/** A wait strategy that does not wait: the cluster checks readiness through the etcd API. */
class NoWait implements WaitStrategy {
  private timeoutMs = 60_000;
  private timeoutSet = false;
  waitUntilReady(): Promise<void> {
    return Promise.resolve();
  }
  withStartupTimeout(startupTimeoutMs: number): this {
    this.timeoutMs = startupTimeoutMs;
    this.timeoutSet = true;
    return this;
  }
  isStartupTimeoutSet(): boolean {
    return this.timeoutSet;
  }
  getStartupTimeout(): number {
    return this.timeoutMs;
  }
}

type RuntimeClient = Awaited<ReturnType<typeof getContainerRuntimeClient>>;

// Everything made here is removed when the process ends, however it ends: a failed assertion,
// an uncaught error, or the runner's SIGTERM must not leave containers, volumes or networks.
const liveClusters = new Set<ChaosCluster>();
let exitHooked = false;

function hookProcessExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  onProcessExit(() => {
    for (const c of liveClusters) c.destroySync();
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove containers, volumes and networks left by chaos clusters of test processes that no
 * longer exist (killed before their exit hook could run). Best effort.
 */
export async function sweepLeftovers(): Promise<number> {
  const client = await getContainerRuntimeClient();
  const docker = client.container.dockerode;
  const dead = (labels: Record<string, string> | undefined): boolean => {
    const pid = Number(labels?.[labelPid] ?? "0");
    return pid > 0 && pid !== process.pid && !pidAlive(pid);
  };
  let removed = 0;
  const containers = await docker.listContainers({ all: true, filters: { label: [labelPid] } });
  // Members before holders: a member lives in its holder's namespace.
  containers.sort((a, b) => Number(b.Names.some((n) => n.endsWith("-kv"))) - Number(a.Names.some((n) => n.endsWith("-kv"))));
  for (const c of containers) {
    if (!dead(c.Labels)) continue;
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    removed++;
  }
  const volumes = (await docker.listVolumes({ filters: { label: [labelPid] } })).Volumes ?? [];
  for (const v of volumes) {
    if (!dead(v.Labels ?? undefined)) continue;
    await docker.getVolume(v.Name).remove().catch(() => undefined);
    removed++;
  }
  for (const n of await docker.listNetworks({ filters: { label: [labelPid] } })) {
    if (!dead(n.Labels)) continue;
    await docker.getNetwork(n.Id).remove().catch(() => undefined);
    removed++;
  }
  return removed;
}

/** What replaceLeader did. */
export interface Replacement {
  readonly removed: ChaosMember;
  readonly added: ChaosMember;
}

/**
 * A raftplane KV cluster in containers on a fresh Docker network, started from the locally
 * built image with testcontainers, and the faults the chaos suite injects: kill -9 and
 * restart, pause, partitions and packet loss (iptables in the members' namespaces, entered
 * with nsenter), one-way latency (the delay proxy), restart of every member at once, and
 * membership changes. Clients reach every member from the host at `endpoint`.
 */
export class ChaosCluster {
  readonly members: ChaosMember[] = [];
  private readonly clients = new Map<string, EtcdGrpc>();
  private faults: LinkFault[] = [];
  private readonly delays = new Map<string, DelaySettings>();
  private nextIndex = 1;
  private destroyed = false;
  /** Every container, volume and network made, for teardown (also of half-started clusters). */
  private readonly madeContainers: string[] = [];
  private readonly madeVolumes: string[] = [];

  private constructor(
    private readonly client: RuntimeClient,
    /** Prefix of every name this cluster gives (containers, volumes, network). */
    readonly runId: string,
    readonly options: Required<ChaosClusterOptions>,
  ) {}

  /** The Docker network's name. */
  get networkName(): string {
    return this.runId;
  }

  /**
   * Make the network, start `size` members with --initial-cluster-state new, and wait until
   * they serve. On failure everything made so far is removed before the error is thrown.
   */
  static async start(options: ChaosClusterOptions = {}): Promise<ChaosCluster> {
    hookProcessExit();
    // The default image is built here if it is missing or stale; a given one is used as it is.
    const o: Required<ChaosClusterOptions> = { ...defaults, ...options, image: options.image ?? (await ensureImage()) };
    const client = await getContainerRuntimeClient();
    await sweepLeftovers().catch(() => 0);
    const runId = `rpchaos-${process.pid}-${randomBytes(3).toString("hex")}`;
    const cluster = new ChaosCluster(client, runId, o);
    liveClusters.add(cluster);
    try {
      await client.network.create({ Name: runId, Driver: "bridge", CheckDuplicate: true, Labels: cluster.labels() });
      const names = Array.from({ length: o.size }, () => `m${cluster.nextIndex++}`);
      const members = await Promise.all(names.map((n) => cluster.startHolder(n)));
      cluster.members.push(...members);
      const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
      await Promise.all(members.map((m) => cluster.startKv(m, initialCluster, "new")));
      await cluster.waitReady();
    } catch (err) {
      await cluster.printLogTails(`cluster did not start: ${(err as Error).message}`);
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  private labels(): Record<string, string> {
    return { [labelRun]: this.runId, [labelPid]: String(process.pid) };
  }

  private docker(): RuntimeClient["container"]["dockerode"] {
    return this.client.container.dockerode;
  }

  /** Start the namespace holder of a new member (its address, ports, proxy and rules). */
  private async startHolder(name: string): Promise<ChaosMember> {
    const hostName = `${this.runId}-${name}`;
    const volume = `${hostName}-data`;
    await this.docker().createVolume({ Name: volume, Labels: this.labels() });
    this.madeVolumes.push(volume);
    const proxyArgs = this.options.delayProxy ? ["--listen", String(peerPort), "--target", `127.0.0.1:${memberPeerPort}`] : [];
    const holder = await new GenericContainer(this.options.image)
      .withName(hostName)
      .withNetworkMode(this.networkName)
      .withEntrypoint(["node"])
      .withCommand(["/opt/chaos/delay-proxy.mjs", ...proxyArgs, "--control", String(controlPort)])
      .withCopyFilesToContainer([{ source: delayProxyScript, target: "/opt/chaos/delay-proxy.mjs", mode: 0o644 }])
      .withExposedPorts(clientPort, controlPort)
      .withHealthCheck(noHealthCheck)
      .withLabels(this.labels())
      .withWaitStrategy(Wait.forLogMessage("delay-proxy: ready"))
      .withStartupTimeout(30_000)
      .start();
    this.madeContainers.push(holder.getId());
    const info = await this.docker().getContainer(holder.getId()).inspect();
    const member = new ChaosMember(
      name,
      hostName,
      holder,
      holder.getIpAddress(this.networkName),
      holder.getMappedPort(clientPort),
      holder.getMappedPort(controlPort),
      info.State.Pid,
      volume,
    );
    await this.nsenterRestore(member, setupScript());
    return member;
  }

  private kvFlags(m: ChaosMember, initialCluster: string, state: "new" | "existing"): string[] {
    const o = this.options;
    const listenPeer = o.delayProxy ? `http://127.0.0.1:${memberPeerPort}` : `http://0.0.0.0:${peerPort}`;
    return [
      "kv",
      "--name", m.name,
      "--data-dir", `${dataDir}/${m.name}.etcd`,
      "--listen-client-urls", `http://0.0.0.0:${clientPort}`,
      "--advertise-client-urls", m.clientUrl,
      "--listen-peer-urls", listenPeer,
      "--initial-advertise-peer-urls", m.peerUrl,
      "--initial-cluster", initialCluster,
      "--initial-cluster-state", state,
      "--initial-cluster-token", this.runId,
      "--heartbeat-interval", String(o.heartbeatMs),
      "--election-timeout", String(o.electionMs),
      "--snapshot-count", String(o.snapshotCount),
      ...o.extraFlags,
    ];
  }

  /** Create and start the member's own container in its holder's namespace. */
  private async startKv(m: ChaosMember, initialCluster: string, state: "new" | "existing"): Promise<void> {
    const kv = await new GenericContainer(this.options.image)
      .withName(m.kvContainerName)
      .withNetworkMode(`container:${m.holder.getId()}`)
      .withBindMounts([{ source: m.volume, target: dataDir }])
      .withCommand(this.kvFlags(m, initialCluster, state))
      .withHealthCheck(noHealthCheck)
      .withLabels(this.labels())
      .withWaitStrategy(new NoWait())
      .start();
    m.kvContainerId = kv.getId();
    this.madeContainers.push(kv.getId());
    m.state = MemberState.running;
  }

  member(name: string): ChaosMember {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no member ${name} (members: ${this.members.map((x) => x.name).join(", ")})`);
    return m;
  }

  /** Members that are part of the cluster (not removed). */
  current(): ChaosMember[] {
    return this.members.filter((m) => m.state !== MemberState.removed);
  }

  /** Members whose process runs and is not paused. */
  running(): ChaosMember[] {
    return this.members.filter((m) => m.state === MemberState.running);
  }

  names(): string[] {
    return this.current().map((m) => m.name);
  }

  /** etcdctl --endpoints for the named members (default: every running one). */
  endpoints(names?: readonly string[]): string {
    const ms = names ? names.map((n) => this.member(n)) : this.running();
    return ms.map((m) => m.endpoint).join(",");
  }

  /** A gRPC client of one member through its published client port. */
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

  /** Run the host's etcdctl against the named members (default: every running one). */
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

  /** Maintenance.Status of one member. */
  async status(name: string, timeoutMs = 2000): Promise<StatusAnswer> {
    const s = await this.grpc(name).status(timeoutMs);
    this.member(name).id = s.header.memberId;
    return s;
  }

  /** Cluster.MemberList, asked of the first running member that answers. */
  async memberList(): Promise<MemberAnswer[]> {
    let last: unknown;
    for (const m of this.running()) {
      try {
        return await this.grpc(m.name).memberList();
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no running member answered MemberList: ${(last as Error | undefined)?.message ?? "none running"}`);
  }

  /**
   * The leader, by Maintenance Status: a member of `among` (default every running one) that
   * the answering members of `among` all report, at least a quorum of the cluster (or all of
   * `among`, if fewer). An isolated old leader that still believes in itself makes this wait
   * until it steps down; pass the majority side as `among` to ask only that side.
   */
  async leader(opts: { among?: readonly string[]; timeoutMs?: number } = {}): Promise<ChaosMember> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const quorum = Math.floor(this.current().length / 2) + 1;
    let seen = "";
    while (Date.now() < deadline) {
      const among = opts.among ? opts.among.map((n) => this.member(n)) : this.running();
      const reports = new Map<number, number>();
      const parts: string[] = [];
      await Promise.all(
        among.map(async (m) => {
          try {
            const s = await this.status(m.name, 1500);
            const l = s.leader ?? 0;
            parts.push(`${m.name}→${l === 0 ? "none" : hexId(l)}`);
            if (l !== 0) reports.set(l, (reports.get(l) ?? 0) + 1);
          } catch (err) {
            parts.push(`${m.name}: ${(err as Error).message}`);
          }
        }),
      );
      seen = parts.sort().join(", ");
      const [only] = reports.size === 1 ? [...reports] : [];
      if (only !== undefined && only[1] >= Math.min(quorum, among.length)) {
        // The leader must be one of the members asked: right after a cut, the majority side
        // still names the old leader until its election timeout passes.
        const leader = among.find((m) => m.id === only[0]);
        if (leader) return leader;
      }
      await sleep(200);
    }
    throw new Error(`no agreed leader after ${timeoutMs} ms; last seen: ${seen}`);
  }

  /**
   * Wait until every running member answers Status with a leader, all agree on it, it is one
   * of them, and the member list shows each running member with its name and client URL
   * (published once it joined).
   */
  async waitReady(timeoutMs = this.options.readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let problem = "not checked yet";
    while (Date.now() < deadline) {
      problem = await this.readiness();
      if (problem === "") return;
      await sleep(250);
    }
    throw new Error(`cluster not ready after ${timeoutMs} ms: ${problem}`);
  }

  private async readiness(): Promise<string> {
    const running = this.running();
    if (running.length === 0) return "no member is running";
    for (const m of running) {
      const exited = await this.kvExited(m);
      if (exited !== "") return `${m.name} ${exited}`;
    }
    const leaders = new Set<number>();
    for (const m of running) {
      try {
        const s = await this.status(m.name);
        if (!s.leader) return `${m.name} has no leader`;
        leaders.add(s.leader);
      } catch (err) {
        return `${m.name}: ${(err as Error).message}`;
      }
    }
    if (leaders.size !== 1) return `members disagree on the leader: ${[...leaders].map(hexId).join(", ")}`;
    // Right after the leader stops (or is removed) the others still name it for an election
    // timeout: a leader that does not run is no leader.
    const [leader] = [...leaders];
    if (!running.some((m) => m.id === leader)) return `the leader they name (${hexId(leader as number)}) is not running`;
    try {
      const list = await this.grpc((running[0] as ChaosMember).name).memberList();
      for (const m of running) {
        const entry = list.find((e) => e.ID === m.id);
        if (!entry) return `${m.name} (${hexId(m.id)}) is not in the member list`;
        if (entry.name !== m.name || !(entry.clientURLs ?? []).includes(m.clientUrl)) return `${m.name} has not published its name and client URL yet`;
      }
    } catch (err) {
      return `member list: ${(err as Error).message}`;
    }
    return "";
  }

  /** "" while the member's container runs; else how it ended. */
  private async kvExited(m: ChaosMember): Promise<string> {
    if (m.kvContainerId === "") return "has no container";
    const info = await this.docker().getContainer(m.kvContainerId).inspect();
    return info.State.Running ? "" : `exited with code ${info.State.ExitCode}`;
  }

  private async waitKvStopped(m: ChaosMember, timeoutMs = 20_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const info = await this.docker().getContainer(m.kvContainerId).inspect();
      if (!info.State.Running) return true;
      await sleep(100);
    }
    return false;
  }

  // ---- process faults ----

  /** kill -9 of the member's process (its container; data volume and namespace are kept). */
  async kill(name: string): Promise<void> {
    const m = this.member(name);
    this.dropClient(name);
    if (m.state === MemberState.paused) await this.docker().getContainer(m.kvContainerId).unpause();
    await this.docker().getContainer(m.kvContainerId).kill({ signal: "SIGKILL" });
    if (!(await this.waitKvStopped(m))) throw new Error(`${name} still runs after SIGKILL`);
    m.state = MemberState.down;
  }

  /** A clean stop: SIGTERM, then SIGKILL after graceSeconds (docker stop). */
  async stop(name: string, graceSeconds = 10): Promise<void> {
    const m = this.member(name);
    this.dropClient(name);
    await this.docker().getContainer(m.kvContainerId).stop({ t: graceSeconds });
    m.state = MemberState.down;
  }

  /** Start a killed or stopped member again on the same data volume, without waiting. */
  async start(name: string): Promise<void> {
    const m = this.member(name);
    if (m.state !== MemberState.down || m.kvContainerId === "") throw new Error(`${name} is ${m.state}, not down`);
    this.dropClient(name);
    await this.docker().getContainer(m.kvContainerId).start();
    m.state = MemberState.running;
  }

  /** Start a killed or stopped member again and wait until the cluster serves. */
  async restart(name: string): Promise<void> {
    await this.start(name);
    await this.waitReady();
  }

  /** kill -9 and start again at once; waits until the cluster serves. */
  async killAndRestart(name: string): Promise<void> {
    await this.kill(name);
    await this.restart(name);
  }

  /** docker pause: the member's processes are frozen (cgroup freezer); its sockets stay open. */
  async pause(name: string): Promise<void> {
    const m = this.member(name);
    if (m.state !== MemberState.running) throw new Error(`${name} is ${m.state}, not running`);
    await this.docker().getContainer(m.kvContainerId).pause();
    m.state = MemberState.paused;
  }

  async unpause(name: string): Promise<void> {
    const m = this.member(name);
    if (m.state !== MemberState.paused) throw new Error(`${name} is ${m.state}, not paused`);
    await this.docker().getContainer(m.kvContainerId).unpause();
    m.state = MemberState.running;
  }

  /**
   * Every member down at once and up again at once (a power cut: SIGKILL, the default; or
   * SIGTERM, a clean stop of the whole cluster). Waits until the cluster serves.
   */
  async restartAll(opts: { signal?: "SIGKILL" | "SIGTERM" } = {}): Promise<void> {
    const up = this.current().filter((m) => m.state !== MemberState.down);
    await Promise.all(up.map((m) => (opts.signal === "SIGTERM" ? this.stop(m.name) : this.kill(m.name))));
    await Promise.all(this.current().map((m) => this.start(m.name)));
    await this.waitReady();
  }

  // ---- network faults ----

  /** The faults in force. */
  activeFaults(): readonly LinkFault[] {
    return this.faults;
  }

  /** Cut every link between members of different groups (both directions). */
  partition(...groups: (readonly string[])[]): Promise<void> {
    return this.addFaults(partitionFaults(groups));
  }

  /** Cut one member off from all others. */
  isolate(name: string): Promise<void> {
    return this.addFaults(isolateFaults(name, this.names()));
  }

  /**
   * Split into a majority and a minority, with the current leader on the side asked for.
   * Returns the two sides.
   */
  async splitMajority(leaderSide: "majority" | "minority"): Promise<{ majority: string[]; minority: string[] }> {
    const all = this.names();
    const leader = (await this.leader()).name;
    const minoritySize = Math.floor((all.length - 1) / 2);
    const others = all.filter((n) => n !== leader);
    const minority = leaderSide === "minority" ? [leader, ...others.slice(0, minoritySize - 1)] : others.slice(0, minoritySize);
    const majority = all.filter((n) => !minority.includes(n));
    await this.partition(majority, minority);
    return { majority, minority };
  }

  /** Two halves that cannot talk, both talking to `bridge` (a five-member cluster: 2 + 1 + 2). */
  bridge(sideA: readonly string[], sideB: readonly string[], bridgeMember: string): Promise<void> {
    return this.addFaults(bridgeFaults(sideA, sideB, bridgeMember));
  }

  /** Packets from `from` to `to` are dropped; the other way is untouched. */
  dropOneWay(from: string, to: string): Promise<void> {
    return this.addFaults(oneWayFaults(from, to));
  }

  /** Drop each packet between the named members (default all) with this probability. */
  loss(probability: number, names: readonly string[] = this.names()): Promise<void> {
    return this.addFaults(lossFaults(names, probability));
  }

  /** Remove every network fault (partitions, one-way drops, loss). Delays are kept. */
  async heal(): Promise<void> {
    this.faults = [];
    await this.applyFaults();
  }

  private async addFaults(faults: readonly LinkFault[]): Promise<void> {
    for (const f of faults) {
      this.member(f.from);
      this.member(f.to);
    }
    this.faults = [...this.faults, ...faults];
    await this.applyFaults();
  }

  private async applyFaults(): Promise<void> {
    const addressOf = (name: string): string => this.member(name).address;
    await Promise.all(this.current().map((m) => this.nsenterRestore(m, restoreScript(m.name, this.faults, addressOf))));
  }

  /** iptables-restore (without flushing other chains) inside the member's namespace. */
  private async nsenterRestore(m: ChaosMember, script: string): Promise<void> {
    const r = await run("nsenter", ["-t", String(m.holderPid), "-n", "iptables-restore", "--noflush", "--wait"], { input: script, timeoutMs: 30_000 });
    if (r.code !== 0) {
      throw new Error(
        `iptables in ${m.name}'s namespace failed (needs root, nsenter and iptables on the host: ` +
          `apt-get install iptables): ${describeResult(r)}\n--- input\n${script}`,
      );
    }
  }

  /** The rules in force in a member's namespace (iptables -S), for diagnostics. */
  async rules(name: string): Promise<string> {
    const r = await run("nsenter", ["-t", String(this.member(name).holderPid), "-n", "iptables", "-S", "--wait"]);
    return r.code === 0 ? r.stdout : describeResult(r);
  }

  // ---- latency ----

  /**
   * Add `ms` (plus up to `jitterMs` at random) to everything sent from each member of `from`
   * to each member of `to` (defaults: every member), through the delay proxies. Later calls
   * overwrite the same links; clearDelays removes all.
   */
  async setDelay(opts: { ms: number; jitterMs?: number; from?: readonly string[]; to?: readonly string[] }): Promise<void> {
    if (!this.options.delayProxy) throw new Error("setDelay needs the delay proxy (start the cluster with delayProxy: true)");
    const from = opts.from ?? this.names();
    const to = opts.to ?? this.names();
    await Promise.all(
      to.map(async (receiver) => {
        const had = this.delays.get(receiver) ?? { defaultMs: 0, jitterMs: 0, bySource: {} };
        const bySource: Record<string, number> = { ...had.bySource };
        for (const sender of from) if (sender !== receiver) bySource[this.member(sender).address] = opts.ms;
        const next: DelaySettings = { defaultMs: had.defaultMs, jitterMs: opts.jitterMs ?? had.jitterMs, bySource };
        await this.putDelays(receiver, next);
        this.delays.set(receiver, next);
      }),
    );
  }

  /** Remove every added delay. */
  async clearDelays(): Promise<void> {
    if (!this.options.delayProxy) return;
    await Promise.all(this.current().map((m) => this.putDelays(m.name, { defaultMs: 0, jitterMs: 0, bySource: {} })));
    this.delays.clear();
  }

  private async putDelays(name: string, settings: DelaySettings): Promise<void> {
    const m = this.member(name);
    const res = await fetch(`http://127.0.0.1:${m.hostControlPort}/delays`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(settings),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`delay proxy of ${name} refused the settings: ${res.status} ${await res.text()}`);
  }

  // ---- consistency checks ----

  /** Maintenance.HashKV of one member at a revision (0: its latest). */
  hashKv(name: string, revision = 0): Promise<HashKVAnswer> {
    return this.grpc(name).hashKV(revision);
  }

  /**
   * Wait until the named members (default every running one) report the same revision and the
   * same HashKV (followers apply a moment after the leader); returns the hashes by member.
   */
  async hashesAgree(names?: readonly string[], timeoutMs = 30_000): Promise<Map<string, HashKVAnswer>> {
    const which = names ?? this.running().map((m) => m.name);
    const deadline = Date.now() + timeoutMs;
    let seen = "";
    while (Date.now() < deadline) {
      try {
        const answers = await Promise.all(which.map(async (n) => [n, await this.hashKv(n)] as const));
        seen = answers.map(([n, h]) => `${n} rev ${h.header.revision ?? 0} hash ${h.hash ?? 0}`).join("; ");
        const revs = new Set(answers.map(([, h]) => h.header.revision ?? 0));
        const hashes = new Set(answers.map(([, h]) => h.hash ?? 0));
        if (revs.size === 1 && hashes.size === 1) return new Map(answers);
      } catch (err) {
        seen = (err as Error).message;
      }
      await sleep(300);
    }
    throw new Error(`members ${which.join(",")} did not agree on HashKV within ${timeoutMs} ms; last seen: ${seen}`);
  }

  // ---- membership ----

  /**
   * Grow the cluster as etcd's runtime reconfiguration guide does: `etcdctl member add`, then
   * start the new member with --initial-cluster-state existing and the initial cluster that
   * member add printed. Waits until it serves.
   */
  async addMember(name = `m${this.nextIndex}`): Promise<ChaosMember> {
    if (this.members.some((m) => m.name === name)) throw new Error(`a member named ${name} exists already`);
    this.nextIndex = Math.max(this.nextIndex, Number(/^m(\d+)$/.exec(name)?.[1] ?? "0") + 1);
    const m = await this.startHolder(name);
    const added = await this.ctl(["member", "add", name, `--peer-urls=${m.peerUrl}`]);
    const initialCluster = /^ETCD_INITIAL_CLUSTER="([^"]*)"$/m.exec(added.stdout)?.[1];
    if (added.code !== 0 || initialCluster === undefined) {
      await this.removeContainers(m);
      throw new Error(`etcdctl member add ${name} failed: ${describeRun(added)}`);
    }
    this.members.push(m);
    await this.startKv(m, initialCluster, "existing");
    // New members share the others' delays and faults from now on.
    await this.applyFaults();
    try {
      await this.waitReady();
    } catch (err) {
      await this.printLogTails(`${name} did not join: ${(err as Error).message}`);
      throw err;
    }
    return m;
  }

  /**
   * `etcdctl member remove` (asked of the other members), then wait for the removed member to
   * stop by itself, as etcd's does (killed after 20 s if not), and remove its containers and
   * volume. Throws if etcdctl refuses.
   */
  async removeMember(name: string): Promise<{ result: CtlResult; exitedByItself: boolean }> {
    const m = this.member(name);
    if (m.id === 0) await this.status(name);
    const others = this.running().filter((x) => x !== m).map((x) => x.name);
    const result = await this.ctl(["member", "remove", hexId(m.id)], { members: others });
    if (result.code !== 0) throw new Error(`etcdctl member remove ${hexId(m.id)} failed: ${describeRun(result)}`);
    this.dropClient(name);
    const exitedByItself = m.state !== MemberState.running || (await this.waitKvStopped(m));
    this.faults = this.faults.filter((f) => f.from !== name && f.to !== name);
    m.state = MemberState.removed;
    await this.removeContainers(m);
    return { result, exitedByItself };
  }

  /** Remove the current leader from the cluster and add a new member in its place. */
  async replaceLeader(): Promise<Replacement> {
    const removed = await this.leader();
    await this.removeMember(removed.name);
    await this.waitReady();
    const added = await this.addMember();
    return { removed, added };
  }

  private async removeContainers(m: ChaosMember): Promise<void> {
    const ids = [m.kvContainerId, m.holder.getId()].filter((id) => id !== "");
    for (const id of ids) await this.docker().getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
    await this.docker().getVolume(m.volume).remove().catch(() => undefined);
  }

  /**
   * Undo every fault: heal the network, clear delays, unpause paused members, start members
   * that are down; then wait until the cluster serves. For afterEach between scenarios.
   */
  async recover(): Promise<void> {
    await this.heal();
    await this.clearDelays();
    for (const m of this.current()) {
      if (m.state === MemberState.paused) await this.unpause(m.name);
      if (m.state === MemberState.down) await this.start(m.name);
    }
    await this.waitReady();
  }

  // ---- diagnostics and teardown ----

  /** The last lines of a member's own log (its container's output). */
  async logs(name: string, lines = 60): Promise<string> {
    const m = this.member(name);
    if (m.kvContainerId === "") return "(never started)";
    if (m.state === MemberState.removed) return "(removed from the cluster; its containers are gone)";
    const r = await run("docker", ["logs", "--tail", String(lines), m.kvContainerId], { timeoutMs: 15_000 });
    return `${r.stdout}${r.stderr}`.trimEnd();
  }

  /** Print every member's log tail, its state and the faults in force to stderr. */
  async printLogTails(reason: string, lines = 40): Promise<void> {
    const parts = [`[chaos] ${reason}; cluster ${this.runId}, faults: ${this.faults.map((f) => `${f.from}->${f.to}@${f.probability}`).join(" ") || "none"}`];
    for (const m of this.members) {
      const tail = await this.logs(m.name, lines).catch((err: Error) => `(no log: ${err.message})`);
      parts.push(`--- ${m.name} (${m.state}, ${m.address}, ${m.endpoint}): last ${lines} lines\n${tail}`);
    }
    process.stderr.write(`${parts.join("\n")}\n`);
  }

  /**
   * For afterEach: print the members' logs when the test failed. node:test has set `passed`
   * on the context since Node 20.12 (it is not in @types/node 20); if absent, print.
   */
  async reportIfFailed(t: { readonly name: string }): Promise<void> {
    const passed = (t as { readonly passed?: boolean }).passed;
    if (passed !== true) await this.printLogTails(`test "${t.name}" did not pass`);
  }

  /**
   * Remove every container, volume and the network of this cluster, found by its label (so
   * also what a failed start left half made); safe to call twice.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const name of [...this.clients.keys()]) this.dropClient(name);
    const docker = this.docker();
    const label = { label: [`${labelRun}=${this.runId}`] };
    const listed = await docker.listContainers({ all: true, filters: label }).catch(() => []);
    const ids = new Set([...this.madeContainers, ...listed.map((c) => c.Id)]);
    // Members before holders: a member lives in its holder's namespace.
    const kvFirst = [...ids].sort((a, b) => Number(this.isKv(b, listed)) - Number(this.isKv(a, listed)));
    for (const id of kvFirst) await docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
    const volumes = (await docker.listVolumes({ filters: label }).catch(() => ({ Volumes: [] }))).Volumes ?? [];
    for (const v of new Set([...this.madeVolumes, ...volumes.map((x) => x.Name)])) await docker.getVolume(v).remove().catch(() => undefined);
    await docker.getNetwork(this.runId).remove().catch(() => undefined);
    liveClusters.delete(this);
  }

  private isKv(id: string, listed: readonly { Id: string; Names: string[] }[]): boolean {
    if (this.members.some((m) => m.kvContainerId === id)) return true;
    return listed.some((c) => c.Id === id && c.Names.some((n) => n.endsWith("-kv")));
  }

  /** destroy() for the process's exit hook, where nothing asynchronous runs any more. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const filter = `label=${labelRun}=${this.runId}`;
    const listed = spawnSync("docker", ["ps", "-aq", "--filter", filter], { encoding: "utf8", timeout: 30_000 }).stdout ?? "";
    const kv = this.members.map((m) => m.kvContainerId).filter((id) => id !== "");
    const others = [...new Set([...this.madeContainers, ...listed.split("\n").filter((x) => x !== "")])];
    for (const batch of [kv, others]) if (batch.length > 0) spawnSync("docker", ["rm", "-f", "-v", ...batch], { stdio: "ignore", timeout: 60_000 });
    const volumes = spawnSync("docker", ["volume", "ls", "-q", "--filter", filter], { encoding: "utf8", timeout: 30_000 }).stdout ?? "";
    const allVolumes = [...new Set([...this.madeVolumes, ...volumes.split("\n").filter((x) => x !== "")])];
    if (allVolumes.length > 0) spawnSync("docker", ["volume", "rm", "-f", ...allVolumes], { stdio: "ignore", timeout: 60_000 });
    spawnSync("docker", ["network", "rm", this.runId], { stdio: "ignore", timeout: 60_000 });
  }
}
