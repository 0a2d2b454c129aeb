/**
 * core/v1 Pod and everything a pod template holds: containers, probes, volumes, security
 * contexts, tolerations, and the pod's status. Field names, JSON shapes and list metadata are
 * those of the Kubernetes API; descriptions are ours.
 */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import {
  IntOrString,
  Quantity,
  Time,
  atomicList,
  atomicStruct,
  bool,
  freeForm,
  int32,
  int64,
  keyedList,
  listOf,
  mapOf,
  named,
  opt,
  req,
  str,
  stringList,
  strMap,
} from "./builders.js";
import { LabelSelector, ObjectMeta } from "./meta.js";

const core = "io.k8s.api.core.v1.";

export const LocalObjectReference = named(
  Type.Object(
    { name: opt(str(), "Name of the referent, in the same namespace.") },
    { $id: `${core}LocalObjectReference`, description: "A reference to an object in the same namespace, by name.", ...atomicStruct },
  ),
);
export type LocalObjectReference = Static<typeof LocalObjectReference>;

export const ObjectReference = named(
  Type.Object(
    {
      apiVersion: opt(str(), "API version of the referent."),
      fieldPath: opt(str(), "A part of the object, such as spec.containers{web} for one container of a pod."),
      kind: opt(str(), "Kind of the referent."),
      name: opt(str(), "Name of the referent."),
      namespace: opt(str(), "Namespace of the referent."),
      resourceVersion: opt(str(), "The referent's resourceVersion this reference was made for."),
      uid: opt(str(), "UID of the referent."),
    },
    { $id: `${core}ObjectReference`, description: "A full reference to another object.", ...atomicStruct },
  ),
);
export type ObjectReference = Static<typeof ObjectReference>;

export const KeyToPath = named(
  Type.Object(
    {
      key: req(str(), "The key of the ConfigMap or Secret to project."),
      mode: opt(int32(), "Permission bits of the file, 0000 to 0777 (decimal 0 to 511). Defaults to the volume's defaultMode."),
      path: req(str(), "Relative path of the file in the volume. May not contain '..'."),
    },
    { $id: `${core}KeyToPath`, description: "Maps one key of a ConfigMap or Secret to a file path." },
  ),
);

export const ConfigMapVolumeSource = named(
  Type.Object(
    {
      defaultMode: opt(int32(), "Permission bits of the files, 0000 to 0777. Defaults to 0644."),
      items: opt(atomicList(KeyToPath, "Keys to project, and where. Without items every key becomes a file named after it.")),
      name: opt(str(), "Name of the ConfigMap."),
      optional: opt(bool(), "If true, the pod starts even when the ConfigMap or a listed key is missing."),
    },
    { $id: `${core}ConfigMapVolumeSource`, description: "A volume populated from a ConfigMap: one file per key." },
  ),
);

export const SecretVolumeSource = named(
  Type.Object(
    {
      defaultMode: opt(int32(), "Permission bits of the files, 0000 to 0777. Defaults to 0644."),
      items: opt(atomicList(KeyToPath, "Keys to project, and where. Without items every key becomes a file named after it.")),
      optional: opt(bool(), "If true, the pod starts even when the Secret or a listed key is missing."),
      secretName: opt(str(), "Name of the Secret, in the pod's namespace."),
    },
    { $id: `${core}SecretVolumeSource`, description: "A volume populated from a Secret: one file per key." },
  ),
);

export const EmptyDirVolumeSource = named(
  Type.Object(
    {
      medium: opt(str(), "Storage medium: \"\" for the node's default, or \"Memory\" for tmpfs."),
      sizeLimit: opt(Quantity, "Upper bound of the volume's size."),
    },
    { $id: `${core}EmptyDirVolumeSource`, description: "A temporary directory that shares the pod's lifetime." },
  ),
);

export const HostPathVolumeSource = named(
  Type.Object(
    {
      path: req(str(), "Path on the node. A symbolic link is followed to its target."),
      type: opt(str(), "What must exist at the path: \"\", DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice or BlockDevice."),
    },
    { $id: `${core}HostPathVolumeSource`, description: "A file or directory of the node, mapped into the pod." },
  ),
);

export const PersistentVolumeClaimVolumeSource = named(
  Type.Object(
    {
      claimName: req(str(), "Name of a PersistentVolumeClaim in the pod's namespace."),
      readOnly: opt(bool(), "Mount the volume read-only."),
    },
    { $id: `${core}PersistentVolumeClaimVolumeSource`, description: "A reference to a PersistentVolumeClaim in the same namespace." },
  ),
);

export const ObjectFieldSelector = named(
  Type.Object(
    {
      apiVersion: opt(str(), "Version of the schema fieldPath is written in. Defaults to v1."),
      fieldPath: req(str(), "Path of the field, such as metadata.name or status.podIP."),
    },
    { $id: `${core}ObjectFieldSelector`, description: "Selects a field of the pod.", ...atomicStruct },
  ),
);

export const ResourceFieldSelector = named(
  Type.Object(
    {
      containerName: opt(str(), "Container whose resources are read; required for volumes."),
      divisor: opt(Quantity, "Unit the value is expressed in. Defaults to 1."),
      resource: req(str(), "The resource, such as limits.cpu or requests.memory."),
    },
    { $id: `${core}ResourceFieldSelector`, description: "Selects a resource limit or request of a container.", ...atomicStruct },
  ),
);

export const DownwardAPIVolumeFile = named(
  Type.Object(
    {
      fieldRef: opt(ObjectFieldSelector, "A field of the pod: metadata.name, metadata.namespace, metadata.labels, metadata.annotations, metadata.uid."),
      mode: opt(int32(), "Permission bits of the file, 0000 to 0777."),
      path: req(str(), "Relative path of the file to create."),
      resourceFieldRef: opt(ResourceFieldSelector, "A resource limit or request of a container."),
    },
    { $id: `${core}DownwardAPIVolumeFile`, description: "One file of a downward API volume." },
  ),
);

