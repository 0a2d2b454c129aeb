import type { Event, KeyValue, WatchResponse } from "../../internal/mvcc/index.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Bytes of a string. */
export function b(s: string): Uint8Array {
  return enc.encode(s);
}

/** String of bytes. */
export function str(u: Uint8Array): string {
  return dec.decode(u);
}

/** A key-value with strings, for readable deepEqual. */
export interface KvView {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number;
}

export function kv(k: KeyValue): KvView {
  return {
    key: str(k.key),
    value: str(k.value),
    createRevision: k.createRevision,
    modRevision: k.modRevision,
    version: k.version,
    lease: k.lease,
  };
}

export function kvs(list: readonly KeyValue[]): KvView[] {
  return list.map(kv);
}

/** An event as "PUT foo=bar@3" / "DELETE foo@4", with " (prev baz)" when prevKv is set. */
export function ev(e: Event): string {
  const body = e.type === "PUT" ? `PUT ${str(e.kv.key)}=${str(e.kv.value)}@${e.kv.modRevision}` : `DELETE ${str(e.kv.key)}@${e.kv.modRevision}`;
  return e.prevKv === undefined ? body : `${body} (prev ${str(e.prevKv.value)})`;
}

export function evs(responses: readonly WatchResponse[]): string[] {
  return responses.flatMap((r) => r.events.map(ev));
}

/** Small fast seeded PRNG (mulberry32): the same seed gives the same run. */
export function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] as T };
}
