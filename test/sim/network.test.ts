import { test } from "node:test";
import assert from "node:assert/strict";
import { message } from "../../internal/raft/index.js";
import type { Message } from "../../internal/raft/index.js";
import { Network } from "./network.js";
import { Prng } from "./prng.js";

function msg(from: number, to: number, index: number): Message {
  return message({ type: "MsgApp", from, to, term: 1, index });
}

test("without jitter, messages are delivered in the order sent", () => {
  const net = new Network(new Prng(1), { jitter: 1, stragglerChance: 0, stragglerDelay: 1 });
  for (let i = 0; i < 10; i++) net.send(msg(1, 2, i), i);
  const order: number[] = [];
  for (let m = net.next(); m !== undefined; m = net.next()) order.push(m.index);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("jitter reorders, and nothing is lost or invented", () => {
  const net = new Network(new Prng(2), { jitter: 50, stragglerChance: 0.1, stragglerDelay: 500 });
  for (let i = 0; i < 200; i++) net.send(msg(1, 2, i), i);
  const order: number[] = [];
  for (let m = net.next(); m !== undefined; m = net.next()) order.push(m.index);
  assert.notDeepEqual(order, [...order].sort((a, b) => a - b));
  assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
});

test("a duplicate is a separate copy", () => {
  const net = new Network(new Prng(3), { jitter: 1, stragglerChance: 0, stragglerDelay: 1 });
  net.send(msg(1, 2, 5), 0);
  const original = net.duplicate(0);
  const a = net.next();
  const b = net.next();
  assert.ok(original !== undefined && a !== undefined && b !== undefined);
  assert.notEqual(a, b);
  assert.deepEqual(a, b);
});

test("partitions block links one way or both; heal unblocks", () => {
  const net = new Network(new Prng(4), { jitter: 1, stragglerChance: 0, stragglerDelay: 1 });
  net.block(1, 2);
  assert.ok(net.isBlocked(1, 2));
  assert.ok(!net.isBlocked(2, 1), "one-way");
  net.disconnect(3);
  assert.ok(net.isBlocked(3, 1) && net.isBlocked(2, 3));
  assert.deepEqual(net.disconnectedNodes, [3]);
  net.heal();
  assert.ok(!net.partitioned && !net.isBlocked(1, 2) && !net.isBlocked(3, 1));
});

test("a crashed sender's messages can be lost, and only its", () => {
  const net = new Network(new Prng(5), { jitter: 4, stragglerChance: 0, stragglerDelay: 1 });
  for (let i = 0; i < 20; i++) net.send(msg(i % 2 === 0 ? 1 : 2, 3, i), i);
  assert.equal(net.loseFrom(1, 1), 10);
  const left: Message[] = [];
  for (let m = net.next(); m !== undefined; m = net.next()) left.push(m);
  assert.equal(left.length, 10);
  assert.ok(left.every((m) => m.from === 2));
});