export const DownwardAPIVolumeSource = named(
  Type.Object(
    {
      defaultMode: opt(int32(), "Permission bits of the files. Defaults to 0644."),
      items: opt(atomicList(DownwardAPIVolumeFile, "The files of the volume.")),
    },
    { $id: `${core}DownwardAPIVolumeSource`, description: "A volume exposing fields of the pod as files." },
  ),
);

export const DownwardAPIProjection = named(
  Type.Object(
    { items: opt(atomicList(DownwardAPIVolumeFile, "The files to project.")) },
    { $id: `${core}DownwardAPIProjection`, description: "Downward API files in a projected volume." },
  ),
);

export const ConfigMapProjection = named(
  Type.Object(
    {
      items: opt(atomicList(KeyToPath, "Keys to project, and where.")),
      name: opt(str(), "Name of the ConfigMap."),
      optional: opt(bool(), "If true, a missing ConfigMap or key is not an error."),
    },
    { $id: `${core}ConfigMapProjection`, description: "A ConfigMap's keys in a projected volume." },
  ),
);

export const SecretProjection = named(
  Type.Object(
    {
      items: opt(atomicList(KeyToPath, "Keys to project, and where.")),
      name: opt(str(), "Name of the Secret."),
      optional: opt(bool(), "If true, a missing Secret or key is not an error."),
    },
    { $id: `${core}SecretProjection`, description: "A Secret's keys in a projected volume." },
  ),
);

export const ServiceAccountTokenProjection = named(
  Type.Object(
    {
      audience: opt(str(), "Intended audience of the token. Defaults to the API server's identifier."),
      expirationSeconds: opt(int64(), "Requested lifetime of the token, at least 600 seconds. Defaults to 3600."),
      path: req(str(), "Relative path of the token file."),
    },
    { $id: `${core}ServiceAccountTokenProjection`, description: "A service account token in a projected volume." },
  ),
);

export const VolumeProjection = named(
  Type.Object(
    {
      configMap: opt(ConfigMapProjection, "Keys of a ConfigMap."),
      downwardAPI: opt(DownwardAPIProjection, "Fields of the pod."),
      secret: opt(SecretProjection, "Keys of a Secret."),
      serviceAccountToken: opt(ServiceAccountTokenProjection, "A token of the pod's service account."),
    },
    { $id: `${core}VolumeProjection`, description: "One source of a projected volume; exactly one field is set." },
  ),
);

export const ProjectedVolumeSource = named(
  Type.Object(
    {
      defaultMode: opt(int32(), "Permission bits of the files. Defaults to 0644."),
      sources: opt(atomicList(VolumeProjection, "The sources merged into the volume.")),
    },
    { $id: `${core}ProjectedVolumeSource`, description: "A volume combining several sources into one directory." },
  ),
);

export const Volume = named(
  Type.Object(
    {
      configMap: opt(ConfigMapVolumeSource, "Files from a ConfigMap."),
      downwardAPI: opt(DownwardAPIVolumeSource, "Files from fields of the pod."),
      emptyDir: opt(EmptyDirVolumeSource, "A temporary directory sharing the pod's lifetime."),
      hostPath: opt(HostPathVolumeSource, "A path of the node. Gives access to the host; use with care."),
      name: req(str(), "Name of the volume, a DNS-1123 label unique in the pod. Containers mount it by this name."),
      persistentVolumeClaim: opt(PersistentVolumeClaimVolumeSource, "A PersistentVolumeClaim of the namespace."),
      projected: opt(ProjectedVolumeSource, "Several sources combined in one directory."),
      secret: opt(SecretVolumeSource, "Files from a Secret."),
    },
    { $id: `${core}Volume`, description: "A named volume the pod's containers can mount. Exactly one source field is set." },
  ),
);
export type Volume = Static<typeof Volume>;

export const ConfigMapKeySelector = named(
  Type.Object(
    {
      key: req(str(), "The key to read."),
      name: opt(str(), "Name of the ConfigMap."),
      optional: opt(bool(), "If true, a missing ConfigMap or key leaves the variable unset instead of failing."),
    },
    { $id: `${core}ConfigMapKeySelector`, description: "Selects a key of a ConfigMap.", ...atomicStruct },
  ),
);

export const SecretKeySelector = named(
  Type.Object(
    {
      key: req(str(), "The key to read."),
      name: opt(str(), "Name of the Secret."),
      optional: opt(bool(), "If true, a missing Secret or key leaves the variable unset instead of failing."),
    },
    { $id: `${core}SecretKeySelector`, description: "Selects a key of a Secret.", ...atomicStruct },
  ),
);

export const EnvVarSource = named(
  Type.Object(
    {
      configMapKeyRef: opt(ConfigMapKeySelector, "A key of a ConfigMap."),
      fieldRef: opt(ObjectFieldSelector, "A field of the pod: metadata.name, metadata.namespace, metadata.uid, metadata.labels['<key>'], spec.nodeName, spec.serviceAccountName, status.hostIP, status.podIP and others."),
      resourceFieldRef: opt(ResourceFieldSelector, "A resource limit or request of the container."),
      secretKeyRef: opt(SecretKeySelector, "A key of a Secret."),
    },
    { $id: `${core}EnvVarSource`, description: "Where an environment variable's value comes from; exactly one field is set." },
  ),
);

