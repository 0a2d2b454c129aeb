/** apps/v1 Deployment and ReplicaSet, and autoscaling/v1 Scale (their scale subresource). */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { IntOrString, Time, bool, int32, int64, keyedList, named, opt, req, reqPointer, str } from "./builders.js";
import { LabelSelector, kindProperties } from "./meta.js";
import { PodTemplateSpec } from "./core-pod.js";

const apps = "io.k8s.api.apps.v1.";

export const RollingUpdateDeployment = named(
  Type.Object(
    {
      maxSurge: opt(IntOrString, "How many pods may exist above the desired count during an update: a number or a percentage of replicas (rounded up). Defaults to 25%."),
      maxUnavailable: opt(IntOrString, "How many pods may be unavailable during an update: a number or a percentage of replicas (rounded down). Defaults to 25%. Cannot be 0 when maxSurge is 0."),
    },
    { $id: `${apps}RollingUpdateDeployment`, description: "Bounds of a rolling update." },
  ),
);

export const DeploymentStrategy = named(
  Type.Object(
    {
      rollingUpdate: opt(RollingUpdateDeployment, "Bounds of a rolling update; only with type RollingUpdate."),
      type: opt(str(), "Recreate (stop all old pods first) or RollingUpdate. Defaults to RollingUpdate."),
    },
    { $id: `${apps}DeploymentStrategy`, description: "How a deployment replaces old pods with new ones." },
  ),
);
export type DeploymentStrategy = Static<typeof DeploymentStrategy>;

export const DeploymentCondition = named(
  Type.Object(
    {
      lastTransitionTime: opt(Time, "When the condition last changed status."),
      lastUpdateTime: opt(Time, "When the condition was last updated."),
      message: opt(str(), "Human-readable details."),
      reason: opt(str(), "CamelCase reason, such as NewReplicaSetAvailable or ProgressDeadlineExceeded."),
      status: req(str(), "True, False or Unknown."),
      type: req(str(), "Available, Progressing or ReplicaFailure."),
    },
    { $id: `${apps}DeploymentCondition`, description: "One aspect of a deployment's state." },
  ),
);
export type DeploymentCondition = Static<typeof DeploymentCondition>;

export const DeploymentSpec = named(
  Type.Object(
    {
      minReadySeconds: opt(int32(), "Seconds a new pod must be ready, without any container crashing, to count as available. Defaults to 0."),
      paused: opt(bool(), "If true, changes to the template do not start a rollout."),
      progressDeadlineSeconds: opt(int32(), "Seconds a rollout may go without progress before it is reported as failed (Progressing False, ProgressDeadlineExceeded). Defaults to 600."),
      replicas: opt(int32(), "Desired number of pods. Defaults to 1."),
      revisionHistoryLimit: opt(int32(), "Number of old ReplicaSets kept for rollback. Defaults to 10."),
      selector: reqPointer(LabelSelector, "Selects the pods the deployment manages; must match the template's labels. Cannot be changed."),
      strategy: opt(DeploymentStrategy, "How old pods are replaced by new ones."),
      template: req(PodTemplateSpec, "The pods to run. Its restartPolicy must be Always."),
    },
    { $id: `${apps}DeploymentSpec`, description: "Desired state of a deployment." },
  ),
);
export type DeploymentSpec = Static<typeof DeploymentSpec>;

export const DeploymentStatus = named(
  Type.Object(
    {
      availableReplicas: opt(int32(), "Pods available (ready for at least minReadySeconds)."),
      collisionCount: opt(int32(), "Count of template hash collisions, used to make ReplicaSet names unique."),
      conditions: opt(keyedList(DeploymentCondition, "type", "Latest observations of the deployment's state.")),
      observedGeneration: opt(int64(), "The generation the controller last acted on."),
      readyReplicas: opt(int32(), "Pods with a Ready condition."),
      replicas: opt(int32(), "Pods of the deployment, old and new."),
      unavailableReplicas: opt(int32(), "Pods still needed for the deployment to reach its desired count of available pods."),
      updatedReplicas: opt(int32(), "Pods running the current template."),
    },
    { $id: `${apps}DeploymentStatus`, description: "Observed state of a deployment." },
  ),
);
export type DeploymentStatus = Static<typeof DeploymentStatus>;

