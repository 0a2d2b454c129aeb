import type { Message } from "../../internal/raft/index.js";
import type { Prng } from "./prng.js";

/** How long messages stay on the wire, in simulation steps. */
export interface Latency {
  /** Every message is delayed by a uniform draw from [0, jitter) steps. */
  readonly jitter: number;
  /** The chance that a message is a straggler, overtaken by everything sent well after it. */
  readonly stragglerChance: number;
  /** A straggler's extra delay, drawn from [0, stragglerDelay) steps. */
  readonly stragglerDelay: number;
}

interface InFlight {
  readonly m: Message;
  readonly due: number;
  /** Breaks ties in `due` by send order, so the heap's order never depends on its layout. */
  readonly seq: number;
}

/**
 * Messages in flight. Each gets a random delay when sent, and delivery takes the one due
 * first: jitter reorders neighbours, stragglers arrive long after later messages, and latency
 * stays bounded, where picking uniformly from a growing pool would let it grow without limit.
 * Partitions are a set of blocked one-way links, so an asymmetric partition is just a link
 * blocked in one direction only; a disconnected node is cut off from everyone.
 */
export class Network {
  /** A binary min-heap on (due, seq). */
  private readonly heap: InFlight[] = [];
  private readonly blocked = new Set<number>();
  private readonly disconnected = new Set<number>();
  private seq = 0;

  constructor(
    private readonly rng: Prng,
    private readonly latency: Latency,
  ) {}

  get inFlight(): number {
    return this.heap.length;
  }

  get partitioned(): boolean {
    return this.blocked.size > 0 || this.disconnected.size > 0;
  }

  /** Nodes cut off from everyone, in the order they were cut off. */
  get disconnectedNodes(): readonly number[] {
    return [...this.disconnected];
  }

  /** Put m on the wire at time `now`. */
  send(m: Message, now: number): void {
    const l = this.latency;
    let delay = this.rng.int(l.jitter);
    if (l.stragglerChance > 0 && this.rng.chance(l.stragglerChance)) delay += this.rng.int(l.stragglerDelay);
    this.push({ m, due: now + delay, seq: this.seq++ });
  }

  /** Remove and return the message due first, or undefined when nothing is in flight. */
  next(): Message | undefined {
    return this.heap.length > 0 ? this.removeAt(0).m : undefined;
  }

  /** Remove and return a message chosen uniformly, whatever its due time. */
  takeAny(): Message | undefined {
    return this.heap.length > 0 ? this.removeAt(this.rng.int(this.heap.length)).m : undefined;
  }

  /** Put a second copy of a random in-flight message on the wire; returns the original. */
  duplicate(now: number): Message | undefined {
    if (this.heap.length === 0) return undefined;
    const m = (this.heap[this.rng.int(this.heap.length)] as InFlight).m;
    // A shallow copy: raft rewrites `to` (and `term`) of a proposal it forwards, and the two
    // copies must not share that mutation.
    this.send({ ...m }, now);
    return m;
  }

  /**
   * A sender crashed: each message it still has on the wire is lost with probability p, as
   * data in a dead process's socket buffers is. Returns how many were lost.
   */
  loseFrom(from: number, p: number): number {
    const kept: InFlight[] = [];
    let lost = 0;
    for (const x of this.heap) {
      if (x.m.from === from && this.rng.chance(p)) lost++;
      else kept.push(x);
    }
    if (lost === 0) return 0;
    this.heap.length = 0;
    for (const x of kept) this.push(x);
    return lost;
  }

  block(from: number, to: number): void {
    this.blocked.add(linkKey(from, to));
  }

  disconnect(id: number): void {
    this.disconnected.add(id);
  }

  reconnect(id: number): void {
    this.disconnected.delete(id);
  }

  isConnected(id: number): boolean {
    return !this.disconnected.has(id);
  }

  isBlocked(from: number, to: number): boolean {
    if (this.disconnected.size > 0 && (this.disconnected.has(from) || this.disconnected.has(to))) return true;
    return this.blocked.size > 0 && this.blocked.has(linkKey(from, to));
  }

  heal(): void {
    this.blocked.clear();
    this.disconnected.clear();
  }

  private push(x: InFlight): void {
    const h = this.heap;
    h.push(x);
    this.up(h.length - 1);
  }

  private removeAt(i: number): InFlight {
    const h = this.heap;
    const out = h[i] as InFlight;
    const last = h.pop() as InFlight;
    if (i < h.length) {
      h[i] = last;
      this.down(i);
      this.up(i);
    }
    return out;
  }

  private up(i: number): void {
    const h = this.heap;
    const x = h[i] as InFlight;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as InFlight;
      if (!before(x, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = x;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const x = h[i] as InFlight;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const right = c + 1;
      if (right < n && before(h[right] as InFlight, h[c] as InFlight)) c = right;
      const child = h[c] as InFlight;
      if (!before(child, x)) break;
      h[i] = child;
      i = c;
    }
    h[i] = x;
  }
}

function before(a: InFlight, b: InFlight): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

function linkKey(from: number, to: number): number {
  return from * 0x100000 + to;
}