export const EnvVar = named(
  Type.Object(
    {
      name: req(str(), "Name of the variable."),
      value: opt(str(), "The value. $(VAR) references to variables defined earlier are expanded; $$(VAR) escapes."),
      valueFrom: opt(EnvVarSource, "A source for the value, instead of value."),
    },
    { $id: `${core}EnvVar`, description: "An environment variable of a container." },
  ),
);
export type EnvVar = Static<typeof EnvVar>;

export const ConfigMapEnvSource = named(
  Type.Object(
    { name: opt(str(), "Name of the ConfigMap."), optional: opt(bool(), "If true, a missing ConfigMap is not an error.") },
    { $id: `${core}ConfigMapEnvSource`, description: "Every key of a ConfigMap as an environment variable." },
  ),
);

export const SecretEnvSource = named(
  Type.Object(
    { name: opt(str(), "Name of the Secret."), optional: opt(bool(), "If true, a missing Secret is not an error.") },
    { $id: `${core}SecretEnvSource`, description: "Every key of a Secret as an environment variable." },
  ),
);

export const EnvFromSource = named(
  Type.Object(
    {
      configMapRef: opt(ConfigMapEnvSource, "The ConfigMap to read."),
      prefix: opt(str(), "Prefix added to every variable name."),
      secretRef: opt(SecretEnvSource, "The Secret to read."),
    },
    { $id: `${core}EnvFromSource`, description: "A set of environment variables from a ConfigMap or a Secret." },
  ),
);

export const ContainerPort = named(
  Type.Object(
    {
      containerPort: req(int32(), "Port number on the pod's IP address, 1 to 65535."),
      hostIP: opt(str(), "Host IP to bind the host port to."),
      hostPort: opt(int32(), "Port number on the node, 1 to 65535. Most containers do not need one."),
      name: opt(str(), "Name of the port, an IANA service name unique in the pod, which services can refer to."),
      protocol: opt(str(), "UDP, TCP or SCTP. Defaults to TCP."),
    },
    { $id: `${core}ContainerPort`, description: "A network port of a container." },
  ),
);
export type ContainerPort = Static<typeof ContainerPort>;

export const ResourceClaim = named(
  Type.Object(
    { name: req(str(), "Name of an entry of the pod's resourceClaims."), request: opt(str(), "Name of one request of the claim.") },
    { $id: `${core}ResourceClaim`, description: "A reference to a resource claim of the pod." },
  ),
);

export const ResourceRequirements = named(
  Type.Object(
    {
      claims: opt(listOf(ResourceClaim, { listType: "map", listMapKeys: ["name"] }, "Dynamically allocated resources the container uses.")),
      limits: opt(mapOf(Quantity), "The most of each resource the container may use, such as cpu: 500m, memory: 256Mi."),
      requests: opt(mapOf(Quantity), "The amount of each resource the scheduler reserves for the container. Defaults to the limits where only limits are given."),
    },
    { $id: `${core}ResourceRequirements`, description: "Compute resources a container needs and may use." },
  ),
);
export type ResourceRequirements = Static<typeof ResourceRequirements>;

export const VolumeMount = named(
  Type.Object(
    {
      mountPath: req(str(), "Path inside the container at which the volume is mounted. May not contain ':'."),
      mountPropagation: opt(str(), "How mounts propagate between host and container: None, HostToContainer or Bidirectional."),
      name: req(str(), "Name of a volume of the pod."),
      readOnly: opt(bool(), "Mount read-only. Defaults to false."),
      recursiveReadOnly: opt(str(), "Whether read-only mounts are read-only recursively: Disabled, IfPossible or Enabled."),
      subPath: opt(str(), "Path inside the volume to mount instead of its root."),
      subPathExpr: opt(str(), "Like subPath, with $(VAR) environment variable references expanded."),
    },
    { $id: `${core}VolumeMount`, description: "A mount of a pod volume into a container." },
  ),
);
export type VolumeMount = Static<typeof VolumeMount>;

export const VolumeDevice = named(
  Type.Object(
    { devicePath: req(str(), "Path of the device inside the container."), name: req(str(), "Name of a persistentVolumeClaim volume of the pod.") },
    { $id: `${core}VolumeDevice`, description: "A raw block device mapped into a container." },
  ),
);

export const ExecAction = named(
  Type.Object(
    { command: opt(stringList("Command line run in the container, not in a shell. Exit status 0 means healthy.")) },
    { $id: `${core}ExecAction`, description: "Runs a command inside the container." },
  ),
);

export const HTTPHeader = named(
  Type.Object(
    { name: req(str(), "Header name."), value: req(str(), "Header value.") },
    { $id: `${core}HTTPHeader`, description: "A header of an HTTP probe request." },
  ),
);

export const HTTPGetAction = named(
  Type.Object(
    {
      host: opt(str(), "Host to connect to. Defaults to the pod IP."),
      httpHeaders: opt(atomicList(HTTPHeader, "Extra request headers.")),
      path: opt(str(), "Path of the request. Defaults to /."),
      port: req(IntOrString, "Port number or port name of the container to connect to."),
      scheme: opt(str(), "HTTP or HTTPS. Defaults to HTTP."),
    },
    { $id: `${core}HTTPGetAction`, description: "An HTTP GET request; a status from 200 to 399 means success." },
  ),
);

export const TCPSocketAction = named(
  Type.Object(
    {
      host: opt(str(), "Host to connect to. Defaults to the pod IP."),
      port: req(IntOrString, "Port number or port name of the container to connect to."),
    },
    { $id: `${core}TCPSocketAction`, description: "A TCP connection attempt; success if it opens." },
  ),
);

export const GRPCAction = named(
  Type.Object(
    {
      port: req(int32(), "Port number of the gRPC service."),
      service: opt(str(), "Service name sent in the gRPC health check request. Empty checks the server as a whole."),
    },
    { $id: `${core}GRPCAction`, description: "A gRPC health check." },
  ),
);

