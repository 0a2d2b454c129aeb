import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "./codec.js";
import type { ServerContext } from "./context.js";
import { errors } from "./errors.js";

type Callback = (err: grpc.ServiceError | null, res: object) => void;
type GenericClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/**
 * Calls the leader's client API on behalf of a follower, for the requests etcd serves only on
 * the leader (lease keep-alive and time-to-live, learner promotion). The leader is found from
 * raft, its address from the client URLs it published in the member list.
 */
export class LeaderClient {
  private clients = new Map<string, GenericClient>();

  constructor(private readonly ctx: ServerContext) {}

  private client(service: string): GenericClient {
    const leader = this.ctx.node.leader();
    if (leader === 0) throw errors.notLeader();
    const url = this.ctx.sm.member(leader)?.clientURLs[0];
    if (url === undefined) throw errors.notLeader();
    const target = new URL(url).host;
    const key = `${service}@${target}`;
    let c = this.clients.get(key);
    if (!c) {
      const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(service), service);
      c = new Ctor(target, grpc.credentials.createInsecure()) as GenericClient;
      this.clients.set(key, c);
    }
    return c;
  }

  /** A unary call of `service.method` on the leader. */
  unary<T extends object>(service: string, method: string, req: object, timeoutMs = 5000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let c: GenericClient;
      try {
        c = this.client(service);
      } catch (err) {
        reject(err);
        return;
      }
      const fn = c[method] as (req: object, opts: grpc.CallOptions, cb: Callback) => void;
      fn.call(c, req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  }

  /** One keep-alive through the leader: opens a short LeaseKeepAlive stream for the answer. */
  keepAlive(id: number, timeoutMs = 5000): Promise<{ ID: number; TTL: number }> {
    return new Promise((resolve, reject) => {
      let call: grpc.ClientDuplexStream<object, { ID?: number; TTL?: number }>;
      try {
        const c = this.client("Lease");
        call = (c.LeaseKeepAlive as (o: grpc.CallOptions) => typeof call).call(c, { deadline: Date.now() + timeoutMs });
      } catch (err) {
        reject(err);
        return;
      }
      call.on("data", (res) => {
        resolve({ ID: res.ID ?? id, TTL: res.TTL ?? 0 });
        call.cancel();
      });
      call.on("error", (err: grpc.ServiceError) => {
        if (err.code !== grpc.status.CANCELLED) reject(err);
      });
      call.write({ ID: id });
    });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
