/** rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding. */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { atomicList, atomicStruct, named, opt, req, str, stringList } from "./builders.js";
import { LabelSelector, kindProperties } from "./meta.js";

const rbac = "io.k8s.api.rbac.v1.";

export const PolicyRule = named(
  Type.Object(
    {
      apiGroups: opt(stringList("API groups of the resources; \"\" is the core group, \"*\" all groups.")),
      nonResourceURLs: opt(stringList("URL paths such as /healthz, allowed for cluster roles only; a trailing * matches a prefix.")),
      resourceNames: opt(stringList("Names of the objects the rule is limited to; empty means all.")),
      resources: opt(stringList("Resources the rule applies to, such as pods or pods/log; \"*\" means all.")),
      verbs: req(stringList("Verbs allowed, such as get, list, watch, create, update, patch, delete; \"*\" means all.")),
    },
    { $id: `${rbac}PolicyRule`, description: "Verbs allowed on a set of resources or non-resource URLs." },
  ),
);
export type PolicyRule = Static<typeof PolicyRule>;

export const AggregationRule = named(
  Type.Object(
    { clusterRoleSelectors: opt(atomicList(LabelSelector, "Cluster roles whose rules are aggregated into this one.")) },
    { $id: `${rbac}AggregationRule`, description: "How a cluster role's rules are aggregated from other cluster roles." },
  ),
);

export const RoleRef = named(
  Type.Object(
    {
      apiGroup: req(str(), "rbac.authorization.k8s.io."),
      kind: req(str(), "Role or ClusterRole."),
      name: req(str(), "Name of the role."),
    },
    { $id: `${rbac}RoleRef`, description: "The role a binding grants.", ...atomicStruct },
  ),
);
export type RoleRef = Static<typeof RoleRef>;

export const Subject = named(
  Type.Object(
    {
      apiGroup: opt(str(), "\"\" for ServiceAccount, rbac.authorization.k8s.io for User and Group."),
      kind: req(str(), "User, Group or ServiceAccount."),
      name: req(str(), "Name of the subject."),
      namespace: opt(str(), "Namespace of a ServiceAccount subject."),
    },
    { $id: `${rbac}Subject`, description: "A user, group or service account a binding applies to.", ...atomicStruct },
  ),
);
export type Subject = Static<typeof Subject>;

export const Role = named(
  Type.Object(kindProperties({ rules: opt(atomicList(PolicyRule, "The permissions of the role.")) }), {
    $id: `${rbac}Role`,
    description: "A set of permissions within one namespace, granted by RoleBindings.",
  }),
);
export type Role = Static<typeof Role>;

export const ClusterRole = named(
  Type.Object(
    kindProperties({
      aggregationRule: opt(AggregationRule, "If set, the rules are computed from other cluster roles and written by the controller."),
      rules: opt(atomicList(PolicyRule, "The permissions of the role.")),
    }),
    { $id: `${rbac}ClusterRole`, description: "A set of permissions, granted cluster-wide by ClusterRoleBindings or in a namespace by RoleBindings." },
  ),
);
export type ClusterRole = Static<typeof ClusterRole>;

export const RoleBinding = named(
  Type.Object(
    kindProperties({
      roleRef: req(RoleRef, "The Role or ClusterRole granted, within the binding's namespace. Cannot be changed."),
      subjects: opt(atomicList(Subject, "Who the role is granted to.")),
    }),
    { $id: `${rbac}RoleBinding`, description: "Grants a Role or ClusterRole to subjects within a namespace." },
  ),
);
export type RoleBinding = Static<typeof RoleBinding>;

export const ClusterRoleBinding = named(
  Type.Object(
    kindProperties({
      roleRef: req(RoleRef, "The ClusterRole granted. Cannot be changed."),
      subjects: opt(atomicList(Subject, "Who the role is granted to.")),
    }),
    { $id: `${rbac}ClusterRoleBinding`, description: "Grants a ClusterRole to subjects across the whole cluster." },
  ),
);
export type ClusterRoleBinding = Static<typeof ClusterRoleBinding>;