export const SleepAction = named(
  Type.Object(
    { seconds: req(int64(), "Seconds to sleep.") },
    { $id: `${core}SleepAction`, description: "Waits a number of seconds." },
  ),
);

export const Probe = named(
  Type.Object(
    {
      exec: opt(ExecAction, "Run a command in the container."),
      failureThreshold: opt(int32(), "Consecutive failures after which the probe counts as failed. Defaults to 3, minimum 1."),
      grpc: opt(GRPCAction, "Make a gRPC health check."),
      httpGet: opt(HTTPGetAction, "Make an HTTP GET request."),
      initialDelaySeconds: opt(int32(), "Seconds after the container starts before the first probe."),
      periodSeconds: opt(int32(), "Seconds between probes. Defaults to 10, minimum 1."),
      successThreshold: opt(int32(), "Consecutive successes after a failure for the probe to count as successful. Defaults to 1; must be 1 for liveness and startup probes."),
      tcpSocket: opt(TCPSocketAction, "Open a TCP connection."),
      terminationGracePeriodSeconds: opt(int64(), "Grace period for stopping the container when this probe fails, overriding the pod's."),
      timeoutSeconds: opt(int32(), "Seconds after which a probe times out. Defaults to 1, minimum 1."),
    },
    { $id: `${core}Probe`, description: "A periodic health check of a container. Exactly one of exec, httpGet, tcpSocket and grpc is set." },
  ),
);
export type Probe = Static<typeof Probe>;

export const LifecycleHandler = named(
  Type.Object(
    {
      exec: opt(ExecAction, "Run a command in the container."),
      httpGet: opt(HTTPGetAction, "Make an HTTP GET request."),
      sleep: opt(SleepAction, "Wait."),
      tcpSocket: opt(TCPSocketAction, "Deprecated; kept for compatibility, never run."),
    },
    { $id: `${core}LifecycleHandler`, description: "An action run at a point of a container's life. Exactly one field is set." },
  ),
);

export const Lifecycle = named(
  Type.Object(
    {
      postStart: opt(LifecycleHandler, "Run right after the container is created. If it fails, the container is restarted per the restart policy."),
      preStop: opt(LifecycleHandler, "Run before the container is stopped; the grace period counts from when it starts."),
    },
    { $id: `${core}Lifecycle`, description: "Actions run when a container starts and before it stops." },
  ),
);

export const Capabilities = named(
  Type.Object(
    {
      add: opt(stringList("Capabilities to add, such as NET_ADMIN.")),
      drop: opt(stringList("Capabilities to drop, such as ALL.")),
    },
    { $id: `${core}Capabilities`, description: "Linux capabilities added to or dropped from the container's defaults." },
  ),
);

export const SELinuxOptions = named(
  Type.Object(
    {
      level: opt(str(), "SELinux level label."),
      role: opt(str(), "SELinux role label."),
      type: opt(str(), "SELinux type label."),
      user: opt(str(), "SELinux user label."),
    },
    { $id: `${core}SELinuxOptions`, description: "SELinux labels applied to a container." },
  ),
);

export const SeccompProfile = named(
  Type.Object(
    {
      localhostProfile: opt(str(), "Path of a profile file on the node, for type Localhost."),
      type: req(str(), "RuntimeDefault, Unconfined or Localhost."),
    },
    { $id: `${core}SeccompProfile`, description: "The seccomp profile of a pod or container." },
  ),
);

export const AppArmorProfile = named(
  Type.Object(
    {
      localhostProfile: opt(str(), "Name of a profile loaded on the node, for type Localhost."),
      type: req(str(), "RuntimeDefault, Unconfined or Localhost."),
    },
    { $id: `${core}AppArmorProfile`, description: "The AppArmor profile of a pod or container." },
  ),
);

export const SecurityContext = named(
  Type.Object(
    {
      allowPrivilegeEscalation: opt(bool(), "Whether a process may gain more privileges than its parent (no_new_privs)."),
      appArmorProfile: opt(AppArmorProfile, "AppArmor profile of the container."),
      capabilities: opt(Capabilities, "Capabilities to add and drop."),
      privileged: opt(bool(), "Run as privileged: processes are equivalent to root on the host."),
      procMount: opt(str(), "Default or Unmasked /proc."),
      readOnlyRootFilesystem: opt(bool(), "Mount the container's root filesystem read-only."),
      runAsGroup: opt(int64(), "Primary GID of the container's process."),
      runAsNonRoot: opt(bool(), "Refuse to start the container if its user is root."),
      runAsUser: opt(int64(), "UID of the container's process."),
      seLinuxOptions: opt(SELinuxOptions, "SELinux context of the container."),
      seccompProfile: opt(SeccompProfile, "Seccomp profile of the container."),
      windowsOptions: opt(freeForm(), "Windows-specific settings."),
    },
    { $id: `${core}SecurityContext`, description: "Security settings of one container; they override the pod's." },
  ),
);

export const ContainerResizePolicy = named(
  Type.Object(
    {
      resourceName: req(str(), "cpu or memory."),
      restartPolicy: req(str(), "NotRequired or RestartContainer."),
    },
    { $id: `${core}ContainerResizePolicy`, description: "How a container is resized in place for one resource." },
  ),
);

