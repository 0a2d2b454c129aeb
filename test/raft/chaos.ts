/**
 * A seeded random schedule for a cluster of raft cores, with the Raft paper's safety properties
 * checked as it runs. Messages are delayed, reordered, duplicated and lost; nodes are cut off,
 * restarted and compact their logs; clients propose. Every violation is recorded, so a test can
 * assert there are none (and, with a planted bug, that there are some: the checkers work).
 */
import type { Entry, Message, PlantedBug } from "../../internal/raft/index.js";
import type { NodeOptions } from "./interaction.js";
import { Env, seededRandom, text } from "./interaction.js";

export interface ChaosOptions {
  readonly seed: number;
  /** Founding voters, 1 to nodes (default 3). */
  readonly nodes?: number;
  /** Extra nodes that start empty, to be added by conf changes from `extra`. */
  readonly joiners?: number;
  readonly steps?: number;
  readonly bugs?: readonly PlantedBug[];
  readonly options?: NodeOptions;
  /** Restart nodes from their storage now and then (default true). */
  readonly restarts?: boolean;
  /** Called each step with the environment and the random source: inject extra events. */
  readonly extra?: (env: Env, rnd: () => number) => void;
}

export interface ChaosResult {
  readonly env: Env;
  /** Human-readable descriptions of every property violation seen. */
  readonly violations: string[];
  /** Highest index applied anywhere during the random phase. */
  readonly maxCommitted: number;
  /** Leaders elected (term, id) during the random phase. */
  readonly elections: number;
}

interface CommittedEntry {
  readonly term: number;
  readonly data: string;
  /** Highest term any node had when the entry was first applied: it was committed by then. */
  readonly knownBy: number;
}

export class Checker {
  readonly violations: string[] = [];
  /** Election safety (§5.2): the leader of each term. */
  private readonly leaderOf = new Map<number, number>();
  /** State machine safety (§5.4.3): the entry applied at each index. */
  readonly committed = new Map<number, CommittedEntry>();
  elections = 0;

  constructor(private readonly env: Env) {
    env.onApply = (id, e) => this.applied(id, e);
    env.onReady = (id) => this.leaderCompleteness(id);
  }

  private fail(msg: string): void {
    if (this.violations.length < 20) this.violations.push(msg);
  }

  private maxTerm(): number {
    let t = 0;
    for (const id of this.env.ids()) t = Math.max(t, this.env.status(id).term);
    return t;
  }

  private applied(id: number, e: Entry): void {
    const data = e.type === "confChange" ? "<conf change>" : text(e.data);
    const prev = this.committed.get(e.index);
    if (prev === undefined) {
      this.committed.set(e.index, { term: e.term, data, knownBy: this.maxTerm() });
    } else if (prev.term !== e.term || prev.data !== data) {
      this.fail(`§5.4.3 state machine safety: node ${id} applied ${e.term}/${e.index} ${JSON.stringify(data)}` +
        ` where ${prev.term}/${e.index} ${JSON.stringify(prev.data)} was applied before`);
    }
  }

  /** Election safety (§5.2): at most one leader per term. */
  checkLeaders(): void {
    for (const id of this.env.ids()) {
      const s = this.env.status(id);
      if (s.state !== "leader") continue;
      const known = this.leaderOf.get(s.term);
      if (known === undefined) {
        this.leaderOf.set(s.term, id);
        this.elections++;
      } else if (known !== id) {
        this.fail(`§5.2 election safety: nodes ${known} and ${id} both lead term ${s.term}`);
      }
    }
  }

  /** Leader completeness (§5.4): a leader holds every entry committed in an earlier term. */
  private leaderCompleteness(id: number): void {
    const s = this.env.status(id);
    if (s.state !== "leader") return;
    const storage = this.env.node(id).storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    for (const [index, c] of this.committed) {
      if (c.knownBy >= s.term || index < first) continue;
      const term = index <= last ? storage.term(index) : undefined;
      if (term !== c.term) {
        this.fail(`§5.4 leader completeness: leader ${id} of term ${s.term} has ${term ?? "nothing"} at ${index},` +
          ` committed as ${c.term}/${index}`);
      }
    }
  }

