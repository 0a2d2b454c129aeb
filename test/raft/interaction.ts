/**
 * A deterministic test bench for the raft core, driven from code or from scripts.
 *
 * An Env holds a set of RawNodes, each with its own MemoryStorage and a tiny state machine (the
 * list of applied payloads), and a network: messages the nodes sent and that were not yet
 * delivered. Nothing happens unless a command says so, so every trace is reproducible: ticking,
 * handling a Ready, delivering messages and cutting the network are separate steps.
 *
 * Scripts (see testdata/*.txt) are blocks of a command line, `----`, and the expected output.
 * `runScript` executes them and returns the text the file should contain, so a test compares it
 * with the file and REWRITE=1 regenerates it.
 */
import {
  MemoryStorage,
  ProposalDroppedError,
  RawNode,
  decodeConfChange,
} from "../../internal/raft/index.js";
import type {
  ConfChange,
  ConfChangeType,
  ConfState,
  Config,
  Entry,
  Message,
  PlantedBug,
  Ready,
  Snapshot,
  Status,
} from "../../internal/raft/index.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Config fields a scenario may set; id and storage belong to the bench. */
export type NodeOptions = Omit<Config, "id" | "storage" | "applied" | "random">;

/** Election ticks stay small so that traces stay short; 10× heartbeat is not needed here. */
export const benchDefaults = { electionTick: 3, heartbeatTick: 1 } as const;

export interface AddNodesOptions {
  /** The initial configuration; empty for a node that will join an existing cluster. */
  voters?: readonly number[];
  learners?: readonly number[];
  /**
   * The founders' log starts after a committed snapshot of term 1 at this index (default 1, as
   * MemoryStorage.bootstrap does). A node with no voters starts empty, as a joining member.
   */
  index?: number;
  /**
   * Each node's random source, in order: a constant (its election timeout is then always the
   * same, which keeps traces predictable) or a generator. The first entry serves for all if
   * there is only one.
   */
  random?: readonly (number | (() => number))[];
  options?: NodeOptions;
}

interface BenchNode {
  readonly id: number;
  readonly storage: MemoryStorage;
  readonly config: Config;
  raw: RawNode;
  /** The state machine: the payload of every applied non-empty normal entry. */
  app: string[];
  /** After applying index i: the configuration and app length then, to build snapshots. */
  appliedAt: Map<number, { confState: ConfState; appLength: number }>;
}

interface Observed {
  state: string;
  term: number;
  lead: number;
  dropped: number;
}

export interface DeliverFilter {
  /** Recipients (all when empty). */
  to?: readonly number[];
  from?: number;
  type?: string;
  /** Deliver at most this many messages in all. */
  count?: number;
}

const confChangeNames: Record<ConfChangeType, string> = {
  addNode: "add-node",
  addLearner: "add-learner",
  removeNode: "remove-node",
};

export function parseConfChangeType(s: string): ConfChangeType {
  for (const [type, name] of Object.entries(confChangeNames)) if (name === s) return type as ConfChangeType;
  throw new Error(`unknown conf change type ${s} (want add-node, add-learner or remove-node)`);
}

export function bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

export function text(b: Uint8Array): string {
  return decoder.decode(b);
}

function ids(list: readonly number[]): string {
  return `(${list.join(",")})`;
}

export function describeConfState(cs: ConfState): string {
  return cs.learners.length > 0 ? `voters=${ids(cs.voters)} learners=${ids(cs.learners)}` : `voters=${ids(cs.voters)}`;
}

export function describeConfChange(cc: ConfChange): string {
  return `${confChangeNames[cc.type]} ${cc.nodeId}`;
}

export function describeEntry(e: Entry): string {
  if (e.type === "confChange") {
    const cc = decodeConfChange(e.data);
    return `${e.term}/${e.index} EntryConfChange ${cc ? describeConfChange(cc) : "<malformed>"}`;
  }
  return `${e.term}/${e.index} EntryNormal ${JSON.stringify(text(e.data))}`;
}

export function describeSnapshot(s: Snapshot): string {
  return `Index:${s.metadata.index} Term:${s.metadata.term} ${describeConfState(s.metadata.confState)}`;
}