export const Container = named(
  Type.Object(
    {
      args: opt(stringList("Arguments to the entrypoint; the image's CMD when not given. $(VAR) references are expanded.")),
      command: opt(stringList("Entrypoint array, not run in a shell; the image's ENTRYPOINT when not given. $(VAR) references are expanded.")),
      env: opt(keyedList(EnvVar, "name", "Environment variables to set in the container.")),
      envFrom: opt(atomicList(EnvFromSource, "Sources of environment variables; explicit env entries take precedence.")),
      image: opt(str(), "Container image name, such as nginx:1.27 or registry.example.com/app@sha256:..."),
      imagePullPolicy: opt(str(), "Always, Never or IfNotPresent. Defaults to Always for the :latest tag or no tag, IfNotPresent otherwise."),
      lifecycle: opt(Lifecycle, "Actions run after the container starts and before it stops."),
      livenessProbe: opt(Probe, "Periodic check of liveness; the container is restarted if it fails."),
      name: req(str(), "Name of the container, a DNS-1123 label unique in the pod."),
      ports: opt(
        keyedList(ContainerPort, "containerPort", "Ports the container exposes. Informational: any port the container listens on is reachable.", {
          mapKeys: ["containerPort", "protocol"],
        }),
      ),
      readinessProbe: opt(Probe, "Periodic check of readiness; the pod is removed from service endpoints while it fails."),
      resizePolicy: opt(atomicList(ContainerResizePolicy, "How the container's resources are resized in place.")),
      resources: opt(ResourceRequirements, "Compute resources the container requests and is limited to."),
      restartPolicy: opt(str(), "Only for init containers: Always makes it a sidecar that runs for the pod's whole life."),
      securityContext: opt(SecurityContext, "Security settings of the container."),
      startupProbe: opt(Probe, "Check that the container has started; other probes wait for its success."),
      stdin: opt(bool(), "Keep a stdin buffer open for the container."),
      stdinOnce: opt(bool(), "Close stdin after the first attached client disconnects."),
      terminationMessagePath: opt(str(), "File whose content is the container's termination message. Defaults to /dev/termination-log."),
      terminationMessagePolicy: opt(str(), "File, or FallbackToLogsOnError to use the end of the log when the file is empty. Defaults to File."),
      tty: opt(bool(), "Allocate a TTY; needs stdin."),
      volumeDevices: opt(keyedList(VolumeDevice, "devicePath", "Block devices the container uses.")),
      volumeMounts: opt(keyedList(VolumeMount, "mountPath", "Volumes of the pod mounted into the container's filesystem.")),
      workingDir: opt(str(), "Working directory; the image's when not given."),
    },
    { $id: `${core}Container`, description: "One application container of a pod." },
  ),
);
export type Container = Static<typeof Container>;

export const Sysctl = named(
  Type.Object(
    { name: req(str(), "Name of the sysctl."), value: req(str(), "Value to set.") },
    { $id: `${core}Sysctl`, description: "A kernel parameter set for the pod." },
  ),
);

export const PodSecurityContext = named(
  Type.Object(
    {
      appArmorProfile: opt(AppArmorProfile, "AppArmor profile of the pod's containers."),
      fsGroup: opt(int64(), "Supplemental group that owns the pod's volumes and is added to every container's processes."),
      fsGroupChangePolicy: opt(str(), "OnRootMismatch or Always: when volume ownership is changed to fsGroup."),
      runAsGroup: opt(int64(), "Primary GID of the containers' processes."),
      runAsNonRoot: opt(bool(), "Refuse to start containers whose user is root."),
      runAsUser: opt(int64(), "UID of the containers' processes."),
      seLinuxChangePolicy: opt(str(), "How SELinux labels are applied to volumes: MountOption or Recursive."),
      seLinuxOptions: opt(SELinuxOptions, "SELinux context of all containers."),
      seccompProfile: opt(SeccompProfile, "Seccomp profile of the containers."),
      supplementalGroups: opt(atomicList(int64(), "Groups added to the first process of each container.")),
      supplementalGroupsPolicy: opt(str(), "Merge or Strict: how supplementary groups are computed."),
      sysctls: opt(atomicList(Sysctl, "Namespaced kernel parameters set for the pod.")),
      windowsOptions: opt(freeForm(), "Windows-specific settings."),
    },
    { $id: `${core}PodSecurityContext`, description: "Security settings of all containers of a pod; container settings override them." },
  ),
);

export const Toleration = named(
  Type.Object(
    {
      effect: opt(str(), "Taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty matches all."),
      key: opt(str(), "Taint key to match; empty with operator Exists matches every taint."),
      operator: opt(str(), "Exists or Equal. Defaults to Equal."),
      tolerationSeconds: opt(int64(), "For NoExecute: how long the pod stays bound after the taint appears. Unset means forever."),
      value: opt(str(), "Taint value to match, for operator Equal."),
    },
    { $id: `${core}Toleration`, description: "Lets a pod be scheduled onto (or stay on) nodes with a matching taint." },
  ),
);
export type Toleration = Static<typeof Toleration>;

export const NodeSelectorRequirement = named(
  Type.Object(
    {
      key: req(str(), "The label key (or field name, in matchFields) the requirement applies to."),
      operator: req(str(), "In, NotIn, Exists, DoesNotExist, Gt or Lt."),
      values: opt(stringList("Values: at least one for In and NotIn, none for Exists and DoesNotExist, one integer for Gt and Lt.")),
    },
    { $id: `${core}NodeSelectorRequirement`, description: "A requirement on a node label or field." },
  ),
);
export type NodeSelectorRequirement = Static<typeof NodeSelectorRequirement>;

export const NodeSelectorTerm = named(
  Type.Object(
    {
      matchExpressions: opt(atomicList(NodeSelectorRequirement, "Requirements on node labels.")),
      matchFields: opt(atomicList(NodeSelectorRequirement, "Requirements on node fields (metadata.name).")),
    },
    { $id: `${core}NodeSelectorTerm`, description: "Requirements that must all hold for a node to match. An empty term matches no node.", ...atomicStruct },
  ),
);
export type NodeSelectorTerm = Static<typeof NodeSelectorTerm>;

