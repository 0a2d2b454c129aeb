import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConfChange, ConfState, Message } from "../../internal/raft/index.js";
import { MemoryStorage, RawNode } from "../../internal/raft/index.js";
import { createLogger } from "../../internal/observability/index.js";
import type { StateMachine } from "../../internal/raftnode/index.js";
import { MemoryLog, NoLeaderError, RaftNode } from "../../internal/raftnode/index.js";

const logger = createLogger({ component: "test", level: "error" });
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A list of applied strings; apply returns the list's length, "fail" payloads return an Error. */
class ListMachine implements StateMachine {
  items: string[] = [];
  apply(payload: Uint8Array): unknown {
    const s = dec.decode(payload);
    if (s === "fail") return new Error("rejected by the state machine");
    this.items.push(s);
    return this.items.length;
  }
  applyConfChange(_c: ConfChange, cs: ConfState): unknown {
    return cs;
  }
  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify(this.items));
  }
  restore(data: Uint8Array): void {
    this.items = data.length === 0 ? [] : (JSON.parse(dec.decode(data)) as string[]);
  }
}

interface Member {
  node: RaftNode;
  machine: ListMachine;
  log: MemoryLog;
}

/** Members wired through an in-process network; `cut` drops all traffic to and from a member. */
function cluster(size: number, snapshotCount = 1000) {
  const members = new Map<number, Member>();
  const cut = new Set<number>();
  /** Return true to drop a message in flight. */
  const drop = { when: (_m: Message): boolean => false };
  const voters = Array.from({ length: size }, (_, i) => i + 1);
  const network = (from: number) => ({
    send(messages: readonly Message[]) {
      for (const m of messages) {
        if (cut.has(from) || cut.has(m.to) || drop.when(m)) continue;
        setImmediate(() => members.get(m.to)?.node.step(m));
      }
    },
  });
  for (const id of voters) {
    const machine = new ListMachine();
    const log = new MemoryLog(MemoryStorage.bootstrap({ voters, learners: [] }));
    const node = new RaftNode({
      id, log, network: network(id), stateMachine: machine, logger,
      heartbeatMs: 10, electionMs: 100, snapshotCount, catchUpEntries: 5, applied: 1,
    });
    members.set(id, { node, machine, log });
  }
  for (const m of members.values()) m.node.start();
  return { members, cut, drop };
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

function leaderOf(members: Map<number, Member>): Member | undefined {
  return [...members.values()].find((m) => m.node.isLeader());
}

async function stopAll(members: Map<number, Member>): Promise<void> {
  for (const m of members.values()) await m.node.stop();
}

test("proposals on any member are applied everywhere, in one order, and answer their caller", async () => {
  const { members } = cluster(3);
  await until(() => leaderOf(members) !== undefined);
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) => members.get((i % 3) + 1)!.node.propose(enc.encode(`v${i}`))),
  );
  assert.deepEqual([...results].sort((a, b) => (a as number) - (b as number)), Array.from({ length: 30 }, (_, i) => i + 1));
  await until(() => [...members.values()].every((m) => m.machine.items.length === 30));
  const [a, b, c] = [...members.values()].map((m) => m.machine.items.join(","));
  assert.equal(a, b);
  assert.equal(b, c);
  await stopAll(members);
});

test("a state machine error reaches the proposer as a rejection", async () => {
  const { members } = cluster(3);
  await until(() => leaderOf(members) !== undefined);
  await assert.rejects(members.get(1)!.node.propose(enc.encode("fail")), /rejected by the state machine/);
  await stopAll(members);
});

test("readIndex on a follower waits until it has applied what was committed", async () => {
  const { members } = cluster(3);
  await until(() => leaderOf(members) !== undefined);
  const leader = leaderOf(members)!;
  const follower = [...members.values()].find((m) => m !== leader)!;
  await leader.node.propose(enc.encode("x"));
  await follower.node.readIndex();
  assert.ok(follower.machine.items.includes("x"));
  await stopAll(members);
});

