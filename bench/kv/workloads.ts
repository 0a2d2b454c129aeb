import { stampedValue } from "./watch-wire.js";

/** Workloads the harness can drive. */
export const Workloads = ["put", "range", "txn", "watch-fanout", "mixed"] as const;
export type Workload = (typeof Workloads)[number];
/** Those driven by closed-loop clients through worker.ts; watch-fanout has its own threads. */
export type ClosedLoopWorkload = Exclude<Workload, "watch-fanout">;

/** The operation types of a mixed run, as the API server and its clients use the store. */
export const MixedOperations = ["update", "list", "keepalive"] as const;
export type MixedOperation = (typeof MixedOperations)[number];

export interface MixedOptions {
  /** Relative frequency of each operation, e.g. 75 / 5 / 20 per 100. */
  readonly weights: Readonly<Record<MixedOperation, number>>;
  readonly podsPerNamespace: number;
  /** A list reads one namespace's pods with this limit, as a paginated list does. */
  readonly listLimit: number;
  /** Leases the keep-alives renew, chosen at random (node heartbeats). */
  readonly leaseIds: readonly number[];
  /** mod_revision of each preloaded pod, so the first update of each compares the real one. */
  readonly podRevisions: readonly number[];
  /** Updates stamp their values for the watchers' put-to-delivery latency. */
  readonly stampBase: bigint;
}

export interface WorkloadOptions {
  readonly workload: ClosedLoopWorkload;
  /** Keys are drawn from [0, keyspace). */
  readonly keyspace: number;
  readonly valueBytes: number;
  /** Range only: "l" linearizable (a ReadIndex round per read), "s" serializable (local). */
  readonly consistency: "l" | "s";
  /** Total concurrent clients across all workers; txn and mixed give each a disjoint slice of keys. */
  readonly clients: number;
  /** mixed only. */
  readonly mixed?: MixedOptions;
}

/** One request a client sends next, and what it learns from the answer. */
export interface Operation {
  /** What the figures are reported under: the workload's name, or a mixed operation. */
  readonly kind: string;
  /** A KV unary method, or a request on the channel's LeaseKeepAlive stream. */
  readonly method: "Put" | "Range" | "Txn" | "LeaseKeepAlive";
  readonly request: object;
  readonly settle?: (response: object) => void;
}

/** 8-byte keys, as etcd's benchmark tool makes them (`--key-size 8`). */
export function keyOf(index: number): Buffer {
  return Buffer.from(`k${index.toString(36).padStart(7, "0")}`);
}

/** Where the API server keeps pod `index`: /registry/pods/<namespace>/<name>. */
export function podKey(index: number, podsPerNamespace: number): Buffer {
  const namespace = Math.floor(index / podsPerNamespace);
  return Buffer.from(`${namespacePrefix(namespace).toString()}pod-${index.toString().padStart(6, "0")}`);
}

export function namespacePrefix(namespace: number): Buffer {
  return Buffer.from(`/registry/pods/ns-${namespace.toString().padStart(4, "0")}/`);
}

/** The range_end that makes a range or watch cover every key starting with prefix. */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

interface TxnAnswer {
  readonly succeeded?: boolean;
  readonly header?: { readonly revision?: number };
  readonly responses?: { readonly responseRange?: { readonly kvs?: { readonly modRevision?: number }[] } }[];
}

const compareEqual = 0;
const compareMod = 2;

/**
 * The request generator of one client (clientIndex in [0, clients)). Values are one shared
 * buffer: building them per request would measure the client's allocator, not the server
 * (mixed updates excepted: each carries its own send-time stamp).
 */