export const NodeSelector = named(
  Type.Object(
    { nodeSelectorTerms: req(atomicList(NodeSelectorTerm, "Terms of which at least one must match.")) },
    { $id: `${core}NodeSelector`, description: "Selects nodes: a node matches if any of the terms matches.", ...atomicStruct },
  ),
);
export type NodeSelector = Static<typeof NodeSelector>;

export const PreferredSchedulingTerm = named(
  Type.Object(
    {
      preference: req(NodeSelectorTerm, "The nodes preferred."),
      weight: req(int32(), "Weight of the preference, 1 to 100."),
    },
    { $id: `${core}PreferredSchedulingTerm`, description: "A weighted preference for some nodes." },
  ),
);
export type PreferredSchedulingTerm = Static<typeof PreferredSchedulingTerm>;

export const NodeAffinity = named(
  Type.Object(
    {
      preferredDuringSchedulingIgnoredDuringExecution: opt(
        atomicList(PreferredSchedulingTerm, "Nodes the scheduler prefers: it adds the weights of matching terms to each node's score."),
      ),
      requiredDuringSchedulingIgnoredDuringExecution: opt(NodeSelector, "Nodes the pod may be scheduled onto; not re-checked once it runs."),
    },
    { $id: `${core}NodeAffinity`, description: "Constraints on the nodes a pod is scheduled onto." },
  ),
);
export type NodeAffinity = Static<typeof NodeAffinity>;

export const PodAffinityTerm = named(
  Type.Object(
    {
      labelSelector: opt(LabelSelector, "Selects the pods the term is about."),
      matchLabelKeys: opt(stringList("Label keys whose values in the incoming pod are added to labelSelector.")),
      mismatchLabelKeys: opt(stringList("Label keys whose values in the incoming pod are excluded by labelSelector.")),
      namespaceSelector: opt(LabelSelector, "Selects the namespaces the pods are looked for in, with namespaces."),
      namespaces: opt(stringList("Namespaces the pods are looked for in; the pod's own when empty and no namespaceSelector is given.")),
      topologyKey: req(str(), "Node label whose value defines the topology domain, such as kubernetes.io/hostname."),
    },
    { $id: `${core}PodAffinityTerm`, description: "Pods (selected by labels, in namespaces) that must or must not run in the same topology domain." },
  ),
);
export type PodAffinityTerm = Static<typeof PodAffinityTerm>;

export const WeightedPodAffinityTerm = named(
  Type.Object(
    {
      podAffinityTerm: req(PodAffinityTerm, "The term."),
      weight: req(int32(), "Weight of the term, 1 to 100."),
    },
    { $id: `${core}WeightedPodAffinityTerm`, description: "A weighted pod affinity term." },
  ),
);
export type WeightedPodAffinityTerm = Static<typeof WeightedPodAffinityTerm>;

export const PodAffinity = named(
  Type.Object(
    {
      preferredDuringSchedulingIgnoredDuringExecution: opt(atomicList(WeightedPodAffinityTerm, "Preferred co-location with other pods.")),
      requiredDuringSchedulingIgnoredDuringExecution: opt(atomicList(PodAffinityTerm, "Required co-location with other pods, all terms at once.")),
    },
    { $id: `${core}PodAffinity`, description: "Scheduling of a pod in the same domain as other pods." },
  ),
);
export type PodAffinity = Static<typeof PodAffinity>;

export const PodAntiAffinity = named(
  Type.Object(
    {
      preferredDuringSchedulingIgnoredDuringExecution: opt(atomicList(WeightedPodAffinityTerm, "Preferred separation from other pods.")),
      requiredDuringSchedulingIgnoredDuringExecution: opt(atomicList(PodAffinityTerm, "Required separation from other pods, all terms at once.")),
    },
    { $id: `${core}PodAntiAffinity`, description: "Scheduling of a pod away from the domains of other pods." },
  ),
);
export type PodAntiAffinity = Static<typeof PodAntiAffinity>;

export const Affinity = named(
  Type.Object(
    {
      nodeAffinity: opt(NodeAffinity, "Constraints on nodes."),
      podAffinity: opt(PodAffinity, "Co-location with other pods."),
      podAntiAffinity: opt(PodAntiAffinity, "Separation from other pods."),
    },
    { $id: `${core}Affinity`, description: "Scheduling constraints of a pod: node affinity, pod affinity and pod anti-affinity." },
  ),
);
export type Affinity = Static<typeof Affinity>;

export const HostAlias = named(
  Type.Object(
    { hostnames: opt(stringList("Host names for the address.")), ip: req(str(), "The IP address.") },
    { $id: `${core}HostAlias`, description: "An entry of the pod's /etc/hosts." },
  ),
);

export const PodDNSConfigOption = named(
  Type.Object(
    { name: opt(str(), "Resolver option name."), value: opt(str(), "Resolver option value.") },
    { $id: `${core}PodDNSConfigOption`, description: "A resolver option." },
  ),
);

export const PodDNSConfig = named(
  Type.Object(
    {
      nameservers: opt(stringList("Name server IP addresses, added to those of dnsPolicy.")),
      options: opt(atomicList(PodDNSConfigOption, "Resolver options, merged with those of dnsPolicy.")),
      searches: opt(stringList("Search domains, added to those of dnsPolicy.")),
    },
    { $id: `${core}PodDNSConfig`, description: "DNS settings of a pod beyond those of its dnsPolicy." },
  ),
);

export const PodReadinessGate = named(
  Type.Object(
    { conditionType: req(str(), "A pod condition type that must be True for the pod to be ready.") },
    { $id: `${core}PodReadinessGate`, description: "An extra condition for pod readiness." },
  ),
);

