import { MemoryStorage, ProposalDroppedError } from "../../internal/raft/index.js";
import type { ConfChange, Message, PlantedBug } from "../../internal/raft/index.js";
import type { ConvergenceGap, MemberState, Violation } from "./checkers.js";
import { Invariant, convergenceGap } from "./checkers.js";
import { Network } from "./network.js";
import type { NodeSettings } from "./node.js";
import { SimNode } from "./node.js";
import { Observer } from "./observer.js";
import { encodeProposal, encodeReadContext } from "./payload.js";
import { Prng } from "./prng.js";
import type { Action, Profile } from "./profile.js";
import { ActionPicker, drawProfile } from "./profile.js";
import { Trace } from "./trace.js";

export interface SimOptions {
  readonly seed: number;
  /** Founding voters: 3 or 5. */
  readonly nodes: number;
  /** Random actions in the fault phase, before the liveness phase. */
  readonly steps: number;
  readonly bugs?: readonly PlantedBug[];
  /** How many of the last events the result's trace keeps (default 30). */
  readonly traceLength?: number;
  /** Rounds (deliver everything, then tick every node) the liveness phase may take. */
  readonly livenessRounds?: number;
}

export interface SimResult {
  readonly seed: number;
  readonly violation?: Violation & { readonly step: number };
  /** The last events, formatted, oldest first. */
  readonly trace: readonly string[];
  readonly steps: number;
  readonly profile: Profile;
  /** Liveness rounds it took to converge (0 when it did not get there). */
  readonly livenessRounds: number;
  readonly proposals: { readonly accepted: number; readonly acknowledged: number };
  /** How often notable things happened (actions, elections, overwrites, ...): for tuning. */
  readonly counts: Readonly<Record<string, number>>;
}

export const defaultSteps = 10000;
const defaultLivenessRounds = 150;
/**
 * Deliveries in one liveness round before it ends anyway. The network need not go quiet: a
 * leader re-sends a snapshot at once to a learner that refuses it for predating its addition,
 * until the application takes a newer snapshot.
 */
const drainBudget = 4000;
/** Liveness rounds between snapshots, which is how such a learner eventually gets in. */
const snapshotEvery = 5;

/** Run one seed: a fault phase of random actions, then a liveness phase on a healed network. */
export function runSeed(options: SimOptions): SimResult {
  return new Simulation(options).run();
}

class Simulation {
  private readonly rng: Prng;
  private readonly profile: Profile;
  private readonly picker: ActionPicker;
  private readonly settings: NodeSettings;
  private readonly net: Network;
  private readonly nodes = new Map<number, SimNode>();
  private readonly trace: Trace;
  private readonly observer: Observer;
  private readonly send = (m: Message): void => this.net.send(m, this.step);
  private step = 0;
  private nextNodeId: number;
  private nextProposal = 1;
  private nextRead = 1;
  /** Nodes whose removal was applied, to shut down once the current step is over. */
  private readonly toRetire: number[] = [];
  /** False once the liveness phase starts. */
  private faults = true;
  /** Leaders to crash or cut off at step `at`, if they still lead `term` then. */
  private strikes: { node: number; term: number; at: number }[] = [];
  private livenessRoundsUsed = 0;
  private liveCache: SimNode[] | undefined = undefined;

  constructor(private readonly options: SimOptions) {
    this.rng = new Prng(options.seed);
    this.profile = drawProfile(this.rng);
    this.picker = new ActionPicker(this.profile.weights);
    this.net = new Network(this.rng, this.profile.latency);
    this.trace = new Trace(options.traceLength ?? 30);
    this.observer = new Observer(this.trace, () => this.step, (id) => this.toRetire.push(id));
    this.settings = {
      ...this.profile.knobs,
      preVote: true,
      checkQuorum: true,
      // Election timeouts come from the run's generator too, or a seed would not replay.
      random: () => this.rng.next(),
      plantedBugs: options.bugs ?? [],
    };
    const voters = Array.from({ length: options.nodes }, (_, i) => i + 1);
    this.nextNodeId = options.nodes + 1;
    for (const id of voters) this.addNode(id, bootstrapStorage(voters));
  }

  run(): SimResult {
    const obs = this.observer;
    try {
      for (let i = 0; i < this.options.steps && !obs.violation; i++) {
        this.step++;
        this.act(this.picker.pick(this.rng));
        this.afterStep();
      }
      if (!obs.violation) this.liveness();
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      obs.fail({ invariant: Invariant.NoException, message: `${e.name}: ${e.message}\n${e.stack ?? ""}` });
    }
    return {
      seed: this.options.seed,
      ...(obs.violation ? { violation: obs.violation } : {}),
      trace: this.trace.lines(),
      steps: this.step,
      profile: this.profile,
      livenessRounds: this.livenessRoundsUsed,
      proposals: { accepted: obs.acceptedProposals, acknowledged: obs.acknowledged.size },
      counts: obs.counts,
    };
  }