export const Deployment = named(
  Type.Object(
    kindProperties({
      spec: opt(DeploymentSpec, "Desired state of the deployment."),
      status: opt(DeploymentStatus, "Observed state of the deployment."),
    }),
    { $id: `${apps}Deployment`, description: "Runs replicas of a pod template and rolls them over to new versions of it declaratively, through ReplicaSets." },
  ),
);
export type Deployment = Static<typeof Deployment>;

export const ReplicaSetCondition = named(
  Type.Object(
    {
      lastTransitionTime: opt(Time, "When the condition last changed status."),
      message: opt(str(), "Human-readable details."),
      reason: opt(str(), "CamelCase reason."),
      status: req(str(), "True, False or Unknown."),
      type: req(str(), "ReplicaFailure."),
    },
    { $id: `${apps}ReplicaSetCondition`, description: "One aspect of a replica set's state." },
  ),
);
export type ReplicaSetCondition = Static<typeof ReplicaSetCondition>;

export const ReplicaSetSpec = named(
  Type.Object(
    {
      minReadySeconds: opt(int32(), "Seconds a new pod must be ready to count as available. Defaults to 0."),
      replicas: opt(int32(), "Desired number of pods. Defaults to 1."),
      selector: reqPointer(LabelSelector, "Selects the pods counted as replicas; must match the template's labels."),
      template: opt(PodTemplateSpec, "The pods created when there are too few."),
    },
    { $id: `${apps}ReplicaSetSpec`, description: "Desired state of a replica set." },
  ),
);
export type ReplicaSetSpec = Static<typeof ReplicaSetSpec>;

export const ReplicaSetStatus = named(
  Type.Object(
    {
      availableReplicas: opt(int32(), "Pods available (ready for at least minReadySeconds)."),
      conditions: opt(keyedList(ReplicaSetCondition, "type", "Latest observations of the replica set's state.")),
      fullyLabeledReplicas: opt(int32(), "Pods whose labels match the template's labels."),
      observedGeneration: opt(int64(), "The generation the controller last acted on."),
      readyReplicas: opt(int32(), "Pods with a Ready condition."),
      replicas: req(int32(), "Pods currently counted."),
    },
    { $id: `${apps}ReplicaSetStatus`, description: "Observed state of a replica set." },
  ),
);
export type ReplicaSetStatus = Static<typeof ReplicaSetStatus>;

export const ReplicaSet = named(
  Type.Object(
    kindProperties({
      spec: opt(ReplicaSetSpec, "Desired state of the replica set."),
      status: opt(ReplicaSetStatus, "Observed state of the replica set."),
    }),
    { $id: `${apps}ReplicaSet`, description: "Keeps a number of identical pods running. Usually managed by a Deployment." },
  ),
);
export type ReplicaSet = Static<typeof ReplicaSet>;

const autoscaling = "io.k8s.api.autoscaling.v1.";

export const ScaleSpec = named(
  Type.Object(
    { replicas: opt(int32(), "Desired number of replicas.") },
    { $id: `${autoscaling}ScaleSpec`, description: "Desired scale." },
  ),
);

export const ScaleStatus = named(
  Type.Object(
    {
      replicas: req(int32(), "Observed number of replicas."),
      selector: opt(str(), "Label selector of the pods, in the string form of label queries."),
    },
    { $id: `${autoscaling}ScaleStatus`, description: "Observed scale." },
  ),
);

export const Scale = named(
  Type.Object(
    kindProperties({
      spec: opt(ScaleSpec, "Desired scale."),
      status: opt(ScaleStatus, "Observed scale."),
    }),
    { $id: `${autoscaling}Scale`, description: "The scale subresource of a workload: its desired and observed replica counts." },
  ),
);
export type Scale = Static<typeof Scale>;