export const PodSchedulingGate = named(
  Type.Object(
    { name: req(str(), "Name of the gate.") },
    { $id: `${core}PodSchedulingGate`, description: "A gate that holds the pod back from scheduling while present." },
  ),
);

export const PodOS = named(
  Type.Object({ name: req(str(), "linux or windows.") }, { $id: `${core}PodOS`, description: "The operating system of the pod's containers." }),
);

export const TopologySpreadConstraint = named(
  Type.Object(
    {
      labelSelector: opt(LabelSelector, "Selects the pods counted in each domain."),
      matchLabelKeys: opt(stringList("Label keys whose values in the incoming pod narrow the selection.")),
      maxSkew: req(int32(), "Largest allowed difference in matching pods between domains, at least 1."),
      minDomains: opt(int32(), "Minimum number of eligible domains."),
      nodeAffinityPolicy: opt(str(), "Honor or Ignore the pod's node affinity when counting."),
      nodeTaintsPolicy: opt(str(), "Honor or Ignore node taints when counting."),
      topologyKey: req(str(), "Node label key whose values define the domains."),
      whenUnsatisfiable: req(str(), "DoNotSchedule or ScheduleAnyway."),
    },
    { $id: `${core}TopologySpreadConstraint`, description: "How matching pods are spread across topology domains." },
  ),
);
export type TopologySpreadConstraint = Static<typeof TopologySpreadConstraint>;

export const PodSpec = named(
  Type.Object(
    {
      activeDeadlineSeconds: opt(int64(), "Seconds a pod may be active on a node before it is failed, a positive integer."),
      affinity: opt(Affinity, "Node affinity and pod (anti-)affinity constraints."),
      automountServiceAccountToken: opt(bool(), "Whether a service account token is mounted automatically."),
      containers: req(keyedList(Container, "name", "The containers of the pod. At least one; cannot be added or removed after creation.")),
      dnsConfig: opt(PodDNSConfig, "DNS settings beyond those of dnsPolicy."),
      dnsPolicy: opt(str(), "ClusterFirst, ClusterFirstWithHostNet, Default or None. Defaults to ClusterFirst."),
      enableServiceLinks: opt(bool(), "Whether services are exposed to containers as environment variables (docker links style). Defaults to true."),
      hostAliases: opt(keyedList(HostAlias, "ip", "Entries added to the pod's /etc/hosts.")),
      hostIPC: opt(bool(), "Use the host's IPC namespace."),
      hostNetwork: opt(bool(), "Use the host's network namespace; the pod's IP is the node's."),
      hostPID: opt(bool(), "Use the host's PID namespace."),
      hostUsers: opt(bool(), "Use the host's user namespace. Defaults to true."),
      hostname: opt(str(), "Host name of the pod. Defaults to the pod's name."),
      imagePullSecrets: opt(keyedList(LocalObjectReference, "name", "Secrets holding registry credentials for pulling the images.")),
      initContainers: opt(keyedList(Container, "name", "Containers run one by one, each to completion, before the app containers start.")),
      nodeName: opt(str(), "The node the pod is bound to. Set by the scheduler through the binding subresource; setting it at creation bypasses scheduling."),
      nodeSelector: opt(strMap(), "Labels a node must have for the pod to be scheduled onto it."),
      os: opt(PodOS, "The operating system the containers need."),
      overhead: opt(mapOf(Quantity), "Resources consumed by the pod's sandbox, set from its RuntimeClass."),
      preemptionPolicy: opt(str(), "PreemptLowerPriority or Never."),
      priority: opt(int32(), "Scheduling priority, set from priorityClassName by admission. Higher is more important."),
      priorityClassName: opt(str(), "Name of a PriorityClass giving the pod's priority."),
      readinessGates: opt(atomicList(PodReadinessGate, "Conditions, besides container readiness, that must be True for the pod to be ready.")),
      restartPolicy: opt(str(), "Always, OnFailure or Never: when containers are restarted after they exit. Defaults to Always."),
      runtimeClassName: opt(str(), "Name of a RuntimeClass to run the pod with."),
      schedulerName: opt(str(), "Scheduler responsible for the pod. Defaults to default-scheduler."),
      schedulingGates: opt(keyedList(PodSchedulingGate, "name", "Gates that hold the pod back from scheduling until all are removed.")),
      securityContext: opt(PodSecurityContext, "Pod-level security settings."),
      serviceAccount: opt(str(), "Deprecated alias of serviceAccountName."),
      serviceAccountName: opt(str(), "Service account the pod runs as. Defaults to default."),
      setHostnameAsFQDN: opt(bool(), "Set the pod's host name to its fully qualified domain name."),
      shareProcessNamespace: opt(bool(), "Share one PID namespace among all containers of the pod."),
      subdomain: opt(str(), "Subdomain of the pod's fully qualified host name, <hostname>.<subdomain>.<namespace>.svc."),
      terminationGracePeriodSeconds: opt(int64(), "Seconds between the termination signal and the kill signal when the pod is deleted. Defaults to 30."),
      tolerations: opt(atomicList(Toleration, "Taints the pod tolerates.")),
      topologySpreadConstraints: opt(
        keyedList(TopologySpreadConstraint, "topologyKey", "How the pod's replicas spread across topology domains.", {
          mapKeys: ["topologyKey", "whenUnsatisfiable"],
        }),
      ),
      volumes: opt(keyedList(Volume, "name", "Volumes the pod's containers can mount.", { patchStrategy: "merge,retainKeys" })),
    },
    { $id: `${core}PodSpec`, description: "The desired state of a pod: its containers, volumes, and how it is scheduled and run." },
  ),
);
export type PodSpec = Static<typeof PodSpec>;

