import { test } from "node:test";
import assert from "node:assert/strict";
import { Prng } from "./prng.js";

test("a seed fixes the sequence", () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const c = new Prng(43);
  const xs = Array.from({ length: 100 }, () => a.nextU32());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.nextU32()));
  assert.notDeepEqual(xs, Array.from({ length: 100 }, () => c.nextU32()));
});

test("draws stay in range and cover it", () => {
  const rng = new Prng(1);
  const seen = new Set<number>();
  for (let i = 0; i < 10000; i++) {
    const f = rng.next();
    assert.ok(f >= 0 && f < 1);
    const n = rng.range(3, 7);
    assert.ok(n >= 3 && n <= 7 && Number.isInteger(n));
    seen.add(n);
  }
  assert.deepEqual([...seen].sort(), [3, 4, 5, 6, 7]);
});

test("seed 0 still yields a working generator", () => {
  const rng = new Prng(0);
  assert.ok(new Set(Array.from({ length: 10 }, () => rng.nextU32())).size > 1);
});
