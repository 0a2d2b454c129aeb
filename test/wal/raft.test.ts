import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { MemoryStorage, RawNode } from "../../internal/raft/index.js";
import type { HardState, Message } from "../../internal/raft/index.js";
import { Wal } from "../../internal/wal/index.js";
import { logOf, tempDir } from "./helpers.js";

const ids = [1, 2, 3];
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** One member as the real driver runs it: RawNode over the WAL's MemoryStorage mirror. */
interface Member {
  readonly id: number;
  readonly wal: Wal;
  readonly storage: MemoryStorage;
  readonly raw: RawNode;
  /** Payloads of the normal entries applied since this start. */
  readonly applied: string[];
}

async function start(id: number, dir: string): Promise<Member> {
  const { wal, storage, isNew, metadata } = await Wal.open(dir);
  if (isNew) {
    const boot = MemoryStorage.bootstrap({ voters: ids, learners: [] });
    await wal.save(
      { metadata: { memberId: id, clusterId: 42 }, snapshot: boot.snapshot(), hardState: boot.hardStateNow(), entries: [] },
      { sync: true },
    );
  } else {
    assert.deepEqual(metadata, { memberId: id, clusterId: 42 });
  }
  // No `applied`: raft re-delivers the committed entries after the snapshot.
  const raw = new RawNode({ id, storage, random: () => 0.5 });
  return { id, wal, storage, raw, applied: [] };
}

/** Process Readys and deliver messages until the cluster is quiet, in the Ready order. */
async function stabilize(members: Member[]): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const outbox: Message[] = [];
    for (const m of members) {
      if (!m.raw.hasReady()) continue;
      const rd = m.raw.ready();
      await m.wal.save(rd, { sync: rd.mustSync });
      outbox.push(...rd.messages);
      for (const e of rd.committedEntries) if (e.type === "normal" && e.data.length > 0) m.applied.push(dec(e.data));
      m.raw.advance(rd);
    }
    if (outbox.length === 0 && members.every((m) => !m.raw.hasReady())) return;
    for (const msg of outbox) members.find((m) => m.id === msg.to)?.raw.step(msg);
  }
  assert.fail("the cluster did not settle in 100 rounds");
}

function leaderOf(members: Member[]): Member {
  const leader = members.find((m) => m.raw.isLeader());
  assert.ok(leader !== undefined, "no leader");
  return leader;
}

test("a 3-node cluster on WALs recovers term, vote, commit and log from disk and keeps committing", async (t) => {
  const root = await tempDir(t);
  const dirs = ids.map((id) => join(root, `member-${id}`));
  let members = await Promise.all(ids.map((id, k) => start(id, dirs[k] as string)));

  (members[0] as Member).raw.campaign();
  await stabilize(members);
  const first = leaderOf(members);
  assert.equal(first.id, 1);
  const firstBatch = Array.from({ length: 10 }, (_, k) => `put-${k}`);
  for (const p of firstBatch) first.raw.propose(enc(p));
  await stabilize(members);
  for (const m of members) assert.deepEqual(m.applied, firstBatch, `member ${m.id} applied`);

  const hardStates = new Map<number, HardState>(members.map((m) => [m.id, m.storage.hardStateNow()]));
  const logs = new Map(members.map((m) => [m.id, logOf(m.storage)]));
  const commit = first.raw.status().commit;
  assert.ok(commit >= 12, `commit ${commit}: snapshot at 1, the leader's no-op, 10 proposals`);
  await Promise.all(members.map((m) => m.wal.close()));

  members = await Promise.all(ids.map((id, k) => start(id, dirs[k] as string)));
  for (const m of members) {
    const hs = m.storage.hardStateNow();
    assert.deepEqual(hs, hardStates.get(m.id), `member ${m.id} hard state`);
    assert.equal(hs.vote, 1, `member ${m.id} voted for 1`);
    assert.deepEqual(logOf(m.storage), logs.get(m.id), `member ${m.id} log`);
    assert.equal(m.raw.status().term, hs.term);
    assert.equal(m.raw.status().commit, commit);
  }

  // A new election on the restarted cluster, then more proposals through the new leader.
  (members[1] as Member).raw.campaign();
  await stabilize(members);
  const second = leaderOf(members);
  assert.equal(second.id, 2);
  assert.ok(second.raw.status().term > (hardStates.get(2) as HardState).term);
  const secondBatch = Array.from({ length: 5 }, (_, k) => `after-restart-${k}`);
  for (const p of secondBatch) second.raw.propose(enc(p));
  await stabilize(members);
  for (const m of members) {
    // Restarted without `applied`, each member replays the whole log from its snapshot at 1.
    assert.deepEqual(m.applied, [...firstBatch, ...secondBatch], `member ${m.id} applied`);
    assert.deepEqual(logOf(m.storage), logOf(second.storage), `member ${m.id} log matches the leader's`);
  }
  await Promise.all(members.map((m) => m.wal.close()));
});