export const PodCondition = named(
  Type.Object(
    {
      lastProbeTime: opt(Time, "When the condition was last probed."),
      lastTransitionTime: opt(Time, "When the condition last changed status."),
      message: opt(str(), "Human-readable details of the last transition."),
      reason: opt(str(), "CamelCase reason of the last transition."),
      status: req(str(), "True, False or Unknown."),
      type: req(str(), "PodScheduled, PodReadyToStartContainers, Initialized, ContainersReady or Ready, or a readiness gate."),
    },
    { $id: `${core}PodCondition`, description: "One aspect of a pod's state." },
  ),
);
export type PodCondition = Static<typeof PodCondition>;

export const ContainerStateWaiting = named(
  Type.Object(
    { message: opt(str(), "Why the container is not running yet."), reason: opt(str(), "Such as ContainerCreating, ErrImagePull, CrashLoopBackOff.") },
    { $id: `${core}ContainerStateWaiting`, description: "A container waiting to run." },
  ),
);

export const ContainerStateRunning = named(
  Type.Object({ startedAt: opt(Time, "When the container last started.") }, { $id: `${core}ContainerStateRunning`, description: "A running container." }),
);

export const ContainerStateTerminated = named(
  Type.Object(
    {
      containerID: opt(str(), "ID of the container, <type>://<id>."),
      exitCode: req(int32(), "Exit status of the container's last run."),
      finishedAt: opt(Time, "When the container last terminated."),
      message: opt(str(), "Termination message."),
      reason: opt(str(), "Such as Completed, Error or OOMKilled."),
      signal: opt(int32(), "Signal that terminated the container."),
      startedAt: opt(Time, "When the container's last run started."),
    },
    { $id: `${core}ContainerStateTerminated`, description: "A container that ran and exited." },
  ),
);

export const ContainerState = named(
  Type.Object(
    {
      running: opt(ContainerStateRunning, "Set while the container runs."),
      terminated: opt(ContainerStateTerminated, "Set once the container has exited."),
      waiting: opt(ContainerStateWaiting, "Set while the container waits to run."),
    },
    { $id: `${core}ContainerState`, description: "State of a container: exactly one field is set; waiting if none is." },
  ),
);
export type ContainerState = Static<typeof ContainerState>;

export const ContainerStatus = named(
  Type.Object(
    {
      containerID: opt(str(), "ID of the container, <type>://<id>."),
      image: req(str(), "Image the container runs."),
      imageID: req(str(), "ID of the image the container runs."),
      lastState: opt(ContainerState, "State of the previous run, for restarted containers."),
      name: req(str(), "Name of the container, as in the pod spec."),
      ready: req(bool(), "Whether the container passes its readiness probe."),
      restartCount: req(int32(), "Number of restarts."),
      started: opt(bool(), "Whether the container has started and passed its startup probe."),
      state: opt(ContainerState, "Current state."),
    },
    { $id: `${core}ContainerStatus`, description: "Observed state of one container." },
  ),
);
export type ContainerStatus = Static<typeof ContainerStatus>;

export const PodIP = named(
  Type.Object({ ip: req(str(), "An IP address of the pod.") }, { $id: `${core}PodIP`, description: "One IP address of a pod." }),
);

export const HostIP = named(
  Type.Object({ ip: req(str(), "An IP address of the node.") }, { $id: `${core}HostIP`, description: "One IP address of the pod's node." }),
);

export const PodStatus = named(
  Type.Object(
    {
      conditions: opt(keyedList(PodCondition, "type", "Current service state of the pod.")),
      containerStatuses: opt(atomicList(ContainerStatus, "Status of each app container.")),
      hostIP: opt(str(), "Primary IP address of the node the pod runs on."),
      hostIPs: opt(keyedList(HostIP, "ip", "IP addresses of the node.", { listType: "atomic" })),
      initContainerStatuses: opt(atomicList(ContainerStatus, "Status of each init container.")),
      message: opt(str(), "Human-readable reason for the pod's state."),
      nominatedNodeName: opt(str(), "Node the scheduler expects to place the pod on after preemption."),
      phase: opt(str(), "Pending, Running, Succeeded, Failed or Unknown: a summary of where the pod is in its life."),
      podIP: opt(str(), "Primary IP address of the pod."),
      podIPs: opt(keyedList(PodIP, "ip", "IP addresses of the pod; the first is podIP.")),
      qosClass: opt(str(), "Guaranteed, Burstable or BestEffort, from the containers' requests and limits."),
      reason: opt(str(), "CamelCase reason for the pod's state, such as Evicted."),
      startTime: opt(Time, "When the node acknowledged the pod."),
    },
    { $id: `${core}PodStatus`, description: "Observed state of a pod. May lag its true state." },
  ),
);
export type PodStatus = Static<typeof PodStatus>;

export const Pod = named(
  Type.Object(
    {
      apiVersion: opt(str(), "v1."),
      kind: opt(str(), "Pod."),
      metadata: opt(ObjectMeta, "Standard object metadata."),
      spec: opt(PodSpec, "Desired state of the pod."),
      status: opt(PodStatus, "Observed state of the pod, written by the node agent and the scheduler."),
    },
    { $id: `${core}Pod`, description: "A group of containers that run together on one node, sharing a network identity and volumes." },
  ),
);
export type Pod = Static<typeof Pod>;

export const PodTemplateSpec = named(
  Type.Object(
    {
      metadata: opt(ObjectMeta, "Metadata of the pods created from the template; labels must match the owner's selector."),
      spec: opt(PodSpec, "Specification of the pods created from the template."),
    },
    { $id: `${core}PodTemplateSpec`, description: "The pods a controller creates: their metadata and spec." },
  ),
);
export type PodTemplateSpec = Static<typeof PodTemplateSpec>;