test("the cluster survives losing its leader, and an isolated member cannot serve proposals", async () => {
  const { members, cut } = cluster(3);
  await until(() => leaderOf(members) !== undefined);
  const old = leaderOf(members)!;
  cut.add(old.node.id);
  await until(() => [...members.values()].some((m) => m !== old && m.node.isLeader()));
  const survivor = [...members.values()].find((m) => m !== old)!;
  assert.equal(await survivor.node.propose(enc.encode("after")), 1);
  // The old leader stepped down (CheckQuorum) and knows no leader: its proposals fail.
  await until(() => !old.node.isLeader());
  await until(() => old.node.leader() === 0);
  await assert.rejects(old.node.propose(enc.encode("lost")), NoLeaderError);
  cut.clear();
  await until(() => old.machine.items.includes("after"));
  assert.ok(!old.machine.items.includes("lost"));
  await stopAll(members);
});

test("snapshots compact the log, and a member cut off past the compaction catches up by snapshot", async () => {
  const { members, cut } = cluster(3, 20);
  // Commit-only Readies are not written, yet a restart needs the stored commit index to cover
  // the stored snapshot (raft refuses a hard state whose commit lies below it): check it at
  // every snapshot a member saves.
  const uncovered: string[] = [];
  for (const m of members.values()) {
    const saveSnapshot = m.log.saveSnapshot.bind(m.log);
    m.log.saveSnapshot = (snap) => {
      const commit = m.log.storage.hardStateNow().commit;
      if (commit < snap.metadata.index) uncovered.push(`member ${m.node.id}: snapshot ${snap.metadata.index}, stored commit ${commit}`);
      return saveSnapshot(snap);
    };
  }
  await until(() => leaderOf(members) !== undefined);
  const leader = leaderOf(members)!;
  const lagging = [...members.values()].find((m) => m !== leader)!;
  cut.add(lagging.node.id);
  for (let i = 0; i < 60; i++) await leader.node.propose(enc.encode(`k${i}`));
  assert.ok(leader.log.storage.firstIndex() > 10, `log compacted (first index ${leader.log.storage.firstIndex()})`);
  cut.clear();
  await until(() => lagging.machine.items.length === 60);
  assert.deepEqual(lagging.machine.items, leader.machine.items);
  await stopAll(members);
  assert.deepEqual(uncovered, []);
  for (const m of members.values()) {
    const stored = m.log.storage;
    assert.doesNotThrow(() => new RawNode({ id: m.node.id, storage: stored, applied: stored.snapshot().metadata.index }));
  }
});

test("a Ready that only moves the commit index is not written", async () => {
  const { members } = cluster(3);
  await until(() => leaderOf(members) !== undefined);
  const leader = leaderOf(members)!;
  const saves: { entries: number; hardState: boolean }[] = [];
  const save = leader.log.save.bind(leader.log);
  leader.log.save = (rd) => {
    saves.push({ entries: rd.entries.length, hardState: rd.hardState !== undefined });
    return save(rd);
  };
  for (let i = 0; i < 10; i++) await leader.node.propose(enc.encode(`c${i}`));
  assert.ok(saves.length >= 10, `each proposal was written (${saves.length} saves)`);
  assert.deepEqual(saves.filter((s) => s.entries === 0), [], "no save without entries: commit-only Readies stay in memory");
  await stopAll(members);
});

test("a ReadIndex request lost on the way to the leader is asked again", async () => {
  const { members, drop } = cluster(3);
  await until(() => leaderOf(members) !== undefined);
  const leader = leaderOf(members)!;
  const follower = [...members.values()].find((m) => m !== leader)!;
  let dropped = 0;
  drop.when = (m) => m.type === "MsgReadIndex" && dropped++ === 0;
  await leader.node.propose(enc.encode("y"));
  await follower.node.readIndex();
  assert.equal(dropped, 2, "the first request was dropped and a second one sent");
  assert.ok(follower.machine.items.includes("y"));
  await stopAll(members);
});