export function clientLoop(o: WorkloadOptions, clientIndex: number, value: Buffer): () => Operation {
  const random = (n: number): number => Math.floor(Math.random() * n);
  switch (o.workload) {
    case "put":
      return () => ({ kind: "put", method: "Put", request: { key: keyOf(random(o.keyspace)), value } });
    case "range": {
      const serializable = o.consistency === "s";
      return () => ({ kind: "range", method: "Range", request: { key: keyOf(random(o.keyspace)), serializable } });
    }
    case "txn": {
      // Clients own disjoint keys, so a failed compare means the client's own bookkeeping went wrong.
      const perClient = Math.max(1, Math.floor(o.keyspace / o.clients));
      const first = clientIndex * perClient;
      const lastSeen = new Map<number, number>();
      return () => {
        const index = first + random(perClient);
        const key = keyOf(index);
        return guaranteedUpdate("txn", key, value, lastSeen.get(index) ?? 0, (revision) => lastSeen.set(index, revision));
      };
    }
    case "mixed":
      return mixedLoop(o, o.mixed as MixedOptions, clientIndex, value);
  }
}

/**
 * The API server's GuaranteedUpdate: put only if the key is unchanged since this client last
 * saw it (mod_revision), and read it back in the same round trip when it was not.
 */
function guaranteedUpdate(kind: string, key: Buffer, value: Buffer, lastSeen: number, learn: (revision: number) => void): Operation {
  return {
    kind,
    method: "Txn",
    request: {
      compare: [{ result: compareEqual, target: compareMod, key, modRevision: lastSeen }],
      success: [{ requestPut: { key, value } }],
      failure: [{ requestRange: { key } }],
    },
    settle: (response: object) => {
      const r = response as TxnAnswer;
      if (r.succeeded) learn(r.header?.revision ?? 0);
      else learn(r.responses?.[0]?.responseRange?.kvs?.[0]?.modRevision ?? 0);
      if (!r.succeeded) throw new CompareFailedError(`txn compare failed on ${key.toString()}`);
    },
  };
}

/**
 * A Kubernetes-like mix, each operation drawn at random by weight: status updates of this
 * client's own pods (GuaranteedUpdate, stamped values that the run's watchers time), a
 * linearizable list of one namespace with a limit, and keep-alives of node-heartbeat leases.
 */
function mixedLoop(o: WorkloadOptions, m: MixedOptions, clientIndex: number, template: Buffer): () => Operation {
  const random = (n: number): number => Math.floor(Math.random() * n);
  const perClient = Math.max(1, Math.floor(o.keyspace / o.clients));
  const first = (clientIndex * perClient) % o.keyspace;
  const lastSeen = new Map<number, number>();
  const namespaces = Math.ceil(o.keyspace / m.podsPerNamespace);
  const total = MixedOperations.reduce((a, k) => a + m.weights[k], 0);
  return () => {
    let draw = random(total);
    const kind = MixedOperations.find((k) => (draw -= m.weights[k]) < 0) ?? "update";
    switch (kind) {
      case "update": {
        const index = Math.min(first + random(perClient), o.keyspace - 1);
        const seen = lastSeen.get(index) ?? m.podRevisions[index] ?? 0;
        return guaranteedUpdate(kind, podKey(index, m.podsPerNamespace), stampedValue(template, m.stampBase), seen, (revision) => lastSeen.set(index, revision));
      }
      case "list": {
        const prefix = namespacePrefix(random(namespaces));
        return { kind, method: "Range", request: { key: prefix, rangeEnd: prefixEnd(prefix), limit: m.listLimit } };
      }
      case "keepalive":
        return {
          kind,
          method: "LeaseKeepAlive",
          request: { ID: m.leaseIds[random(m.leaseIds.length)] },
          settle: (response: object) => {
            const ttl = (response as { TTL?: number }).TTL ?? 0;
            if (ttl <= 0) throw new Error(`lease ${(response as { ID?: number }).ID ?? "?"} expired or not found`);
          },
        };
    }
  };
}

/** A txn whose compare failed: counted apart from errors, as the API server would retry it. */
export class CompareFailedError extends Error {
  override readonly name = "CompareFailedError";
}
