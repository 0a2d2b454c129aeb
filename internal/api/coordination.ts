/** coordination.k8s.io/v1 Lease: leader election and node heartbeats. */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { MicroTime, int32, named, opt, str } from "./builders.js";
import { kindProperties } from "./meta.js";

const coordination = "io.k8s.api.coordination.v1.";

export const LeaseSpec = named(
  Type.Object(
    {
      acquireTime: opt(MicroTime, "When the current holder acquired the lease."),
      holderIdentity: opt(str(), "Identity of the current holder."),
      leaseDurationSeconds: opt(int32(), "Seconds candidates wait after the last renewal before they may take the lease."),
      leaseTransitions: opt(int32(), "Number of times the lease changed holders."),
      preferredHolder: opt(str(), "Holder that should take the lease next, for coordinated leader election."),
      renewTime: opt(MicroTime, "When the holder last renewed the lease."),
      strategy: opt(str(), "Strategy for picking the leader in coordinated leader election."),
    },
    { $id: `${coordination}LeaseSpec`, description: "Desired state of a lease." },
  ),
);
export type LeaseSpec = Static<typeof LeaseSpec>;

export const Lease = named(
  Type.Object(kindProperties({ spec: opt(LeaseSpec, "Desired state of the lease.") }), {
    $id: `${coordination}Lease`,
    description: "A lock held by one identity for a time: used for leader election and node heartbeats.",
  }),
);
export type Lease = Static<typeof Lease>;
