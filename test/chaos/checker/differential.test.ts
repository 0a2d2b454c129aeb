import { test } from "node:test";
import assert from "node:assert/strict";
import type { CasOp, KvOp } from "../history.js";
import { Prng } from "../../sim/prng.js";
import { checkLinearizability } from "./index.js";
import { generateRegisterHistory } from "./generate.js";

/**
 * The search (with its memoisation, pruning of unknown writes, lazy unknown writes, inferred
 * deadlines and excerpt weakening) against the definition, tried literally: every order of
 * every subset of the unknown operations, on thousands of small single-key histories.
 */

type State = string | null;

/** Is there an order of `ops` (one key) that real time and a register allow? */
function linearizableByDefinition(ops: readonly KvOp[], revisionsFrom: readonly KvOp[] = ops): boolean {
  const live = ops.filter((op) => op.outcome !== "failed" && !(op.type === "read" && op.outcome === "unknown"));
  // Revision → value, from what the history observed (first observation wins), for values
  // some write may have put (not failed, nor compare failed); a value's revision is its
  // first claim.
  const put = (op: KvOp): boolean => op.type !== "read" && op.outcome !== "failed" && (op.type === "write" || op.outcome === "unknown" || op.result.succeeded);
  const written = new Set(revisionsFrom.filter(put).map((op) => (op as CasOp).value));
  const claims = new Map<number, string>();
  const claim = (value: string | null, revision: number | undefined): void => {
    if (value !== null && revision !== undefined && !claims.has(revision) && written.has(value)) claims.set(revision, value);
  };
  for (const op of revisionsFrom) {
    if (op.outcome !== "ok") continue;
    if (op.type === "read") claim(op.result.value, op.result.modRevision);
    else if (op.type === "write" || op.result.succeeded) claim(op.value, op.result.revision);
    else if (op.result.current !== undefined) claim(op.result.current.value, op.result.current.modRevision);
  }
  const revisionKnown = new Set(claims.values());
  const compare = (op: CasOp, s: State): "holds" | "fails" | "either" => {
    const c = op.compare;
    if (c.target === "value") return s !== null && s === c.value ? "holds" : "fails";
    if (c.modRevision === 0) return s === null ? "holds" : "fails";
    const owner = claims.get(c.modRevision);
    if (owner !== undefined) return s === owner ? "holds" : "fails";
    return s !== null && !revisionKnown.has(s) ? "either" : "fails";
  };
  const apply = (op: KvOp, s: State): State | undefined => {
    if (op.type === "read") return op.outcome === "ok" && op.result.value === s ? s : undefined;
    if (op.type === "write") return op.value;
    const holds = compare(op, s);
    if (op.outcome !== "ok" || op.result.succeeded) return holds === "fails" ? undefined : op.value;
    if (holds === "holds") return undefined;
    return op.result.current === undefined || op.result.current.value === s ? s : undefined;
  };
  const ret = (op: KvOp): number => (op.outcome === "ok" ? op.complete : Infinity);
  const placed = new Array<boolean>(live.length).fill(false);
  const required = live.filter((op) => op.outcome === "ok").length;
  // What happens next depends only on which operations were placed and on the state, so a
  // failed (set, state) need not be tried twice: this only saves time.
  const failed = new Set<string>();
  const dfs = (s: State, done: number, set: bigint): boolean => {
    if (done === required) return true;
    const key = `${set}|${s}`;
    if (failed.has(key)) return false;
    for (let i = 0; i < live.length; i++) {
      if (placed[i]) continue;
      const op = live[i] as KvOp;
      if (live.some((p, j) => !placed[j] && j !== i && ret(p) < op.invoke)) continue;
      const next = apply(op, s);
      if (next === undefined) continue;
      placed[i] = true;
      const ok = dfs(next, done + (op.outcome === "ok" ? 1 : 0), set | (1n << BigInt(i)));
      placed[i] = false;
      if (ok) return true;
    }
    failed.add(key);
    return false;
  };
  return dfs(null, 0, 0n);
}

/** A small history with random answers: mostly not linearizable, with every kind of operation. */
function randomHistory(rng: Prng): KvOp[] {
  const n = rng.chance(0.2) ? 8 : rng.range(2, 7);
  const values = Array.from({ length: n }, (_, i) => `v${i}`);
  const anyValue = (): string | null => rng.pick<string | null>([null, "ghost", ...values]);
  const someRevision = (): number | undefined => (rng.chance(0.5) ? rng.range(1, 6) : undefined);
  const ops: KvOp[] = [];
  for (let i = 0; i < n; i++) {
    const invoke = rng.range(0, 12);
    const complete = invoke + rng.range(0, 4);
    const u = rng.next();
    const base = { id: i + 1, process: i, key: "x", invoke };
    const type = rng.pick(["read", "write", "cas"] as const);
    if (u < 0.1) {
      const failed = { ...base, outcome: "failed" as const, complete };
      ops.push(type === "read" ? { ...failed, type } : type === "write" ? { ...failed, type, value: `v${i}` } : { ...failed, type, value: `v${i}`, compare: { target: "modRevision", modRevision: 0 } });
      continue;
    }
    const unknown = u < 0.35;
    if (type === "read") {
      if (unknown) ops.push({ ...base, type, outcome: "unknown" });
      else {
        const value = anyValue();
        const mod = value === null ? undefined : someRevision();
        ops.push({ ...base, type, outcome: "ok", complete, result: mod === undefined ? { value } : { value, modRevision: mod } });
      }
      continue;
    }
    if (type === "write") {
      const r = someRevision();
      ops.push(unknown ? { ...base, type, value: `v${i}`, outcome: "unknown" } : { ...base, type, value: `v${i}`, outcome: "ok", complete, result: r === undefined ? {} : { revision: r } });
      continue;
    }
    const target = rng.pick([0, 1, 2, 3, 4, 5, 6, 99]);
    const expected = anyValue();
    const compare = rng.chance(0.5) && expected !== null ? { target: "value" as const, value: expected } : { target: "modRevision" as const, modRevision: target };
    if (unknown) {
      ops.push({ ...base, type, value: `v${i}`, compare, outcome: "unknown" });
    } else if (rng.chance(0.5)) {
      const r = someRevision();
      ops.push({ ...base, type, value: `v${i}`, compare, outcome: "ok", complete, result: r === undefined ? { succeeded: true } : { succeeded: true, revision: r } });
    } else {
      const current = rng.chance(0.5) ? { current: { value: anyValue() } } : {};
      ops.push({ ...base, type, value: `v${i}`, compare, outcome: "ok", complete, result: { succeeded: false, ...current } });
    }
  }
  return ops;
}

