import { test } from "node:test";
import assert from "node:assert/strict";
import type { Entry, Snapshot } from "../../internal/raft/index.js";
import { encodeProposal } from "./payload.js";
import { StateMachine } from "./state-machine.js";

const confState = { voters: [1, 2, 3], learners: [] };
const base: Snapshot = { metadata: { index: 1, term: 1, confState }, data: new Uint8Array(0) };

function entry(index: number, term: number, proposal?: number): Entry {
  return { index, term, type: "normal", data: proposal === undefined ? new Uint8Array(0) : encodeProposal(proposal) };
}

test("a snapshot image rebuilds the same state", () => {
  const a = StateMachine.fromSnapshot(base);
  assert.equal(a.apply(entry(2, 2)), undefined, "a no-op is no proposal");
  assert.equal(a.apply(entry(3, 2, 41)), 41);
  a.apply(entry(4, 3, 42));
  const b = StateMachine.fromSnapshot({ metadata: { index: 4, term: 3, confState }, data: a.image() });
  assert.equal(b.appliedIndex, 4);
  assert.equal(b.digest, a.digest);
  assert.deepEqual([...b.proposals], [41, 42]);
  b.apply(entry(5, 3, 43));
  a.apply(entry(5, 3, 43));
  assert.equal(b.digest, a.digest);
});

test("different histories give different digests", () => {
  const a = StateMachine.fromSnapshot(base);
  const b = StateMachine.fromSnapshot(base);
  a.apply(entry(2, 2, 1));
  b.apply(entry(2, 3, 1));
  assert.notEqual(a.digest, b.digest);
});

test("entries must be applied in order", () => {
  const a = StateMachine.fromSnapshot(base);
  assert.throws(() => a.apply(entry(3, 2)), /skipped or repeated/);
});
