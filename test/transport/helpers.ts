import type { Message } from "../../internal/raft/index.js";
import { message } from "../../internal/raft/index.js";
import { GrpcTransport } from "../../internal/transport/index.js";
import type {
  GrpcTransportOptions,
  SnapshotStatus,
  Transport,
  TransportEvent,
  TransportHandler,
} from "../../internal/transport/index.js";

/** Everything a transport handed its handler, in order. */
export class Recorder implements TransportHandler {
  readonly messages: Message[] = [];
  readonly unreachables: number[] = [];
  readonly snapshots: [number, SnapshotStatus][] = [];
  readonly events: TransportEvent[] = [];
  /** Set while send() runs, to catch handlers called from inside it. */
  insideSend = false;
  calledInsideSend = false;

  step(m: Message): void {
    if (this.insideSend) this.calledInsideSend = true;
    this.messages.push(m);
  }

  reportUnreachable(peer: number): void {
    if (this.insideSend) this.calledInsideSend = true;
    this.unreachables.push(peer);
  }

  reportSnapshot(peer: number, status: SnapshotStatus): void {
    if (this.insideSend) this.calledInsideSend = true;
    this.snapshots.push([peer, status]);
  }

  from(peer: number): Message[] {
    return this.messages.filter((m) => m.from === peer);
  }
}

/** Send through t, noting whether any handler ran synchronously. */
export function sendWatched(t: Transport, r: Recorder, messages: readonly Message[]): void {
  r.insideSend = true;
  try {
    t.send(messages);
  } finally {
    r.insideSend = false;
  }
}

/** Fast reconnects and no probing unless a test asks: keeps the suite quick. */
export const testTunables = {
  reconnectInitialMs: 20,
  reconnectMaxMs: 200,
  pingIntervalMs: 0,
} as const satisfies Partial<GrpcTransportOptions>;

export interface Member {
  readonly id: number;
  readonly transport: GrpcTransport;
  readonly recorder: Recorder;
  readonly url: string;
}

/** Start a gRPC transport on a free loopback port (or the given URL). */
export async function startMember(
  id: number,
  options: Partial<GrpcTransportOptions> & { url?: string } = {},
): Promise<Member> {
  const recorder = new Recorder();
  const { url, ...rest } = options;
  const transport = new GrpcTransport({
    id,
    clusterId: "test-cluster",
    listenUrls: [url ?? "http://127.0.0.1:0"],
    onEvent: (e) => recorder.events.push(e),
    ...testTunables,
    ...rest,
  });
  transport.setHandler(recorder);
  await transport.start();
  return { id, transport, recorder, url: transport.listenUrls()[0] as string };
}

/** Make every member a peer of every other. */
export function connectAll(members: readonly Member[]): void {
  for (const a of members) for (const b of members) if (a !== b) a.transport.addPeer(b.id, [b.url]);
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A heartbeat whose index numbers it, so order can be checked at the receiver. */
export function numbered(from: number, to: number, index: number): Message {
  return message({ type: "MsgHeartbeat", from, to, term: 1, index });
}

/** mulberry32: a tiny seeded source of [0, 1) for reproducible fault schedules. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Indexes of the messages from one peer, as received. */
export function indexesFrom(r: Recorder, peer: number): number[] {
  return r.from(peer).map((m) => m.index);
}

export function isIncreasing(xs: readonly number[]): boolean {
  return xs.every((x, i) => i === 0 || x > (xs[i - 1] as number));
}
