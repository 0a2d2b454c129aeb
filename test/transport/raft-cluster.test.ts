import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStorage, ProposalDroppedError, RawNode } from "../../internal/raft/index.js";
import type { Message } from "../../internal/raft/index.js";
import { GrpcTransport } from "../../internal/transport/index.js";
import type { SnapshotStatus, TransportHandler } from "../../internal/transport/index.js";
import { testTunables, waitFor } from "./helpers.js";

// A RawNode (like the raft driver) is a TransportHandler as it is; this fails to compile if not.
const rawNodeIsAHandler: RawNode extends TransportHandler ? true : never = true;
void rawNodeIsAHandler;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The smallest driver that carries out Readys: persist, send, apply, advance. */
class Member {
  readonly storage = MemoryStorage.bootstrap({ voters: [1, 2, 3], learners: [] });
  readonly node: RawNode;
  readonly transport: GrpcTransport;
  readonly applied: string[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private scheduled = false;

  constructor(readonly id: number) {
    this.node = new RawNode({ id, storage: this.storage, electionTick: 10, heartbeatTick: 1 });
    this.transport = new GrpcTransport({ id, clusterId: "raft-test", listenUrls: ["http://127.0.0.1:0"], ...testTunables });
    // RawNode has the handler's shape; only stepping needs the driver to run afterwards.
    this.transport.setHandler({
      step: (m: Message) => {
        this.node.step(m);
        this.drive();
      },
      reportUnreachable: (peer: number) => this.node.reportUnreachable(peer),
      reportSnapshot: (peer: number, status: SnapshotStatus) => this.node.reportSnapshot(peer, status),
    });
  }

  start(): void {
    this.ticker = setInterval(() => {
      this.node.tick();
      this.drive();
    }, 10);
  }

  /** Handle Readys once per turn, however many messages arrived in it. */
  drive(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.node.hasReady()) {
        const rd = this.node.ready();
        if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
        this.storage.append(rd.entries);
        if (rd.hardState) this.storage.setHardState(rd.hardState);
        this.transport.send(rd.messages);
        for (const e of rd.committedEntries) {
          if (e.type === "normal" && e.data.length > 0) this.applied.push(decoder.decode(e.data));
        }
        this.node.advance(rd);
      }
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    await this.transport.stop();
  }
}

test("a 3-member raft cluster over gRPC elects a leader and commits proposals", async () => {
  const members = [new Member(1), new Member(2), new Member(3)];
  try {
    for (const m of members) await m.transport.start();
    for (const a of members) {
      for (const b of members) if (a !== b) a.transport.addPeer(b.id, b.transport.listenUrls());
    }
    for (const m of members) m.start();
    const leader = (): Member | undefined => members.find((m) => m.node.isLeader());
    await waitFor("a leader known to all", () => {
      const l = leader();
      return l !== undefined && members.every((m) => m.node.leader() === l.id);
    });
    const proposals = Array.from({ length: 200 }, (_, i) => `put k${i}`);
    // Proposals from every member: followers forward theirs to the leader over the transport.
    let next = 0;
    await waitFor("every proposal applied everywhere", () => {
      while (next < proposals.length) {
        const m = members[next % 3] as Member;
        try {
          m.node.propose(encoder.encode(proposals[next]));
          m.drive();
          next++;
        } catch (err) {
          if (!(err instanceof ProposalDroppedError)) throw err;
          break;
        }
      }
      return members.every((m) => m.applied.length >= proposals.length);
    }, 10_000);
    const reference = members[0]?.applied;
    for (const m of members) assert.deepEqual(m.applied, reference, `member ${m.id} applied another sequence`);
    assert.deepEqual([...(reference ?? [])].sort(), [...proposals].sort());
    const status = leader()?.node.status();
    assert.ok(status !== undefined && status.commit >= proposals.length + 1);
  } finally {
    await Promise.all(members.map((m) => m.stop()));
  }
});
