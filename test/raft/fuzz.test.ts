/**
 * Seeded fuzzing: garbage thrown at a running three-node cluster, mixed with ordinary traffic,
 * ticks and proposals. No call may throw; each node must count exactly the malformed messages
 * it was sent; the safety checkers must stay silent; and once the garbage stops, the cluster
 * must still elect a leader and commit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { invalidReason, message, networkMessageTypes } from "../../internal/raft/index.js";
import type { Message, MessageType } from "../../internal/raft/index.js";
import { Checker } from "./chaos.js";
import { Env, bytes, seededRandom } from "./interaction.js";

const types = [...networkMessageTypes];

function int(rnd: () => number, n: number): number {
  return Math.floor(rnd() * n);
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[int(rnd, xs.length)] as T;
}

/** A well-formed message of a random network type from `from` to `to` in `term`. */
function template(rnd: () => number, from: number, to: number, term: number): Message {
  const type = pick(rnd, types);
  const entry = { term: 0, index: 0, type: "normal" as const, data: bytes("g") };
  switch (type) {
    case "MsgProp":
    case "MsgReadIndex":
      return message({ type, from, to, entries: [entry] });
    case "MsgReadIndexResp":
      return message({ type, from, to, term, index: 1, entries: [entry] });
    case "MsgApp":
      return message({ type, from, to, term, index: 1, logTerm: 1, entries: [{ ...entry, term, index: 2 }] });
    case "MsgSnap":
      return message({ type, from, to, term, snapshot: {
        metadata: { index: 1, term: 1, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array(0),
      } });
    default:
      return message({ type, from, to, term, index: int(rnd, 5), logTerm: int(rnd, term + 1) });
  }
}

const badNumbers: unknown[] = [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, "3", null, undefined, {}, 1n];

/** Corrupt one thing of a well-formed message so that validation must refuse it. */
function corrupt(rnd: () => number, m: Message, self: number): unknown {
  const kind = int(rnd, 10);
  switch (kind) {
    case 0:
      return { ...m, type: pick(rnd, ["MsgUnreachable", "MsgSnapStatus", "MsgHup", "msgapp", "", 3]) };
    case 1:
      return { ...m, [pick(rnd, ["from", "to", "term", "logTerm", "index", "commit", "rejectHint"])]: pick(rnd, badNumbers) };
    case 2:
      return { ...m, to: self === 1 ? 2 : 1 };
    case 3:
      return { ...m, from: 0 };
    case 4:
      return { ...m, reject: pick(rnd, ["true", 1, null]) };
    case 5:
      return { ...m, context: pick(rnd, ["ctx", [1, 2], null, 5]) };
    case 6:
      return { ...m, entries: pick(rnd, [null, "e", {}, [null], [7], [{ term: -1, index: 1, type: "normal", data: bytes("") }]]) };
    case 7:
      if (m.type === "MsgApp") return { ...m, entries: [{ term: m.term, index: m.index + 3, type: "normal", data: bytes("") }] };
      if (m.type === "MsgSnap") return { ...m, snapshot: pick(rnd, [undefined, null, { data: new Uint8Array(0) }]) };
      return { ...m, type: "MsgBogus" };
    case 8:
      return pick(rnd, [null, 42, "garbage", [], true, { type: "MsgApp" }]);
    default:
      return { ...m, entries: [{ term: 0, index: 0, type: "normal", data: "not bytes" }] };
  }
}

function fuzz(seed: number): void {
  const rnd = seededRandom(seed);
  const env = new Env();
  env.quiet = true;
  env.addNodes(3, { voters: [1, 2, 3], random: [1, 2, 3].map((id) => seededRandom(seed * 10 + id)) });
  const checker = new Checker(env);
  env.campaign(1);
  env.stabilize();
  const malformedSent = new Map<number, number>([[1, 0], [2, 0], [3, 0]]);
  let proposals = 0;
  for (let step = 0; step < 500; step++) {
    const id = 1 + int(rnd, 3);
    const term = env.status(id).term;
    const r = rnd();
    if (r < 0.4) {
      const from = 1 + ((id + int(rnd, 2)) % 3);
      const garbage = corrupt(rnd, template(rnd, from, id, term), id);
      assert.notEqual(invalidReason(garbage as Message, id), undefined, `seed ${seed}: the generator made a valid message`);
      assert.doesNotThrow(() => env.raw(id).step(garbage as Message));
      malformedSent.set(id, (malformedSent.get(id) ?? 0) + 1);
    } else if (r < 0.55) {
      // Well-formed but harmless: a stale term from a member, or a peer outside the configuration.
      const stale = term > 1 && rnd() < 0.5;
      const from = stale ? 1 + ((id + int(rnd, 2)) % 3) : 7 + int(rnd, 3);
      const m = template(rnd, from, id, stale ? term - 1 : term);
      const responseTypes: MessageType[] = ["MsgAppResp", "MsgHeartbeatResp", "MsgVoteResp"];
      const junk = stale ? m : { ...m, type: pick(rnd, responseTypes), term, entries: [] };
      assert.equal(invalidReason(junk, id), undefined);
      assert.doesNotThrow(() => env.raw(id).step(junk));
    } else if (r < 0.7) {
      env.tick(id);
    } else if (r < 0.9) {
      env.stabilize();
    } else {
      env.propose(env.leader() || id, `s${seed}.${proposals++}`);
    }
    checker.checkLeaders();
  }
  const garbage = [...malformedSent.values()].reduce((a, b) => a + b, 0);
  assert.ok(garbage > 150, `seed ${seed}: only ${garbage} malformed messages were sent`);
  const committedDuringFuzz = env.app(env.leader() || 1).length;
  assert.ok(committedDuringFuzz >= 5, `seed ${seed}: only ${committedDuringFuzz} proposals committed under fuzzing`);
  for (const [id, n] of malformedSent) {
    assert.equal(env.status(id).droppedMessages, n, `seed ${seed}: node ${id} dropped count`);
  }
  // The garbage stops: a leader exists, or is elected, and commits a new entry everywhere.
  let done = false;
  for (let round = 0; round < 100 && !done; round++) {
    for (const id of [1, 2, 3]) env.tick(id);
    env.stabilize();
    checker.checkLeaders();
    const lead = env.leader();
    if (lead !== 0 && !env.app(lead).includes("after")) env.propose(lead, "after");
    env.stabilize();
    done = [1, 2, 3].every((id) => env.app(id).includes("after"));
  }
  checker.checkLogMatching();
  assert.ok(done, `seed ${seed}: the cluster did not commit after the garbage stopped`);
  assert.deepEqual(checker.violations, [], `seed ${seed}`);
  assert.deepEqual(env.app(2), env.app(1));
  assert.deepEqual(env.app(3), env.app(1));
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`fuzz: seeded garbage at a running cluster (seed ${seed})`, () => fuzz(seed));
}