  // ---- the fault phase ----------------------------------------------------------------------

  private act(action: Action): void {
    this.observer.count(action);
    switch (action) {
      case "deliver": {
        // A busy network delivers more per step, or traffic would outgrow delivery whenever
        // the cluster grows, and latency with it, until no election could finish.
        const batch = 1 + Math.floor(this.net.inFlight / 20);
        for (let i = 0; i < batch; i++) {
          const m = this.net.next();
          if (m === undefined) break;
          this.deliver(m);
        }
        return;
      }
      case "reorder": {
        const m = this.net.takeAny();
        if (m) this.deliver(m);
        return;
      }
      case "drop": {
        const m = this.net.takeAny();
        if (m) this.dropped(m, "lost");
        return;
      }
      case "duplicate": {
        const m = this.net.duplicate(this.step);
        if (m) this.trace.add(this.step, { kind: "duplicate", msg: m });
        return;
      }
      case "ready": {
        const ready = this.live().filter((n) => n.hasReady());
        if (ready.length > 0) {
          this.rng.pick(ready).processReady(this.observer, this.send, {
            deferAdvance: this.rng.chance(this.profile.deferAdvance),
            writeBehind: this.rng.chance(this.profile.writeBehind),
          });
        }
        return;
      }
      case "tick":
        this.tick();
        return;
      case "propose":
        this.propose();
        return;
      case "read":
        this.read();
        return;
      case "partition": {
        // Half the time cut the leader off: that forces an election while it may still
        // believe it leads, and keeps accepting proposals it cannot commit.
        const leader = this.leader();
        this.split(leader !== undefined && this.rng.chance(0.5) ? leader.id : undefined);
        return;
      }
      case "disconnect":
        this.disconnect();
        return;
      case "reconnect": {
        const off = this.net.disconnectedNodes;
        if (off.length > 0) this.reconnect(this.rng.pick(off));
        return;
      }
      case "heal":
        if (this.net.partitioned) {
          this.net.heal();
          this.trace.add(this.step, { kind: "note", text: "heal the network" });
        }
        return;
      case "clock":
        this.skewClocks();
        return;
      case "crash": {
        // Half the crashes hit the leader: a follower's crash rarely changes anything.
        const leader = this.leader();
        const node = leader !== undefined && this.rng.chance(0.5) ? leader : this.pickLive();
        if (node !== undefined) this.crash(node);
        return;
      }
      case "restart": {
        const down = [...this.nodes.values()].filter((n) => !n.alive && !n.retired);
        if (down.length > 0) this.restart(this.rng.pick(down));
        return;
      }
      case "conf-change":
        this.changeMembership();
        return;
      case "transfer":
        this.transfer();
        return;
      case "campaign": {
        const node = this.pickLive();
        if (node?.raw === undefined) return;
        this.trace.add(this.step, { kind: "campaign", node: node.id });
        node.raw.campaign();
        return;
      }
      case "snapshot": {
        const node = this.pickLive();
        if (node) this.snapshot(node);
        return;
      }
    }
  }

  private addNode(id: number, storage: MemoryStorage): SimNode {
    const node = new SimNode(id, storage, this.settings);
    node.start();
    this.nodes.set(id, node);
    this.liveCache = undefined;
    return node;
  }

  /** Nodes up now; cached, as most steps ask, and nodes rarely come or go. */
  private live(): readonly SimNode[] {
    if (this.liveCache === undefined) this.liveCache = [...this.nodes.values()].filter((n) => n.alive);
    return this.liveCache;
  }

  private pickLive(): SimNode | undefined {
    const live = this.live();
    return live.length > 0 ? this.rng.pick(live) : undefined;
  }

