/** Discovery documents: APIVersions (/api), APIGroupList (/apis), APIResourceList (/api/v1, /apis/<g>/<v>). */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { atomicList, bool, named, opt, req, str, stringList } from "./builders.js";

const meta = "io.k8s.apimachinery.pkg.apis.meta.v1.";

export const APIResource = named(
  Type.Object(
    {
      categories: opt(stringList("Groups of resources this one belongs to, such as all.")),
      group: opt(str(), "Group of the resource, when it differs from the list's (the scale subresource)."),
      kind: req(str(), "Kind of the objects the resource serves."),
      name: req(str(), "Plural name, or <resource>/<subresource>."),
      namespaced: req(bool(), "Whether objects live in namespaces."),
      shortNames: opt(stringList("Abbreviations kubectl accepts, such as po.")),
      singularName: req(str(), "Singular name, empty for subresources."),
      storageVersionHash: opt(str(), "Hash of the storage version; changes when the stored form changes."),
      verbs: req(stringList("Verbs the resource supports.")),
      version: opt(str(), "Version of the resource, when it differs from the list's."),
    },
    { $id: `${meta}APIResource`, description: "A resource served in a group version." },
  ),
);
export type APIResource = Static<typeof APIResource>;

export const APIResourceList = named(
  Type.Object(
    {
      apiVersion: opt(str(), "v1."),
      groupVersion: req(str(), "The group version, such as v1 or apps/v1."),
      kind: opt(str(), "APIResourceList."),
      resources: req(atomicList(APIResource, "The resources of the group version.")),
    },
    { $id: `${meta}APIResourceList`, description: "The resources served in one group version.", "x-kubernetes-group-version-kind": [{ group: "", kind: "APIResourceList", version: "v1" }] },
  ),
);
export type APIResourceList = Static<typeof APIResourceList>;

export const GroupVersionForDiscovery = named(
  Type.Object(
    { groupVersion: req(str(), "<group>/<version>."), version: req(str(), "The version.") },
    { $id: `${meta}GroupVersionForDiscovery`, description: "A version of a group." },
  ),
);

export const ServerAddressByClientCIDR = named(
  Type.Object(
    {
      clientCIDR: req(str(), "Clients from this range use the address."),
      serverAddress: req(str(), "Address of the server, host:port."),
    },
    { $id: `${meta}ServerAddressByClientCIDR`, description: "The server address clients of a range should use." },
  ),
);

export const APIGroup = named(
  Type.Object(
    {
      apiVersion: opt(str(), "v1."),
      kind: opt(str(), "APIGroup."),
      name: req(str(), "Name of the group."),
      preferredVersion: opt(GroupVersionForDiscovery, "Version clients should use."),
      serverAddressByClientCIDRs: opt(atomicList(ServerAddressByClientCIDR, "Server addresses by client range.")),
      versions: req(atomicList(GroupVersionForDiscovery, "Versions served.")),
    },
    { $id: `${meta}APIGroup`, description: "An API group and its versions.", "x-kubernetes-group-version-kind": [{ group: "", kind: "APIGroup", version: "v1" }] },
  ),
);
export type APIGroup = Static<typeof APIGroup>;

export const APIGroupList = named(
  Type.Object(
    {
      apiVersion: opt(str(), "v1."),
      groups: req(atomicList(APIGroup, "The groups served.")),
      kind: opt(str(), "APIGroupList."),
    },
    { $id: `${meta}APIGroupList`, description: "The API groups served under /apis.", "x-kubernetes-group-version-kind": [{ group: "", kind: "APIGroupList", version: "v1" }] },
  ),
);
export type APIGroupList = Static<typeof APIGroupList>;

export const APIVersions = named(
  Type.Object(
    {
      apiVersion: opt(str(), "v1."),
      kind: opt(str(), "APIVersions."),
      serverAddressByClientCIDRs: req(atomicList(ServerAddressByClientCIDR, "Server addresses by client range.")),
      versions: req(stringList("Versions of the core group served under /api.")),
    },
    { $id: `${meta}APIVersions`, description: "The versions of the core group, served under /api.", "x-kubernetes-group-version-kind": [{ group: "", kind: "APIVersions", version: "v1" }] },
  ),
);
export type APIVersions = Static<typeof APIVersions>;