/** One line per message: `1->2 MsgApp Term:1 Log:1/2 Commit:2 Entries:[1/3 EntryNormal "foo"]`. */
export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.commit !== 0) s += ` Commit:${m.commit}`;
  if (m.reject) s += m.type === "MsgAppResp" ? ` Rejected (Hint: ${m.rejectHint})` : " Rejected";
  if (m.context.length > 0) s += ` Context:${JSON.stringify(text(m.context))}`;
  if (m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(", ")}]`;
  if (m.snapshot) s += ` Snapshot:{${describeSnapshot(m.snapshot)}}`;
  return s;
}

export function describeReady(rd: Ready): string[] {
  const out = [`Ready MustSync=${rd.mustSync}:`];
  if (rd.softState) out.push(`Lead:${rd.softState.lead} State:${rd.softState.state}`);
  if (rd.hardState) out.push(`HardState Term:${rd.hardState.term} Vote:${rd.hardState.vote} Commit:${rd.hardState.commit}`);
  if (rd.snapshot) out.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.entries.length > 0) out.push("Entries:", ...rd.entries.map(describeEntry));
  if (rd.committedEntries.length > 0) out.push("CommittedEntries:", ...rd.committedEntries.map(describeEntry));
  if (rd.messages.length > 0) out.push("Messages:", ...rd.messages.map(describeMessage));
  if (rd.readStates.length > 0) {
    out.push("ReadStates:", ...rd.readStates.map((r) => `Index:${r.index} Ctx:${JSON.stringify(text(r.requestCtx))}`));
  }
  return out;
}

export function describeStatus(s: Status): string[] {
  const out = [
    `${s.id} ${s.state} Term:${s.term} Vote:${s.vote} Commit:${s.commit} Applied:${s.applied} Lead:${s.lead}` +
      ` Transferee:${s.leadTransferee} Dropped:${s.droppedMessages}`,
  ];
  for (const [id, pr] of [...s.progress].sort((a, b) => a[0] - b[0])) {
    let line = `  ${id}: ${pr.state} match=${pr.match} next=${pr.next}`;
    if (pr.isLearner) line += " learner";
    if (!pr.recentActive) line += " inactive";
    out.push(line);
  }
  return out;
}

function newStorage(confState: ConfState, index: number): MemoryStorage {
  if (index === 0) return new MemoryStorage();
  if (index === 1) return MemoryStorage.bootstrap(confState);
  const s = new MemoryStorage();
  s.applySnapshot({ metadata: { index, term: 1, confState }, data: new Uint8Array(0) });
  s.setHardState({ term: 1, vote: 0, commit: index });
  return s;
}

function encodeApp(app: readonly string[]): Uint8Array {
  return bytes(JSON.stringify(app));
}

function decodeApp(data: Uint8Array): string[] {
  if (data.length === 0) return [];
  const v: unknown = JSON.parse(text(data));
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new Error("bench: bad snapshot data");
  return v as string[];
}

/** A seeded generator of numbers in [0, 1) (mulberry32): the same seed, the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Env {
  readonly nodes = new Map<number, BenchNode>();
  /** Messages sent and not yet delivered, in the order they were sent. */
  inFlight: Message[] = [];
  /** Network partition: messages between nodes of different groups are dropped. */
  private readonly group = new Map<number, number>();
  private nextGroup = 1;
  private out: string[] = [];
  private indent = "";
  /** Skip building the trace (random tests run many steps and read no output). */
  quiet = false;
  /** Called for every entry a node applies, in order (checkers watch state machine safety). */
  onApply: ((id: number, e: Entry) => void) | undefined = undefined;
  /** Called after a node has carried out a Ready (checkers inspect its persisted state). */
  onReady: ((id: number) => void) | undefined = undefined;

  // ---- output -------------------------------------------------------------------------------

  private emit(line: string): void {
    if (!this.quiet) this.out.push(this.indent + line);
  }

  /** The output produced since the last call. */
  takeOutput(): string {
    const s = this.out.join("\n");
    this.out = [];
    return s;
  }

  private observe(n: BenchNode): Observed {
    const s = n.raw.status();
    return { state: s.state, term: s.term, lead: s.lead, dropped: s.droppedMessages };
  }

  /** Run fn against node n and report any change of role, term, leader or dropped count. */
  private watch<T>(n: BenchNode, fn: () => T): T {
    const before = this.observe(n);
    const result = fn();
    const after = this.observe(n);
    if (after.state !== before.state || after.term !== before.term || after.lead !== before.lead) {
      const lead = after.lead === 0 ? "no leader" : `leader ${after.lead}`;
      this.emit(`INFO ${n.id} is ${after.state} at term ${after.term}, ${lead}`);
    }
    if (after.dropped !== before.dropped) {
      this.emit(`INFO ${n.id} dropped a malformed message (${after.dropped} in all)`);
    }
    return result;
  }

  // ---- nodes --------------------------------------------------------------------------------

  node(id: number): BenchNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`bench: no node ${id}`);
    return n;
  }

  raw(id: number): RawNode {
    return this.node(id).raw;
  }

  ids(): number[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  /** Add count nodes with the next free ids; returns their ids. */
  addNodes(count: number, opts: AddNodesOptions = {}): number[] {
    const confState: ConfState = { voters: [...(opts.voters ?? [])], learners: [...(opts.learners ?? [])] };
    const first = Math.max(0, ...this.nodes.keys()) + 1;
    const index = confState.voters.length > 0 ? (opts.index ?? 1) : 0;
    const added: number[] = [];
    for (let k = 0; k < count; k++) {
      const id = first + k;
      const storage = newStorage(confState, index);
      const r = opts.random?.[k] ?? opts.random?.[0] ?? 0;
      const random = typeof r === "function" ? r : () => r;
      const config: Config = { ...benchDefaults, ...opts.options, id, storage, random };
      const n: BenchNode = {
        id,
        storage,
        config,
        raw: new RawNode(config),
        app: [],
        appliedAt: new Map([[index, { confState, appLength: 0 }]]),
      };
      this.nodes.set(id, n);
      added.push(id);
      this.emit(index > 0 ? `INFO ${id} starts with ${describeConfState(confState)} at index ${index}` : `INFO ${id} starts empty`);
    }
    return added;
  }

  /** Throw away the node's volatile state and start it again from its storage. */
  restart(id: number): void {
    const n = this.node(id);
    const snap = n.storage.snapshot();
    n.raw = new RawNode(n.config);
    n.app = decodeApp(snap.data);
    n.appliedAt = new Map([[snap.metadata.index, { confState: snap.metadata.confState, appLength: n.app.length }]]);
    for (const line of describeStatus(n.raw.status())) this.emit(line);
  }

  // ---- the Ready loop -----------------------------------------------------------------------

  /** Carry out one Ready of node id, if it has one: persist, send, apply, advance. */
  processReady(id: number): boolean {
    const n = this.node(id);
    if (!n.raw.hasReady()) return false;
    const rd = n.raw.ready();
    if (!this.quiet) {
      this.emit(`> ${id} handling Ready`);
      this.indent = "  ";
      for (const line of describeReady(rd)) this.emit(line);
    }
    if (rd.snapshot) {
      n.storage.applySnapshot(rd.snapshot);
      n.app = decodeApp(rd.snapshot.data);
      n.appliedAt.set(rd.snapshot.metadata.index, {
        confState: rd.snapshot.metadata.confState,
        appLength: n.app.length,
      });
    }
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    // A real transport serializes: the receiver never shares objects with the sender.
    for (const m of rd.messages) this.inFlight.push(structuredClone(m));
    for (const e of rd.committedEntries) this.watch(n, () => this.apply(n, e));
    n.raw.advance(rd);
    this.indent = "";
    this.onReady?.(id);
    return true;
  }

  private apply(n: BenchNode, e: Entry): void {
    this.onApply?.(n.id, e);
    if (e.type === "confChange") {
      const cc = decodeConfChange(e.data);
      if (!cc) throw new Error(`bench: committed conf change ${e.index} is malformed`);
      const cs = n.raw.applyConfChange(cc);
      this.emit(`INFO ${n.id} applied ${describeConfChange(cc)}: ${describeConfState(cs)}`);
    } else if (e.data.length > 0) {
      n.app.push(text(e.data));
    }
    n.appliedAt.set(e.index, { confState: n.raw.confState(), appLength: n.app.length });
  }

  private blocked(m: Message): boolean {
    return (this.group.get(m.from) ?? 0) !== (this.group.get(m.to) ?? 0);
  }

  /** Deliver in-flight messages matching the filter, grouped by recipient; returns how many. */
  deliver(filter: DeliverFilter = {}): number {
    const to = filter.to && filter.to.length > 0 ? new Set(filter.to) : undefined;
    let budget = filter.count ?? Number.POSITIVE_INFINITY;
    const picked: Message[] = [];
    const rest: Message[] = [];
    for (const m of this.inFlight) {
      const match =
        (to === undefined || to.has(m.to)) &&
        (filter.from === undefined || m.from === filter.from) &&
        (filter.type === undefined || m.type === filter.type);
      if (match && budget > 0) {
        picked.push(m);
        budget--;
      } else {
        rest.push(m);
      }
    }
    this.inFlight = rest;
    const dropped = picked.filter((m) => this.blocked(m) || !this.nodes.has(m.to));
    if (dropped.length > 0 && !this.quiet) {
      this.emit("> dropped by the network");
      for (const m of dropped) this.emit(`  ${describeMessage(m)}`);
    }
    const recipients = [...new Set(picked.map((m) => m.to))].sort((a, b) => a - b);
    for (const rid of recipients) {
      const msgs = picked.filter((m) => m.to === rid && !dropped.includes(m));
      if (msgs.length === 0) continue;
      const n = this.node(rid);
      this.emit(`> ${rid} receiving messages`);
      this.indent = "  ";
      for (const m of msgs) {
        if (!this.quiet) this.emit(describeMessage(m));
        this.watch(n, () => n.raw.step(m));
      }
      this.indent = "";
    }
    return picked.length;
  }

  /** Remove in-flight messages matching the filter without delivering them; returns how many. */
  drop(filter: DeliverFilter = {}): number {
    const to = filter.to && filter.to.length > 0 ? new Set(filter.to) : undefined;
    const kept: Message[] = [];
    let n = 0;
    for (const m of this.inFlight) {
      const match =
        (to === undefined || to.has(m.to)) &&
        (filter.from === undefined || m.from === filter.from) &&
        (filter.type === undefined || m.type === filter.type) &&
        (filter.count === undefined || n < filter.count);
      if (match) {
        this.emit(`dropped: ${describeMessage(m)}`);
        n++;
      } else {
        kept.push(m);
      }
    }
    this.inFlight = kept;
    return n;
  }

  /** Handle Readies and deliver messages among these nodes until nothing is left to do. */
  stabilize(only?: readonly number[]): void {
    const members = only && only.length > 0 ? [...only] : this.ids();
    for (let round = 0; ; round++) {
      if (round > 10_000) throw new Error("bench: stabilize does not converge");
      let busy = false;
      for (const id of members) if (this.processReady(id)) busy = true;
      if (this.deliver({ to: members }) > 0) busy = true;
      if (!busy) return;
    }
  }

  // ---- the network --------------------------------------------------------------------------

  /** Cut id off from every other node. */
  isolate(id: number): void {
    this.group.set(id, this.nextGroup++);
  }

  /** Split the nodes into groups that cannot reach one another; unlisted nodes form one more. */
  partition(groups: readonly (readonly number[])[]): void {
    this.group.clear();
    for (const g of groups) {
      const gid = this.nextGroup++;
      for (const id of g) this.group.set(id, gid);
    }
  }

  heal(): void {
    this.group.clear();
  }

  // ---- requests -----------------------------------------------------------------------------

  /** Run a local request on node id; a ProposalDroppedError is reported, anything else thrown. */
  private request(id: number, fn: (raw: RawNode) => void): ProposalDroppedError | undefined {
    const n = this.node(id);
    try {
      this.watch(n, () => fn(n.raw));
      return undefined;
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
      this.emit(`${err.name}: ${err.message}`);
      return err;
    }
  }

  campaign(id: number): void {
    const n = this.node(id);
    this.watch(n, () => n.raw.campaign());
  }

  propose(id: number, data: string): ProposalDroppedError | undefined {
    return this.request(id, (raw) => raw.propose(bytes(data)));
  }

  proposeBatch(id: number, datas: readonly string[]): ProposalDroppedError | undefined {
    return this.request(id, (raw) => raw.proposeBatch(datas.map(bytes)));
  }

  proposeConfChange(id: number, cc: ConfChange): ProposalDroppedError | undefined {
    return this.request(id, (raw) => raw.proposeConfChange(cc));
  }

  transferLeadership(from: number, to: number): ProposalDroppedError | undefined {
    return this.request(from, (raw) => raw.transferLeadership(to));
  }

  readIndex(id: number, ctx: string): ProposalDroppedError | undefined {
    return this.request(id, (raw) => raw.readIndex(bytes(ctx)));
  }

  tick(id: number, count = 1): void {
    const n = this.node(id);
    for (let i = 0; i < count; i++) this.watch(n, () => n.raw.tick());
  }

  /** Hand a message straight to node id, as if it came off the network. */
  step(id: number, m: Message): void {
    const n = this.node(id);
    this.watch(n, () => n.raw.step(m));
  }

  reportUnreachable(id: number, peer: number): void {
    const n = this.node(id);
    this.watch(n, () => n.raw.reportUnreachable(peer));
  }

  reportSnapshot(id: number, peer: number, status: "finish" | "failure"): void {
    const n = this.node(id);
    this.watch(n, () => n.raw.reportSnapshot(peer, status));
  }

  /** Snapshot node id's state machine at applied index `index` and discard the log up to it. */
  compact(id: number, index: number): void {
    const n = this.node(id);
    const at = n.appliedAt.get(index);
    if (!at) throw new Error(`bench: node ${id} has not applied index ${index}`);
    const snap = n.storage.createSnapshot(index, at.confState, encodeApp(n.app.slice(0, at.appLength)));
    n.storage.compact(index);
    this.emit(`INFO ${id} compacted its log up to ${describeSnapshot(snap)}`);
  }

  // ---- inspection ---------------------------------------------------------------------------

  status(id: number): Status {
    return this.raw(id).status();
  }

  /** Entries held in node id's storage, after its snapshot. */
  log(id: number): Entry[] {
    const s = this.node(id).storage;
    const first = s.firstIndex();
    const last = s.lastIndex();
    return last < first ? [] : s.entries(first, last + 1, Number.POSITIVE_INFINITY);
  }

  /** The state machine of node id: applied payloads in order. */
  app(id: number): readonly string[] {
    return this.node(id).app;
  }

  /** The current leader if exactly one node leads in the highest term, else 0. */
  leader(): number {
    let best = 0;
    let bestTerm = -1;
    for (const id of this.ids()) {
      const s = this.status(id);
      if (s.state === "leader" && s.term > bestTerm) {
        best = id;
        bestTerm = s.term;
      }
    }
    return best;
  }

  describeLog(id: number): string[] {
    const n = this.node(id);
    const snap = n.storage.snapshot();
    const out: string[] = [];
    if (snap.metadata.index > 0) out.push(`snapshot ${describeSnapshot(snap)}`);
    for (const e of this.log(id)) out.push(describeEntry(e));
    if (out.length === 0) out.push("log is empty");
    return out;
  }

  // ---- scripts ------------------------------------------------------------------------------

  /** Execute one script command and return its output ("ok" when there is none). */
  handle(line: string): string {
    const cmd = parseCommand(line);
    this.dispatch(cmd);
    const s = this.takeOutput();
    return s === "" ? "ok" : s;
  }

  private dispatch(c: Command): void {
    const nodeArgs = (): number[] => c.args.map(toInt);
    const first = (): number => toInt(c.args[0] ?? missing(c, "node id"));
    switch (c.name) {
      case "add-nodes": {
        const opts: AddNodesOptions = {
          voters: c.kv.get("voters") !== undefined ? toIntList(c.kv.get("voters") ?? "") : [],
          learners: c.kv.get("learners") !== undefined ? toIntList(c.kv.get("learners") ?? "") : [],
          index: toInt(c.kv.get("index") ?? "1"),
          options: nodeOptions(c.kv),
        };
        const r = c.kv.get("random");
        if (r !== undefined) opts.random = toList(r).map(Number);
        this.addNodes(first(), opts);
        return;
      }
      case "campaign":
        this.campaign(first());
        return;
      case "propose":
        this.propose(first(), c.args[1] ?? missing(c, "data"));
        return;
      case "propose-batch":
        this.proposeBatch(first(), c.args.slice(1));
        return;
      case "propose-conf-change":
        this.proposeConfChange(first(), {
          type: parseConfChangeType(c.args[1] ?? missing(c, "change type")),
          nodeId: toInt(c.args[2] ?? missing(c, "node id")),
        });
        return;
      case "transfer-leadership":
        this.transferLeadership(toInt(c.kv.get("from") ?? missing(c, "from=")), toInt(c.kv.get("to") ?? missing(c, "to=")));
        return;
      case "read-index":
        this.readIndex(first(), c.args[1] ?? missing(c, "ctx"));
        return;
      case "tick":
        this.tick(first(), toInt(c.args[1] ?? "1"));
        return;
      case "tick-all": {
        // Every node ticks once per round, in id order: clocks running side by side.
        const rounds = toInt(c.args[0] ?? "1");
        for (let k = 0; k < rounds; k++) for (const id of this.ids()) this.tick(id);
        return;
      }
      case "tick-heartbeat":
        for (const id of nodeArgs()) this.tick(id, this.node(id).config.heartbeatTick ?? 1);
        return;
      case "tick-election":
        for (const id of nodeArgs()) this.tick(id, this.node(id).config.electionTick ?? 10);
        return;
      case "process-ready":
        for (const id of c.args.length > 0 ? nodeArgs() : this.ids()) this.processReady(id);
        return;
      case "deliver-msgs":
      case "drop-msgs": {
        const filter: DeliverFilter = { to: nodeArgs() };
        const from = c.kv.get("from");
        if (from !== undefined) filter.from = toInt(from);
        const type = c.kv.get("type");
        if (type !== undefined) filter.type = type;
        const count = c.kv.get("count");
        if (count !== undefined) filter.count = toInt(count);
        if (c.name === "deliver-msgs") this.deliver(filter);
        else this.drop(filter);
        return;
      }
      case "stabilize":
        this.stabilize(nodeArgs());
        return;
      case "isolate":
        for (const id of nodeArgs()) this.isolate(id);
        return;
      case "partition":
        this.partition(c.args.map(toIntList));
        return;
      case "heal":
        this.heal();
        return;
      case "compact":
        this.compact(first(), toInt(c.args[1] ?? missing(c, "index")));
        return;
      case "restart":
        this.restart(first());
        return;
      case "report-unreachable":
        this.reportUnreachable(first(), toInt(c.args[1] ?? missing(c, "peer")));
        return;
      case "report-snapshot": {
        const status = c.args[2] ?? missing(c, "finish or failure");
        if (status !== "finish" && status !== "failure") throw new Error(`bench: bad snapshot status ${status}`);
        this.reportSnapshot(first(), toInt(c.args[1] ?? missing(c, "peer")), status);
        return;
      }
      case "status":
        for (const id of c.args.length > 0 ? nodeArgs() : this.ids()) for (const l of describeStatus(this.status(id))) this.emit(l);
        return;
      case "raft-log":
        for (const l of this.describeLog(first())) this.emit(l);
        return;
      case "app-state":
        for (const id of c.args.length > 0 ? nodeArgs() : this.ids()) this.emit(`${id}: ${JSON.stringify(this.app(id))}`);
        return;
      case "in-flight":
        for (const m of this.inFlight) this.emit(describeMessage(m));
        return;
      default:
        throw new Error(`bench: unknown command ${c.name}`);
    }
  }
}

// ---- command lines ------------------------------------------------------------------------

export interface Command {
  name: string;
  args: string[];
  kv: Map<string, string>;
}

function missing(c: Command, what: string): never {
  throw new Error(`bench: ${c.name} needs ${what}`);
}

function toInt(s: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new Error(`bench: ${s} is not an integer`);
  return n;
}

function toList(s: string): string[] {
  const inner = s.startsWith("(") && s.endsWith(")") ? s.slice(1, -1) : s;
  return inner === "" ? [] : inner.split(",");
}

function toIntList(s: string): number[] {
  return toList(s).map(toInt);
}

function toBool(s: string): boolean {
  if (s !== "true" && s !== "false") throw new Error(`bench: ${s} is not a boolean`);
  return s === "true";
}

function nodeOptions(kv: ReadonlyMap<string, string>): NodeOptions {
  const o: NodeOptions = {};
  for (const [k, v] of kv) {
    switch (k) {
      case "voters":
      case "learners":
      case "index":
      case "random":
        break;
      case "prevote":
        o.preVote = toBool(v);
        break;
      case "checkquorum":
        o.checkQuorum = toBool(v);
        break;
      case "election-tick":
        o.electionTick = toInt(v);
        break;
      case "heartbeat-tick":
        o.heartbeatTick = toInt(v);
        break;
      case "max-size-per-msg":
        o.maxSizePerMsg = toInt(v);
        break;
      case "max-inflight":
        o.maxInflightMsgs = toInt(v);
        break;
      case "max-committed-size":
        o.maxCommittedSizePerReady = toInt(v);
        break;
      case "read-only":
        if (v !== "safe" && v !== "lease-based") throw new Error(`bench: bad read-only option ${v}`);
        o.readOnlyOption = v;
        break;
      case "disable-proposal-forwarding":
        o.disableProposalForwarding = toBool(v);
        break;
      case "bugs":
        o.plantedBugs = toList(v) as PlantedBug[];
        break;
      default:
        throw new Error(`bench: unknown option ${k}`);
    }
  }
  return o;
}

/** Split `name arg key=value key=(1,2) "quoted arg"` into its parts. */
export function parseCommand(line: string): Command {
  const tokens: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    tokens.push(m[1] !== undefined ? (JSON.parse(`"${m[1]}"`) as string) : (m[2] ?? ""));
  }
  const [name, ...rest] = tokens;
  if (name === undefined) throw new Error("bench: empty command");
  const args: string[] = [];
  const kv = new Map<string, string>();
  for (const t of rest) {
    const eq = t.indexOf("=");
    if (eq > 0 && !t.startsWith("(")) kv.set(t.slice(0, eq), t.slice(eq + 1));
    else args.push(t);
  }
  return { name, args, kv };
}

// ---- script files -------------------------------------------------------------------------

export interface Block {
  /** Comment lines before the command, kept on rewrite. */
  readonly comments: string[];
  readonly command: string;
  readonly expected: string;
  /** 1-based line of the command in the file. */
  readonly line: number;
}

export interface Script {
  readonly blocks: Block[];
  /** Comments after the last block. */
  readonly trailer: string[];
}

/**
 * A script is a sequence of blocks separated by blank lines: `#` comments, one command line,
 * `----`, then the expected output (never blank lines; "ok" stands for no output).
 */
