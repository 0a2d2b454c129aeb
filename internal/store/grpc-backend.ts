/**
 * The store's backend over gRPC to a list of etcd v3 endpoints: raftplane members or etcd
 * itself. Every call has a deadline; an endpoint that is down, has no leader or times out is
 * left for the next one, round after round, until the deadline, so the API server answers 503
 * promptly instead of hanging. Writes are retried only where the first attempt surely did not
 * happen (the endpoint was unreachable or had no leader).
 */
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../etcdapi/index.js";
import type { RangeRequest, TxnRequest } from "../mvcc/index.js";
import type {
  BackendEvent,
  BackendKeyValue,
  BackendRange,
  BackendTxn,
  BackendWatch,
  BackendWatchHandlers,
  BackendWatchRequest,
  KvBackend,
} from "./backend.js";
import { FutureRevisionError, RequestTooLargeError, RevisionCompactedError, StoreRequestError, StoreUnavailableError } from "./errors.js";

export interface GrpcBackendOptions {
  /** Longest a request may take, all attempts together, in ms. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Longest one attempt on one endpoint may take, in ms. Default 2500. */
  readonly attemptTimeoutMs?: number;
}

const defaults: Required<GrpcBackendOptions> = { requestTimeoutMs: 5000, attemptTimeoutMs: 2500 };

type Callback = (err: grpc.ServiceError | null, res: unknown) => void;
type UnaryMethod = (req: object, metadata: grpc.Metadata, options: grpc.CallOptions, cb: Callback) => grpc.ClientUnaryCall;
type GenericClient = grpc.Client & Record<string, UnaryMethod>;
type WatchClient = grpc.Client & { Watch(metadata: grpc.Metadata): grpc.ClientDuplexStream<object, WireWatchResponse> };

/** Plain decoded messages: fields at their proto default are absent. */
interface WireKeyValue {
  key?: Buffer;
  value?: Buffer;
  createRevision?: number;
  modRevision?: number;
  version?: number;
}
interface WireHeader {
  revision?: number;
}
interface WireRange {
  header?: WireHeader;
  kvs?: WireKeyValue[];
  more?: boolean;
  count?: number;
}
interface WireTxn {
  header?: WireHeader;
  succeeded?: boolean;
  responses?: { responseRange?: WireRange }[];
}
interface WireWatchResponse {
  header?: WireHeader;
  watchId?: number;
  created?: boolean;
  canceled?: boolean;
  compactRevision?: number;
  cancelReason?: string;
  events?: { type?: number; kv?: WireKeyValue; prevKv?: WireKeyValue }[];
}

const empty = new Uint8Array(0);

function keyValue(kv: WireKeyValue | undefined): BackendKeyValue {
  return {
    key: kv?.key ?? empty,
    value: kv?.value ?? empty,
    createRevision: kv?.createRevision ?? 0,
    modRevision: kv?.modRevision ?? 0,
    version: kv?.version ?? 0,
  };
}

function range(r: WireRange | undefined): BackendRange {
  return {
    kvs: (r?.kvs ?? []).map(keyValue),
    more: r?.more === true,
    count: r?.count ?? 0,
    revision: r?.header?.revision ?? 0,
  };
}

/** grpc-js targets are host:port; endpoints may carry http:// or https://. */
function target(endpoint: string): string {
  return endpoint.replace(/^https?:\/\//, "").replace(/\/+$/, "");
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The parts of an etcd gRPC error the store reads: its status code and etcd's message. */
export interface EtcdStatus {
  readonly code: number;
  readonly details: string;
  readonly message: string;
}

/** An error worth trying again (another endpoint, or after an election). */
export function retriable(err: EtcdStatus, idempotent: boolean): boolean {
  if (err.code === grpc.status.UNAVAILABLE) {
    // "request timed out" means the request may have been applied: only reads retry it
    return idempotent || !/timed out/.test(err.details);
  }
  return idempotent && (err.code === grpc.status.DEADLINE_EXCEEDED || err.code === grpc.status.CANCELLED);
}

/** An etcd error as the store's own error class. */
export function translate(err: EtcdStatus, revision: number): Error {
  const message = err.details || err.message;
  if (err.code === grpc.status.OUT_OF_RANGE && /compacted/.test(message)) return new RevisionCompactedError(0, revision, { cause: err });
  if (err.code === grpc.status.OUT_OF_RANGE && /future revision/.test(message)) return new FutureRevisionError(revision, { cause: err });
  if (/request is too large/.test(message)) return new RequestTooLargeError(message, { cause: err });
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
    return new StoreUnavailableError(message, [], { cause: err });
  }
  return new StoreRequestError(message, err.code, { cause: err });
}

const channelOptions: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": 2 ** 31 - 1,
  "grpc.max_send_message_length": 2 ** 31 - 1,
  // reconnect quickly to a member that restarts
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1000,
};

export class GrpcBackend implements KvBackend {
  private readonly options: Required<GrpcBackendOptions>;
  private readonly kv: GenericClient[];
  private readonly watchers: WatchClient[];
  /** The endpoint tried first: the last one that answered. */
  private preferred = 0;
  private closed = false;

