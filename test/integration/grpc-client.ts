import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../internal/etcdapi/index.js";

type UnaryFn = (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: object) => void) => void;
type GenericClient = grpc.Client & Record<string, UnaryFn>;

export interface StatusAnswer {
  readonly header: { readonly memberId: number; readonly revision?: number };
  readonly leader?: number;
  readonly raftIndex?: number;
  readonly raftAppliedIndex?: number;
  readonly raftTerm?: number;
}

export interface MemberAnswer {
  readonly ID: number;
  readonly name?: string;
  readonly peerURLs?: string[];
  readonly clientURLs?: string[];
  readonly isLearner?: boolean;
}

export interface KeyValueAnswer {
  readonly key: Buffer;
  readonly value?: Buffer;
  readonly modRevision?: number;
  readonly createRevision?: number;
  readonly version?: number;
}

export interface RangeAnswer {
  readonly header: { readonly revision?: number };
  readonly kvs?: KeyValueAnswer[];
  readonly count?: number;
  readonly more?: boolean;
}

export interface HashKVAnswer {
  readonly header: { readonly revision?: number };
  readonly hash?: number;
  readonly compactRevision?: number;
}

/**
 * A plain gRPC client of one member's etcd API, encoding with raftplane's own copy of etcd's
 * protos: the harness uses it for readiness checks and bulk writes, where spawning etcdctl for
 * every call would be slow. What the tests assert on goes through etcdctl or etcd3.
 */
export class EtcdGrpc {
  private readonly clients = new Map<string, GenericClient>();

  constructor(readonly endpoint: string) {}

  private client(service: string): GenericClient {
    let c = this.clients.get(service);
    if (c === undefined) {
      const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(service), service);
      // grpc-js targets are host:port; etcdctl endpoints may carry a scheme.
      c = new Ctor(this.endpoint.replace(/^https?:\/\//, ""), grpc.credentials.createInsecure()) as GenericClient;
      this.clients.set(service, c);
    }
    return c;
  }

  /** One unary call; rejects with the gRPC ServiceError (code and etcd's message). */
  call<T>(service: string, method: string, req: object, timeoutMs = 5000): Promise<T> {
    const c = this.client(service);
    const fn = c[method];
    if (fn === undefined) return Promise.reject(new Error(`no method ${service}.${method}`));
    return new Promise<T>((resolve, reject) => {
      fn.call(c, req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  }

  status(timeoutMs = 2000): Promise<StatusAnswer> {
    return this.call<StatusAnswer>("Maintenance", "Status", {}, timeoutMs);
  }

  async memberList(timeoutMs = 2000): Promise<MemberAnswer[]> {
    const res = await this.call<{ members?: MemberAnswer[] }>("Cluster", "MemberList", {}, timeoutMs);
    return res.members ?? [];
  }

  put(key: string, value: string | Buffer, timeoutMs = 5000): Promise<{ header: { revision?: number } }> {
    return this.call("KV", "Put", { key: Buffer.from(key), value: typeof value === "string" ? Buffer.from(value) : value }, timeoutMs);
  }

  /** Keys under a prefix; serializable reads what this member has applied, without a quorum. */
  range(prefix: string, opts: { serializable?: boolean; keysOnly?: boolean } = {}, timeoutMs = 10_000): Promise<RangeAnswer> {
    const key = Buffer.from(prefix);
    return this.call<RangeAnswer>(
      "KV",
      "Range",
      { key, rangeEnd: prefixEnd(key), serializable: opts.serializable === true, keysOnly: opts.keysOnly === true },
      timeoutMs,
    );
  }

  hashKV(revision: number, timeoutMs = 5000): Promise<HashKVAnswer> {
    return this.call<HashKVAnswer>("Maintenance", "HashKV", { revision }, timeoutMs);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** The range end that covers every key starting with prefix, as etcd's clientv3.GetPrefixRangeEnd. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** etcd prints member and lease ids as lower-case hex without leading zeros. */
export function hexId(id: number): string {
  return id.toString(16);
}