/** A small real register history, then (half the time) one answer changed. */
function nearlyRealHistory(rng: Prng, seed: number): KvOp[] {
  const ops = generateRegisterHistory({ seed, ops: rng.range(3, 7), keys: 1, processes: 3, unknownRate: 0.3, failedRate: 0.1, failureRead: 0.5, maxLatency: 3 });
  if (rng.chance(0.5)) return ops;
  const i = rng.int(ops.length);
  const op = ops[i] as KvOp;
  if (op.outcome !== "ok") return ops;
  let changed: KvOp = op;
  const values = ops.filter((o) => o.type !== "read").map((o) => (o as CasOp).value);
  if (op.type === "read") changed = { ...op, result: { value: rng.pick<string | null>([null, ...values]) } };
  else if (op.type === "cas") changed = op.result.succeeded ? { ...op, result: { succeeded: false } } : { ...op, result: { succeeded: true } };
  else changed = { ...op, invoke: op.invoke + 2, complete: op.complete + 2 };
  return ops.map((o, j) => (j === i ? changed : o));
}

/** More cases for a deeper run: CHECKER_CASES=200000 node --test dist/test/chaos/checker/differential.test.js */
const CASES = Number(process.env["CHECKER_CASES"] ?? 3000);
const SEED = Number(process.env["CHECKER_SEED"] ?? 20240601);
const LONGER = Math.ceil(CASES / 10);

test(`the search agrees with the definition on ${CASES} small histories, and its excerpts fail too`, () => {
  const rng = new Prng(SEED);
  const verdicts = { ok: 0, violation: 0 };
  for (let c = 0; c < CASES; c++) {
    const ops = c % 2 === 0 ? randomHistory(rng) : nearlyRealHistory(rng, c);
    const expected = linearizableByDefinition(ops);
    const result = checkLinearizability(ops);
    const shown = () => JSON.stringify(ops);
    assert.notEqual(result.verdict, "unknown", shown());
    assert.equal(result.verdict === "ok", expected, `case ${c}: search says ${result.verdict}, the definition ${expected}: ${shown()}`);
    verdicts[result.verdict === "ok" ? "ok" : "violation"]++;
    for (const f of result.failures) {
      assert.equal(linearizableByDefinition(f.ops, ops), false, `case ${c}: the excerpt ${JSON.stringify(f.ops.map((op) => op.id))} passes: ${shown()}`);
    }
  }
  assert.ok(verdicts.ok > CASES / 4 && verdicts.violation > CASES / 4, `both verdicts are exercised: ${JSON.stringify(verdicts)}`);
});

test(`the search agrees with the definition on ${LONGER} longer histories, full of unknown writes and bare failed compares`, () => {
  // Up to 40 operations, a third of them unknown, no failure-branch reads: many unknown
  // writes may be needed to explain failed compares, which is where the search cuts most.
  const rng = new Prng(SEED + 1);
  const verdicts = { ok: 0, violation: 0 };
  for (let c = 0; c < LONGER; c++) {
    let ops = generateRegisterHistory({ seed: SEED + c, ops: rng.range(15, 40), keys: 1, processes: rng.range(3, 6), unknownRate: 0.3, failedRate: 0.05, failureRead: 0, mix: { read: 1, write: 1, cas: 3 }, maxLatency: 4 });
    if (rng.chance(0.8)) {
      const i = rng.int(ops.length);
      const op = ops[i] as KvOp;
      if (op.outcome === "ok" && op.type === "cas") ops = ops.map((o, j) => (j === i ? { ...op, result: { succeeded: !op.result.succeeded } } : o));
      else if (op.outcome === "ok" && op.type === "read") ops = ops.map((o, j) => (j === i ? { ...op, result: { value: rng.pick(ops.filter((w) => w.type !== "read").map((w) => (w as CasOp).value)) } } : o));
    }
    const expected = linearizableByDefinition(ops);
    const result = checkLinearizability(ops);
    assert.equal(result.verdict === "ok", expected, `case ${c}: search says ${result.verdict}, the definition ${expected}: ${JSON.stringify(ops)}`);
    verdicts[expected ? "ok" : "violation"]++;
    for (const f of result.failures) {
      assert.equal(linearizableByDefinition(f.ops, ops), false, `case ${c}: the excerpt ${JSON.stringify(f.ops.map((op) => op.id))} passes: ${JSON.stringify(ops)}`);
    }
  }
  assert.ok(verdicts.ok > LONGER / 5 && verdicts.violation > LONGER / 5, `both verdicts are exercised: ${JSON.stringify(verdicts)}`);
});
