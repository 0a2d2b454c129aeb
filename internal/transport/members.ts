import * as grpc from "@grpc/grpc-js";
import { parsePeerUrl } from "./url.js";
import type { MembersResponse } from "./wire.js";
import { peerService } from "./wire.js";

const MembersClient = grpc.makeGenericClientConstructor({ Members: peerService.members }, "Peer");

/** Ask the member at a peer URL for the cluster id and member list (the Members call). */
export function fetchMembers(peerUrl: string, timeoutMs = 3000): Promise<MembersResponse> {
  const target = parsePeerUrl(peerUrl).target;
  const client = new MembersClient(target, grpc.credentials.createInsecure());
  return new Promise<MembersResponse>((resolve, reject) => {
    const call = client as unknown as {
      Members(req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: MembersResponse) => void): void;
    };
    call.Members({}, { deadline: Date.now() + timeoutMs }, (err, res) => {
      client.close();
      if (err) reject(new Error(`${peerUrl}: ${err.details || err.message}`, { cause: err }));
      else resolve(res);
    });
  });
}
