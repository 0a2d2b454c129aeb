import { performance } from "node:perf_hooks";
import type { Message } from "../raft/index.js";
import { TransportStateError } from "./errors.js";
import type { Transport, TransportHandler, TransportStats } from "./transport.js";
import { SnapshotStatus, emptyStats } from "./transport.js";

/** Faults the network applies to every message; all probabilities are per message. */
export interface InMemoryFaults {
  /** Chance that a message silently vanishes. */
  dropRate: number;
  /** Chance that a message is delivered twice. */
  duplicateRate: number;
  /**
   * Chance that a message leaves its link's FIFO order: it takes an extra random delay of up to
   * maxDelayMs (at least 1 ms) and may be overtaken by later ones.
   */
  reorderRate: number;
  /** Each message is delayed by a uniform draw from [minDelayMs, maxDelayMs]. */
  minDelayMs: number;
  maxDelayMs: number;
}

export interface InMemoryNetworkOptions extends Partial<InMemoryFaults> {
  /** Source of randomness in [0, 1); inject a seeded one to replay a run's choices. */
  random?: () => number;
}

export const noFaults: InMemoryFaults = {
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  minDelayMs: 0,
  maxDelayMs: 0,
};

/** What the network did to messages, since it was made. */
export interface InMemoryNetworkStats {
  delivered: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  /** Messages refused at send: partitioned link or stopped receiver. */
  blocked: number;
}

/** A transport's side of the network: how messages and reports reach it. */
interface Endpoint {
  deliver(m: Message): void;
  unreachable(peer: number): void;
  snapshotStatus(peer: number, status: SnapshotStatus): void;
}

/** The network's side, as a transport sees it. */
interface NetworkPort {
  attach(id: number, endpoint: Endpoint): void;
  detach(id: number): void;
  route(from: number, m: Message): "sent" | "unreachable";
}

interface Delivery {
  at: number;
  seq: number;
  from: number;
  m: Message;
  /** The copy that reports a MsgSnap's outcome (not a duplicate). */
  reports: boolean;
}

/**
 * A network of in-memory transports for tests. Delivery is asynchronous, FIFO per directed
 * link unless reordering is on, and every random choice comes from one injectable source.
 * Partitions are sets of blocked directed links, so a one-way partition is a link blocked in one
 * direction only.
 */
export class InMemoryNetwork {
  private readonly random: () => number;
  private faults: InMemoryFaults;
  private readonly endpoints = new Map<number, Endpoint>();
  private readonly members = new Set<number>();
  private readonly blocked = new Set<string>();
  /** Deliveries as a binary min-heap on (at, seq). */
  private readonly heap: Delivery[] = [];
  private seq = 0;
  /** Latest delivery time scheduled per link, which in-order messages may not precede. */
  private readonly linkTail = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly counters: InMemoryNetworkStats = { delivered: 0, dropped: 0, duplicated: 0, reordered: 0, blocked: 0 };
  private readonly port: NetworkPort;

  constructor(options: InMemoryNetworkOptions = {}) {
    const { random, ...faults } = options;
    this.random = random ?? Math.random;
    this.faults = { ...noFaults };
    this.setFaults(faults);
    this.port = {
      attach: (id, endpoint) => this.endpoints.set(id, endpoint),
      detach: (id) => this.endpoints.delete(id),
      route: (from, m) => this.route(from, m),
    };
  }

  /** A transport for member `id` on this network. */
  transport(id: number): InMemoryTransport {
    this.members.add(id);
    return new InMemoryTransport(id, this.port);
  }

  /** Change fault settings; those not given keep their values. */
  setFaults(faults: Partial<InMemoryFaults>): void {
    const next = { ...this.faults };
    for (const [k, v] of Object.entries(faults) as [keyof InMemoryFaults, number | undefined][]) {
      if (v !== undefined) next[k] = v;
    }
    for (const k of ["dropRate", "duplicateRate", "reorderRate"] as const) {
      if (!(next[k] >= 0 && next[k] <= 1)) throw new RangeError(`in-memory network: ${k} must be in [0, 1]`);
    }
    if (!(next.minDelayMs >= 0 && next.maxDelayMs >= next.minDelayMs)) {
      throw new RangeError("in-memory network: want 0 <= minDelayMs <= maxDelayMs");
    }
    this.faults = next;
  }

