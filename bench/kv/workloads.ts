/** Workloads the harness can drive; `watch-fanout` and `mixed` are named but not built yet. */
export const Workloads = ["put", "range", "txn", "watch-fanout", "mixed"] as const;
export type Workload = (typeof Workloads)[number];
export const ImplementedWorkloads: readonly Workload[] = ["put", "range", "txn"];

export interface WorkloadOptions {
  readonly workload: Workload;
  /** Keys are drawn from [0, keyspace). */
  readonly keyspace: number;
  readonly valueBytes: number;
  /** Range only: "l" linearizable (a ReadIndex round per read), "s" serializable (local). */
  readonly consistency: "l" | "s";
  /** Total concurrent clients across all workers; txn gives each a disjoint slice of keys. */
  readonly clients: number;
}

/** One request a client sends next, and what it learns from the answer. */
export interface Operation {
  readonly method: "Put" | "Range" | "Txn";
  readonly request: object;
  readonly settle?: (response: object) => void;
}

/** 8-byte keys, as etcd's benchmark tool makes them (`--key-size 8`). */
export function keyOf(index: number): Buffer {
  return Buffer.from(`k${index.toString(36).padStart(7, "0")}`);
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
 * buffer: building them per request would measure the client's allocator, not the server.
 */
export function clientLoop(o: WorkloadOptions, clientIndex: number, value: Buffer): () => Operation {
  const random = (n: number): number => Math.floor(Math.random() * n);
  switch (o.workload) {
    case "put":
      return () => ({ method: "Put", request: { key: keyOf(random(o.keyspace)), value } });
    case "range": {
      const serializable = o.consistency === "s";
      return () => ({ method: "Range", request: { key: keyOf(random(o.keyspace)), serializable } });
    }
    case "txn": {
      // The API server's GuaranteedUpdate: put only if the key is unchanged since this client
      // last saw it, and read it back in the same round trip when it was not. Clients own
      // disjoint keys, so a failed compare means the client's own bookkeeping went wrong.
      const perClient = Math.max(1, Math.floor(o.keyspace / o.clients));
      const first = clientIndex * perClient;
      const lastSeen = new Map<number, number>();
      return () => {
        const index = first + random(perClient);
        const key = keyOf(index);
        return {
          method: "Txn",
          request: {
            compare: [{ result: compareEqual, target: compareMod, key, modRevision: lastSeen.get(index) ?? 0 }],
            success: [{ requestPut: { key, value } }],
            failure: [{ requestRange: { key } }],
          },
          settle: (response: object) => {
            const r = response as TxnAnswer;
            if (r.succeeded) lastSeen.set(index, r.header?.revision ?? 0);
            else lastSeen.set(index, r.responses?.[0]?.responseRange?.kvs?.[0]?.modRevision ?? 0);
            if (!r.succeeded) throw new CompareFailedError(`txn compare failed on ${key.toString()}`);
          },
        };
      };
    }
    case "watch-fanout":
    case "mixed":
      throw new Error(`workload ${o.workload} is not implemented yet`);
  }
}

/** A txn whose compare failed: counted apart from errors, as the API server would retry it. */
export class CompareFailedError extends Error {
  override readonly name = "CompareFailedError";
}