  constructor(
    readonly endpoints: readonly string[],
    options: GrpcBackendOptions = {},
  ) {
    if (endpoints.length === 0) throw new Error("the store needs at least one endpoint");
    this.options = { ...defaults, ...options };
    const Kv = grpc.makeGenericClientConstructor(serviceDefinition("KV"), "KV");
    const Watch = grpc.makeGenericClientConstructor(serviceDefinition("Watch"), "Watch");
    this.kv = endpoints.map((e) => new Kv(target(e), grpc.credentials.createInsecure(), channelOptions) as unknown as GenericClient);
    this.watchers = endpoints.map((e) => new Watch(target(e), grpc.credentials.createInsecure(), channelOptions) as unknown as WatchClient);
  }

  private unaryOnce(index: number, method: string, req: object, deadline: number): Promise<unknown> {
    const client = this.kv[index] as GenericClient;
    const fn = client[method] as UnaryMethod;
    return new Promise((resolve, reject) => {
      fn.call(client, req, new grpc.Metadata(), { deadline }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  /**
   * One call, endpoint after endpoint from the preferred one, until an answer or the deadline.
   * A round in which every endpoint failed is followed by a short pause (an election may be
   * under way).
   */
  private async call(method: string, req: object, idempotent: boolean, revision = 0): Promise<unknown> {
    if (this.closed) throw new StoreUnavailableError("the store client is closed", this.endpoints);
    const deadline = Date.now() + this.options.requestTimeoutMs;
    const tried: string[] = [];
    let last: grpc.ServiceError | undefined;
    let pause = 50;
    for (;;) {
      for (let i = 0; i < this.endpoints.length; i++) {
        const index = (this.preferred + i) % this.endpoints.length;
        const now = Date.now();
        if (now >= deadline) break;
        tried.push(this.endpoints[index] as string);
        try {
          const res = await this.unaryOnce(index, method, req, Math.min(deadline, now + this.options.attemptTimeoutMs));
          this.preferred = index;
          return res;
        } catch (err) {
          const e = err as grpc.ServiceError;
          if (!retriable(e, idempotent)) throw translate(e, revision);
          last = e;
        }
      }
      if (Date.now() + pause >= deadline) break;
      await sleep(pause);
      pause = Math.min(pause * 2, 500);
    }
    const why = last === undefined ? "no attempt finished" : last.details || last.message;
    throw new StoreUnavailableError(
      `the store did not answer within ${this.options.requestTimeoutMs} ms (${why}; endpoints ${[...new Set(tried)].join(", ")})`,
      [...new Set(tried)],
      last === undefined ? undefined : { cause: last },
    );
  }

  async range(req: RangeRequest): Promise<BackendRange> {
    return range((await this.call("Range", req, true, req.revision ?? 0)) as WireRange);
  }

  async txn(req: TxnRequest, idempotent: boolean): Promise<BackendTxn> {
    const res = (await this.call("Txn", req, idempotent)) as WireTxn;
    return {
      succeeded: res.succeeded === true,
      revision: res.header?.revision ?? 0,
      ranges: (res.responses ?? []).filter((r) => r.responseRange !== undefined).map((r) => range(r.responseRange)),
    };
  }

  async compact(revision: number): Promise<void> {
    await this.call("Compact", { revision }, true, revision);
  }

  watch(req: BackendWatchRequest, handlers: BackendWatchHandlers): BackendWatch {
    const index = this.preferred;
    const client = this.watchers[index] as WatchClient;
    const stream = client.Watch(new grpc.Metadata());
    let over = false;
    const finish = (fn: () => void): void => {
      if (over) return;
      over = true;
      stream.removeAllListeners("data");
      stream.cancel();
      fn();
    };
    stream.on("data", (res: WireWatchResponse) => {
      if (over) return;
      if (res.canceled === true) {
        const compacted = res.compactRevision ?? 0;
        if (compacted > 0) finish(() => handlers.onCompacted(compacted));
        else finish(() => handlers.onError(new StoreUnavailableError(`watch cancelled by ${this.endpoints[index] ?? "?"}: ${res.cancelReason ?? ""}`)));
        return;
      }
      if (res.created === true) return;
      const revision = res.header?.revision ?? 0;
      const events = res.events ?? [];
      if (events.length === 0) {
        handlers.onProgress(revision);
        return;
      }
      const converted: BackendEvent[] = events.map((e) => {
        const kv = keyValue(e.kv);
        const event: BackendEvent = e.prevKv === undefined ? { type: e.type === 1 ? "DELETE" : "PUT", kv } : { type: e.type === 1 ? "DELETE" : "PUT", kv, prevKv: keyValue(e.prevKv) };
        return event;
      });
      handlers.onEvents(converted, converted[converted.length - 1]?.kv.modRevision ?? revision);
    });
    stream.on("error", (err: Error) => {
      // the preferred endpoint failed us: the next watch (and call) starts elsewhere
      if (this.preferred === index) this.preferred = (index + 1) % this.endpoints.length;
      finish(() => handlers.onError(new StoreUnavailableError(`watch stream to ${this.endpoints[index] ?? "?"} broke: ${err.message}`, [], { cause: err })));
    });
    stream.on("end", () => {
      finish(() => handlers.onError(new StoreUnavailableError(`watch stream to ${this.endpoints[index] ?? "?"} ended`)));
    });
    stream.write({
      createRequest: { key: req.key, rangeEnd: req.rangeEnd, startRevision: req.startRevision, prevKv: true },
    });
    return {
      requestProgress() {
        if (!over) stream.write({ progressRequest: {} });
      },
      cancel() {
        if (over) return;
        over = true;
        stream.removeAllListeners("data");
        stream.cancel();
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of [...this.kv, ...this.watchers]) c.close();
  }
}