export function parseScript(src: string): Script {
  const lines = src.split("\n");
  const blocks: Block[] = [];
  let comments: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i] ?? "";
    if (l.trim() === "") {
      if (comments.length > 0 && comments[comments.length - 1] !== "") comments.push("");
      i++;
      continue;
    }
    if (l.startsWith("#")) {
      comments.push(l);
      i++;
      continue;
    }
    const line = i + 1;
    if ((lines[i + 1] ?? "") !== "----") throw new Error(`script line ${line}: command not followed by ----`);
    i += 2;
    const out: string[] = [];
    while (i < lines.length && (lines[i] ?? "").trim() !== "") out.push(lines[i++] ?? "");
    while (comments[comments.length - 1] === "") comments.pop();
    blocks.push({ comments, command: l, expected: out.join("\n"), line });
    comments = [];
  }
  while (comments[comments.length - 1] === "") comments.pop();
  return { blocks, trailer: comments };
}

export function formatScript(s: Script, outputs: readonly string[]): string {
  const parts: string[] = [];
  s.blocks.forEach((b, k) => {
    const lines = [...b.comments, b.command, "----", outputs[k] ?? ""];
    parts.push(lines.join("\n"));
  });
  if (s.trailer.length > 0) parts.push(s.trailer.join("\n"));
  return `${parts.join("\n\n")}\n`;
}

export interface ScriptResult {
  readonly script: Script;
  readonly outputs: string[];
  /** The first block whose output differs from the expectation. */
  readonly mismatch?: { block: Block; actual: string };
}

/** Run every block of a script in a fresh Env. */
export function runScript(src: string): ScriptResult {
  const script = parseScript(src);
  const env = new Env();
  const outputs: string[] = [];
  let mismatch: ScriptResult["mismatch"];
  for (const block of script.blocks) {
    let actual: string;
    try {
      actual = env.handle(block.command);
    } catch (err) {
      throw new Error(`script line ${block.line}: ${block.command}: ${String(err)}`, { cause: err });
    }
    outputs.push(actual);
    if (mismatch === undefined && actual !== block.expected) mismatch = { block, actual };
  }
  return mismatch ? { script, outputs, mismatch } : { script, outputs };
}