  /** The node leading the highest term, as last observed. */
  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.leaderTerm > 0 && (best === undefined || n.leaderTerm > best.leaderTerm)) best = n;
    }
    return best;
  }

  /** A node clients would talk to: half the time one that believes it leads, however stale. */
  private pickClientTarget(): SimNode | undefined {
    const leaders = this.live().filter((n) => n.leaderTerm > 0);
    return leaders.length > 0 && this.rng.chance(0.5) ? this.rng.pick(leaders) : this.pickLive();
  }

  private deliver(m: Message): void {
    if (this.net.isBlocked(m.from, m.to)) {
      this.dropped(m, "partitioned");
      return;
    }
    const to = this.nodes.get(m.to);
    if (to?.raw === undefined) {
      this.dropped(m, "node down");
      return;
    }
    // Record `to` now: raft rewrites it when it forwards a proposal or read request.
    this.trace.add(this.step, { kind: "deliver", msg: m, to: m.to });
    to.raw.step(m);
    if (m.type === "MsgSnap") this.nodes.get(m.from)?.raw?.reportSnapshot(m.to, "finish");
  }

  private dropped(m: Message, why: string): void {
    this.trace.add(this.step, { kind: "drop", msg: m, to: m.to, why });
    const sender = this.nodes.get(m.from)?.raw;
    if (sender === undefined) return;
    if (m.type === "MsgSnap") sender.reportSnapshot(m.to, "failure");
    // A transport notices a peer it cannot reach, not a message lost on the way.
    if (why !== "lost") sender.reportUnreachable(m.to);
  }

  private tick(): void {
    const node = this.pickLive();
    if (node?.raw === undefined || (node.clockRate < 1 && !this.rng.chance(node.clockRate))) return;
    this.trace.add(this.step, { kind: "tick", node: node.id });
    node.raw.tick();
  }

  private propose(): void {
    const node = this.pickClientTarget();
    if (node?.raw === undefined) return;
    const raw = node.raw;
    const id = this.nextProposal++;
    const refused = refusal(() => raw.propose(encodeProposal(id)));
    if (refused === undefined) this.observer.proposalAccepted(id, node);
    this.trace.add(this.step, { kind: "propose", node: node.id, id, result: refused ?? "accepted" });
  }

  private read(): void {
    const node = this.pickClientTarget();
    if (node?.raw === undefined) return;
    const id = this.nextRead++;
    const floor = this.observer.readRequested(id, this.nodes.values());
    const raw = node.raw;
    const refused = refusal(() => raw.readIndex(encodeReadContext(id)));
    this.trace.add(this.step, { kind: "read", node: node.id, id, floor, result: refused ?? "requested" });
  }

  /** Replace the partition with a random split; `minority`, if given, lands in the minority. */
  private split(minority: number | undefined): void {
    const ids = [...this.nodes.values()].filter((n) => !n.retired).map((n) => n.id);
    if (ids.length < 2) return;
    const side = new Set<number>();
    if (minority !== undefined) {
      side.add(minority);
      for (const id of ids) if (side.size < (ids.length - 1) / 2 && this.rng.chance(0.3)) side.add(id);
    }
    while (side.size === 0 || side.size === ids.length) {
      side.clear();
      for (const id of ids) if (this.rng.chance(0.5)) side.add(id);
    }
    const oneWay = this.rng.chance(0.3);
    this.net.heal();
    for (const a of side) {
      for (const b of ids) {
        if (side.has(b)) continue;
        this.net.block(a, b);
        if (!oneWay) this.net.block(b, a);
      }
    }
    const rest = ids.filter((id) => !side.has(id));
    const text = oneWay
      ? `partition: {${[...side].join(",")}} cannot reach {${rest.join(",")}} (one way)`
      : `partition: {${[...side].join(",")}} | {${rest.join(",")}}`;
    this.trace.add(this.step, { kind: "note", text });
  }

  /** Cut the leader (any node, when none leads) off, alone or with a few followers. */
  private disconnect(): void {
    const node = this.leader() ?? this.pickLive();
    if (node === undefined) return;
    // With company, those followers hold entries the majority lacks (Figure 8's S1 and S2).
    if (this.rng.chance(0.5)) this.isolate(node.id);
    else this.split(node.id);
  }

  private isolate(id: number): void {
    this.net.disconnect(id);
    this.trace.add(this.step, { kind: "note", text: `disconnect n${id}` });
    // With fewer than a quorum connected nothing can happen, so let another node back in.
    const members = [...this.nodes.values()].filter((n) => !n.retired);
    const connected = members.filter((n) => this.net.isConnected(n.id)).length;
    if (connected <= members.length / 2) {
      const others = this.net.disconnectedNodes.filter((x) => x !== id);
      if (others.length > 0) this.reconnect(this.rng.pick(others));
    }
  }

  private reconnect(id: number): void {
    this.net.reconnect(id);
    this.trace.add(this.step, { kind: "note", text: `reconnect n${id}` });
  }

  /**
   * Slow one node's clock, often the leader's. ReadIndex done right does not care, as it
   * confirms leadership with a quorum instead of trusting time; a slow leader that skips that
   * keeps answering reads long after the others elected a new one.
   */
  private skewClocks(): void {
    // One slow clock at a time, or the whole cluster could crawl to a halt.
    for (const n of this.nodes.values()) n.clockRate = 1;
    const leader = this.leader();
    const node = leader !== undefined && this.rng.chance(0.5) ? leader : this.pickLive();
    if (node === undefined) return;
    node.clockRate = this.rng.pick([1, 0.3, 0.05]);
    this.trace.add(this.step, { kind: "note", text: `clocks run at 1, but n${node.id}'s at ${node.clockRate}` });
  }

  private crash(node: SimNode): void {
    this.trace.add(this.step, { kind: "crash", node: node.id });
    node.crash();
    this.liveCache = undefined;
    this.observer.gone(node);
    // What was still in the dead process's socket buffers is lost with it.
    const lost = this.net.loseFrom(node.id, 0.75);
    if (lost > 0) this.trace.add(this.step, { kind: "note", text: `${lost} messages from n${node.id} lost with it` });
  }

  private restart(node: SimNode): void {
    this.trace.add(this.step, { kind: "restart", node: node.id });
    node.start();
    this.liveCache = undefined;
  }

  private changeMembership(): void {
    const leader = this.leader();
    if (leader?.raw === undefined) return;
    const cs = leader.raw.confState();
    const options: ConfChange["type"][] = [];
    if (cs.voters.length + cs.learners.length < this.options.nodes + 2) options.push("addLearner");
    if (cs.learners.length > 0) options.push("addNode");
    // Never below three voters: fewer cannot lose a node and still commit.
    if (cs.voters.length > 3) options.push("removeNode");
    if (options.length === 0) return;
    const type = this.rng.pick(options);
    let nodeId: number;
    let fresh: SimNode | undefined;
    if (type === "addLearner") {
      nodeId = this.nextNodeId++;
      // A new server knows nothing, not even the configuration: it learns it from the leader.
      fresh = this.addNode(nodeId, new MemoryStorage());
    } else {
      nodeId = this.rng.pick(type === "addNode" ? cs.learners : cs.voters);
    }
    const cc: ConfChange = { type, nodeId };
    const raw = leader.raw;
    const refused = refusal(() => raw.proposeConfChange(cc));
    if (refused !== undefined && fresh) {
      this.nodes.delete(nodeId);
      this.liveCache = undefined;
    }
    this.trace.add(this.step, { kind: "conf-change", node: leader.id, cc, result: refused ?? "accepted" });
  }

  private transfer(): void {
    const leader = this.leader();
    if (leader?.raw === undefined) return;
    const others = leader.raw.confState().voters.filter((id) => id !== leader.id);
    if (others.length === 0) return;
    const to = this.rng.pick(others);
    const raw = leader.raw;
    const refused = refusal(() => raw.transferLeadership(to));
    this.trace.add(this.step, { kind: "transfer", node: leader.id, to, result: refused ?? "requested" });
  }

  /** Snapshot at the applied index and compact, keeping a few entries for slow followers. */
  private snapshot(node: SimNode): void {
    const sm = node.sm;
    if (sm === undefined) return;
    const storage = node.storage;
    const index = sm.appliedIndex;
    if (index <= storage.snapshot().metadata.index || index > storage.lastIndex()) return;
    // A node applying ahead of its disk (write-behind) snapshots, as raftnode does, only what
    // its stored commit index covers.
    if (index > storage.hardStateNow().commit) return;
    storage.createSnapshot(index, sm.confState, sm.image());
    const compactTo = index - this.rng.int(4);
    const kept = storage.firstIndex() - 1;
    if (compactTo > kept) storage.compact(compactTo);
    this.trace.add(this.step, { kind: "snapshot", node: node.id, index, compactedTo: Math.max(kept, compactTo) });
  }

  // ---- after each step ----------------------------------------------------------------------

  private afterStep(): void {
    while (this.toRetire.length > 0) {
      const node = this.nodes.get(this.toRetire.pop() as number);
      if (node === undefined || node.retired) continue;
      // Its removal is committed: like an operator, shut the server down for good.
      this.trace.add(this.step, { kind: "retire", node: node.id });
      node.crash();
      node.retired = true;
      this.liveCache = undefined;
      this.observer.gone(node);
    }
    for (const node of this.nodes.values()) {
      const raw = node.raw;
      if (raw === undefined) continue;
      if (!raw.isLeader()) {
        node.leaderTerm = 0;
      } else if (node.leaderTerm === 0) {
        // One step cannot make a node leader, depose it and elect it again, so checking after
        // every step sees every leadership.
        const term = raw.status().term;
        node.leaderTerm = term;
        this.observer.leaderSeen(node, term);
        if (this.faults && this.rng.chance(this.profile.leaderStrike)) {
          this.strikes.push({ node: node.id, term, at: this.step + this.rng.int(this.profile.strikeDelay) });
        }
      }
    }
    if (this.strikes.length > 0) this.strike();
  }

  private strike(): void {
    const due = this.strikes.filter((s) => s.at <= this.step);
    if (due.length === 0) return;
    this.strikes = this.strikes.filter((s) => s.at > this.step);
    for (const s of due) {
      const node = this.nodes.get(s.node);
      if (node?.leaderTerm !== s.term) continue;
      if (this.rng.chance(0.5)) this.crash(node);
      else this.isolate(node.id);
    }
  }

  // ---- the liveness phase -------------------------------------------------------------------

  /**
   * Stop the faults: heal, restart every crashed member, deliver everything, and tick every
   * node once per round. Within the bound the cluster must elect a leader and bring every
   * member up to date with every acknowledged proposal.
   */
  private liveness(): void {
    this.step++;
    this.trace.add(this.step, { kind: "note", text: "liveness phase: heal, restart, deliver reliably" });
    this.faults = false;
    this.strikes = [];
    this.net.heal();
    for (const n of this.nodes.values()) {
      n.clockRate = 1;
      if (!n.alive && !n.retired) this.restart(n);
    }
    const rounds = this.options.livenessRounds ?? defaultLivenessRounds;
    let gap: ConvergenceGap | undefined;
    for (let round = 1; round <= rounds; round++) {
      this.drain();
      if (this.observer.violation) return;
      gap = this.gap();
      if (gap === undefined) {
        this.livenessRoundsUsed = round;
        return;
      }
      if (gap.lost) break;
      for (const n of this.live()) {
        this.step++;
        this.trace.add(this.step, { kind: "tick", node: n.id });
        n.raw?.tick();
        this.afterStep();
      }
      // A learner added after the last snapshot can only join from a newer one.
      if (round % snapshotEvery === 0) for (const n of this.live()) this.snapshot(n);
    }
    this.observer.fail({
      invariant: Invariant.Liveness,
      message: gap?.lost ? gap.message : `not converged after ${rounds} rounds: ${gap?.message ?? "?"}`,
    });
  }

  /** Process every Ready and deliver every message, until the network is quiet. */
  private drain(): void {
    let budget = drainBudget;
    for (;;) {
      for (const n of this.nodes.values()) {
        while (n.hasReady() && !this.observer.violation) {
          this.step++;
          n.processReady(this.observer, this.send);
          this.afterStep();
        }
      }
      if (this.observer.violation || budget-- <= 0) return;
      const m = this.net.next();
      if (m === undefined) return;
      this.step++;
      this.deliver(m);
      this.afterStep();
    }
  }

  private gap(): ConvergenceGap | undefined {
    const leader = this.leader();
    if (leader?.raw === undefined) return convergenceGap(undefined, [], this.observer.acknowledged);
    const cs = leader.raw.confState();
    const members: MemberState[] = [];
    for (const id of [...cs.voters, ...cs.learners]) {
      const n = this.nodes.get(id);
      const raw = n?.raw;
      const sm = n?.sm;
      if (raw === undefined || sm === undefined) {
        members.push({ id, alive: false, lead: 0, appliedIndex: 0, proposals: new Set() });
      } else {
        members.push({ id, alive: true, lead: raw.leader(), appliedIndex: sm.appliedIndex, proposals: sm.proposals });
      }
    }
    return convergenceGap(
      { id: leader.id, commit: leader.raw.status().commit, lastIndex: leader.storage.lastIndex() },
      members,
      this.observer.acknowledged,
    );
  }
}

/**
 * Run a request raft may refuse; returns why it did, or undefined when it was accepted. A
 * refusal is an expected answer here, so its stack is not captured: that costs more than the
 * rest of a simulation step.
 */
function refusal(request: () => void): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    request();
    return undefined;
  } catch (err) {
    if (!(err instanceof ProposalDroppedError)) throw err;
    return `dropped (${err.reason})`;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A founding member's disk: a snapshot at index 1 holding the founding configuration. */
function bootstrapStorage(voters: readonly number[]): MemoryStorage {
  // A server added later starts empty and receives this snapshot first, which is how it
  // learns the founding voters before it replays the conf changes that followed.
  return MemoryStorage.bootstrap({ voters, learners: [] });
}