  /** Cut every link between members of different groups, both ways. */
  partition(...groups: readonly (readonly number[])[]): void {
    for (const [i, a] of groups.entries()) {
      for (const b of groups.slice(i + 1)) {
        for (const x of a) {
          for (const y of b) {
            this.block(x, y);
            this.block(y, x);
          }
        }
      }
    }
  }

  /** Cut a member off from every other member of the network, both ways. */
  isolate(id: number): void {
    this.partition([id], [...this.members].filter((m) => m !== id));
  }

  /** Cut the link from → to only: to still reaches from. */
  block(from: number, to: number): void {
    this.blocked.add(linkKey(from, to));
  }

  unblock(from: number, to: number): void {
    this.blocked.delete(linkKey(from, to));
  }

  isBlocked(from: number, to: number): boolean {
    return this.blocked.has(linkKey(from, to));
  }

  /** Restore every link. */
  heal(): void {
    this.blocked.clear();
  }

  get inFlight(): number {
    return this.heap.length;
  }

  stats(): InMemoryNetworkStats {
    return { ...this.counters };
  }

  private route(from: number, m: Message): "sent" | "unreachable" {
    const f = this.faults;
    if (this.isBlocked(from, m.to) || !this.endpoints.has(m.to)) {
      this.counters.blocked++;
      return "unreachable";
    }
    if (this.random() < f.dropRate) {
      this.counters.dropped++;
      // A real snapshot sender learns of the loss from the failed call.
      if (m.type === "MsgSnap") this.endpoints.get(from)?.snapshotStatus(m.to, SnapshotStatus.Failure);
      return "sent";
    }
    this.schedule(from, m, true);
    if (this.random() < f.duplicateRate) {
      this.counters.duplicated++;
      this.schedule(from, m, false);
    }
    return "sent";
  }

  private schedule(from: number, m: Message, reports: boolean): void {
    const f = this.faults;
    const now = performance.now();
    const key = linkKey(from, m.to);
    let at = now + f.minDelayMs + this.random() * (f.maxDelayMs - f.minDelayMs);
    if (f.reorderRate > 0 && this.random() < f.reorderRate) {
      this.counters.reordered++;
      at += this.random() * Math.max(1, f.maxDelayMs);
    } else {
      at = Math.max(at, this.linkTail.get(key) ?? 0);
      this.linkTail.set(key, at);
    }
    // A copy: the sender may reuse or rewrite its message objects once send() returns.
    this.push({ at, seq: this.seq++, from, m: { ...m }, reports });
    this.arm();
  }

  private arm(): void {
    const next = this.heap[0];
    if (next === undefined || next.at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next.at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.at - performance.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    for (let d = this.heap[0]; d !== undefined && d.at <= now; d = this.heap[0]) {
      this.pop();
      this.deliver(d);
    }
    this.arm();
  }

  private deliver(d: Delivery): void {
    const to = this.endpoints.get(d.m.to);
    const sender = this.endpoints.get(d.from);
    // Links cut or receivers stopped while a message was on the wire lose it.
    if (to === undefined || this.isBlocked(d.from, d.m.to)) {
      this.counters.dropped++;
      if (d.reports && d.m.type === "MsgSnap") sender?.snapshotStatus(d.m.to, SnapshotStatus.Failure);
      return;
    }
    this.counters.delivered++;
    to.deliver(d.m);
    if (d.reports && d.m.type === "MsgSnap") sender?.snapshotStatus(d.m.to, SnapshotStatus.Finish);
  }

  private push(d: Delivery): void {
    const h = this.heap;
    h.push(d);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i] as Delivery, h[parent] as Delivery)) break;
      [h[i], h[parent]] = [h[parent] as Delivery, h[i] as Delivery];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < h.length && before(h[l] as Delivery, h[min] as Delivery)) min = l;
      if (r < h.length && before(h[r] as Delivery, h[min] as Delivery)) min = r;
      if (min === i) return;
      [h[i], h[min]] = [h[min] as Delivery, h[i] as Delivery];
      i = min;
    }
  }
}