  /** Log matching (§5.3): logs that agree on an entry's term agree on everything before it. */
  checkLogMatching(): void {
    const logs = this.env.ids().map((id) => ({ id, byIndex: new Map(this.env.log(id).map((e) => [e.index, e])) }));
    for (let a = 0; a < logs.length; a++) {
      for (let b = a + 1; b < logs.length; b++) {
        const x = logs[a];
        const y = logs[b];
        if (!x || !y) continue;
        let agreeFrom = -1;
        for (const [index, ex] of x.byIndex) {
          const ey = y.byIndex.get(index);
          if (ey && ey.term === ex.term && index > agreeFrom) agreeFrom = index;
        }
        for (const [index, ex] of x.byIndex) {
          if (index > agreeFrom) continue;
          const ey = y.byIndex.get(index);
          if (ey && (ey.term !== ex.term || text(ey.data) !== text(ex.data))) {
            this.fail(`§5.3 log matching: nodes ${x.id} and ${y.id} agree at ${agreeFrom} but differ at ${index}`);
          }
        }
      }
    }
  }
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  const x = xs[Math.floor(rnd() * xs.length)];
  if (x === undefined) throw new Error("pick from an empty list");
  return x;
}

/** Run a random schedule, then heal everything and require the cluster to commit again. */
export function runChaos(o: ChaosOptions): ChaosResult {
  const rnd = seededRandom(o.seed);
  const size = o.nodes ?? 3;
  const steps = o.steps ?? 600;
  const env = new Env();
  env.quiet = true;
  const voters = Array.from({ length: size }, (_, i) => i + 1);
  const options = { ...o.options, ...(o.bugs ? { plantedBugs: o.bugs } : {}) };
  env.addNodes(size, { voters, random: voters.map((id) => seededRandom(o.seed * 31 + id)), options });
  const joiners = Array.from({ length: o.joiners ?? 0 }, (_, i) => size + i + 1);
  if (joiners.length > 0) {
    env.addNodes(joiners.length, { random: joiners.map((id) => seededRandom(o.seed * 31 + id)), options });
  }
  const all = [...voters, ...joiners];
  const checker = new Checker(env);
  /** Nodes cut off from everyone in the current partition. */
  let isolated = new Set<number>();
  let proposals = 0;

  const deliverOne = (): void => {
    if (env.inFlight.length === 0) return;
    const k = Math.floor(rnd() * env.inFlight.length);
    const m = env.inFlight[k] as Message;
    // Duplicate now and then: the network may deliver a message twice.
    const duplicate = rnd() < 0.05;
    if (!duplicate) env.inFlight.splice(k, 1);
    const lost = rnd() < 0.1 || isolated.has(m.from) || isolated.has(m.to) || !env.nodes.has(m.to);
    if (!lost) env.step(m.to, structuredClone(m));
    // The transport tells the sender how a snapshot went, as the driver must (RawNode.reportSnapshot).
    if (m.type === "MsgSnap" && !duplicate) env.reportSnapshot(m.from, m.to, lost ? "failure" : "finish");
  };

  for (let step = 0; step < steps; step++) {
    const r = rnd();
    const id = pick(rnd, all);
    if (r < 0.15) {
      env.tick(id);
    } else if (r < 0.55) {
      for (let k = 0; k < 4; k++) deliverOne();
    } else if (r < 0.85) {
      env.processReady(id);
    } else if (r < 0.95) {
      try {
        env.propose(id, `p${o.seed}.${proposals++}`);
      } catch {
        // ProposalDroppedError is reported by the bench and returned, not thrown.
      }
    } else if (r < 0.97) {
      isolated = rnd() < 0.5 ? new Set() : new Set([id]);
    } else if (r < 0.985) {
      if (o.restarts !== false) env.restart(id);
    } else {
      const s = env.status(id);
      if (s.applied > env.node(id).storage.snapshot().metadata.index) env.compact(id, s.applied);
    }
    o.extra?.(env, rnd);
    checker.checkLeaders();
    if (step % 25 === 0) checker.checkLogMatching();
  }
  const maxCommitted = Math.max(0, ...checker.committed.keys());
  const elections = checker.elections;

  // Liveness once the network heals: a leader emerges and commits a new entry on every member.
  env.heal();
  isolated = new Set();
  let proposed = false;
  const members = (): number[] => {
    const lead = env.leader();
    if (lead === 0) return all;
    const cs = env.raw(lead).confState();
    return [...cs.voters, ...cs.learners];
  };
  for (let round = 0; round < 300; round++) {
    for (const id of all) env.tick(id);
    try {
      env.stabilize();
    } catch (err) {
      checker.violations.push(`liveness: ${String(err)}`);
      break;
    }
    checker.checkLeaders();
    const lead = env.leader();
    // A proposal can be lost with a leader that is deposed before committing it: retry.
    if (lead !== 0 && round % 20 === 0 && !env.app(lead).includes("final")) {
      proposed = env.propose(lead, "final") === undefined || proposed;
    }
    if (proposed && members().every((id) => env.app(id).includes("final"))) break;
  }
  checker.checkLogMatching();
  if (!proposed || !members().every((id) => env.app(id).includes("final"))) {
    checker.violations.push("liveness: the healed cluster did not commit a new entry on every node");
  }
  return { env, violations: checker.violations, maxCommitted, elections };
}