function before(a: Delivery, b: Delivery): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

function linkKey(from: number, to: number): string {
  return `${from}>${to}`;
}

/**
 * The Transport seam over an InMemoryNetwork. Peer URLs are kept but not used: members are
 * found by id, and must have been added as peers, as with the real transport.
 */
export class InMemoryTransport implements Transport {
  private handler: TransportHandler | undefined;
  private state: "new" | "running" | "stopped" = "new";
  private readonly peers = new Map<number, readonly string[]>();
  private readonly counters: TransportStats = emptyStats();
  private readonly unreachable = new Set<number>();
  private snapshotReports: [number, SnapshotStatus][] = [];
  private immediate: NodeJS.Immediate | undefined;

  constructor(
    readonly id: number,
    private readonly network: NetworkPort,
  ) {}

  setHandler(handler: TransportHandler): void {
    this.handler = handler;
  }

  stats(): TransportStats {
    return { ...this.counters };
  }

  /** The peers' URLs, as last added or updated. */
  peerUrls(): ReadonlyMap<number, readonly string[]> {
    return this.peers;
  }

  send(messages: readonly Message[]): void {
    if (this.state !== "running") return;
    let sent = 0;
    for (const m of messages) {
      if (!this.peers.has(m.to)) {
        this.counters.droppedUnknownPeer++;
        this.failed(m);
        continue;
      }
      if (this.network.route(this.id, m) === "unreachable") {
        this.counters.droppedUnreachable++;
        this.failed(m);
        continue;
      }
      sent++;
    }
    this.counters.messagesSent += sent;
    if (sent > 0) this.counters.batchesSent++;
  }

  private failed(m: Message): void {
    if (m.type === "MsgSnap") this.reportSnapshot(m.to, SnapshotStatus.Failure);
    this.reportUnreachable(m.to);
  }

  addPeer(id: number, urls: readonly string[]): void {
    if (id !== this.id) this.peers.set(id, [...urls]);
  }

  updatePeer(id: number, urls: readonly string[]): void {
    this.addPeer(id, urls);
  }

  removePeer(id: number): void {
    this.peers.delete(id);
  }

  async start(): Promise<void> {
    if (this.state !== "new") throw new TransportStateError(`transport: cannot start a ${this.state} transport`);
    if (this.handler === undefined) throw new TransportStateError("transport: setHandler before start");
    this.state = "running";
    this.network.attach(this.id, {
      deliver: (m) => {
        if (this.state !== "running") return;
        this.counters.messagesReceived++;
        this.counters.batchesReceived++;
        if (m.type === "MsgSnap") this.counters.snapshotsReceived++;
        this.handler?.step(m);
      },
      unreachable: (peer) => this.reportUnreachable(peer),
      snapshotStatus: (peer, status) => this.reportSnapshot(peer, status),
    });
  }

  async stop(): Promise<void> {
    this.state = "stopped";
    this.network.detach(this.id);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  private reportUnreachable(peer: number): void {
    this.unreachable.add(peer);
    this.schedule();
  }

  private reportSnapshot(peer: number, status: SnapshotStatus): void {
    if (status === SnapshotStatus.Failure) this.counters.snapshotsFailed++;
    else this.counters.snapshotsSent++;
    this.snapshotReports.push([peer, status]);
    this.schedule();
  }

  // Reports reach the handler on a later turn, never from inside send(), as with gRPC.
  private schedule(): void {
    if (this.immediate !== undefined || this.state !== "running") return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      const handler = this.handler;
      if (this.state !== "running" || handler === undefined) return;
      const unreachable = [...this.unreachable];
      this.unreachable.clear();
      const reports = this.snapshotReports;
      this.snapshotReports = [];
      for (const peer of unreachable) handler.reportUnreachable(peer);
      for (const [peer, status] of reports) handler.reportSnapshot(peer, status);
    });
  }
}
