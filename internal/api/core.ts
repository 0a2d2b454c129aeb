/**
 * core/v1 kinds other than Pod: Namespace, Node, Service, Endpoints, ConfigMap, Secret, Event,
 * ServiceAccount and Binding.
 */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import {
  IntOrString,
  MicroTime,
  Quantity,
  Time,
  atomicList,
  bool,
  formatted,
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
import { Condition, ObjectMeta, kindProperties } from "./meta.js";
import { LocalObjectReference, ObjectReference } from "./core-pod.js";

const core = "io.k8s.api.core.v1.";


// ---- Namespace

export const NamespaceSpec = named(
  Type.Object(
    { finalizers: opt(stringList("Finalizers that must be removed before the namespace is deleted from storage. Defaults to [kubernetes].")) },
    { $id: `${core}NamespaceSpec`, description: "Desired state of a namespace." },
  ),
);
export type NamespaceSpec = Static<typeof NamespaceSpec>;

export const NamespaceCondition = named(
  Type.Object(
    {
      lastTransitionTime: opt(Time, "When the condition last changed status."),
      message: opt(str(), "Human-readable details."),
      reason: opt(str(), "CamelCase reason."),
      status: req(str(), "True, False or Unknown."),
      type: req(str(), "Type of the condition, such as NamespaceDeletionContentFailure."),
    },
    { $id: `${core}NamespaceCondition`, description: "One aspect of a namespace's state." },
  ),
);

export const NamespaceStatus = named(
  Type.Object(
    {
      conditions: opt(keyedList(NamespaceCondition, "type", "Latest observations of the namespace's state.")),
      phase: opt(str(), "Active, or Terminating while its content is being deleted."),
    },
    { $id: `${core}NamespaceStatus`, description: "Observed state of a namespace." },
  ),
);
export type NamespaceStatus = Static<typeof NamespaceStatus>;

export const Namespace = named(
  Type.Object(
    kindProperties({
      spec: opt(NamespaceSpec, "Desired state of the namespace."),
      status: opt(NamespaceStatus, "Observed state of the namespace."),
    }),
    { $id: `${core}Namespace`, description: "A scope for names: most objects live in exactly one namespace." },
  ),
);
export type Namespace = Static<typeof Namespace>;

// ---- Node

export const Taint = named(
  Type.Object(
    {
      effect: req(str(), "NoSchedule, PreferNoSchedule or NoExecute: what happens to pods that do not tolerate the taint."),
      key: req(str(), "Taint key, a qualified name."),
      timeAdded: opt(Time, "When a NoExecute taint was added."),
      value: opt(str(), "Taint value, a label value."),
    },
    { $id: `${core}Taint`, description: "A mark on a node that repels pods without a matching toleration." },
  ),
);
export type Taint = Static<typeof Taint>;

export const NodeSpec = named(
  Type.Object(
    {
      podCIDR: opt(str(), "IP range assigned to the node's pods; the first of podCIDRs."),
      podCIDRs: opt(listOf(Type.String(), { listType: "set", patchStrategy: "merge" }, "IP ranges assigned to the node's pods, at most one per IP family.")),
      providerID: opt(str(), "ID of the node at its cloud provider, <provider>://<id>."),
      taints: opt(atomicList(Taint, "Taints of the node.")),
      unschedulable: opt(bool(), "If true, no new pods are scheduled onto the node (kubectl cordon)."),
    },
    { $id: `${core}NodeSpec`, description: "Desired state of a node." },
  ),
);
export type NodeSpec = Static<typeof NodeSpec>;

export const NodeCondition = named(
  Type.Object(
    {
      lastHeartbeatTime: opt(Time, "When the condition was last reported."),
      lastTransitionTime: opt(Time, "When the condition last changed status."),
      message: opt(str(), "Human-readable details."),
      reason: opt(str(), "CamelCase reason of the last transition."),
      status: req(str(), "True, False or Unknown."),
      type: req(str(), "Ready, MemoryPressure, DiskPressure, PIDPressure or NetworkUnavailable."),
    },
    { $id: `${core}NodeCondition`, description: "One aspect of a node's state." },
  ),
);
export type NodeCondition = Static<typeof NodeCondition>;

export const NodeAddress = named(
  Type.Object(
    { address: req(str(), "The address."), type: req(str(), "Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.") },
    { $id: `${core}NodeAddress`, description: "An address of a node." },
  ),
);
export type NodeAddress = Static<typeof NodeAddress>;

export const DaemonEndpoint = named(
  Type.Object({ Port: req(int32(), "Port number.") }, { $id: `${core}DaemonEndpoint`, description: "A port a daemon of the node listens on." }),
);

export const NodeDaemonEndpoints = named(
  Type.Object(
    { kubeletEndpoint: opt(DaemonEndpoint, "Port of the node agent's API.") },
    { $id: `${core}NodeDaemonEndpoints`, description: "Ports of the daemons of a node." },
  ),
);

export const NodeSystemInfo = named(
  Type.Object(
    {
      architecture: opt(str(), "CPU architecture, such as amd64."),
      bootID: opt(str(), "Boot ID of the node."),
      containerRuntimeVersion: opt(str(), "Container runtime and version, <runtime>://<version>."),
      kernelVersion: opt(str(), "Kernel version (uname -r)."),
      kubeProxyVersion: opt(str(), "Deprecated; version of the service proxy."),
      kubeletVersion: opt(str(), "Version of the node agent."),
      machineID: opt(str(), "Machine ID of the node."),
      operatingSystem: opt(str(), "Operating system, such as linux."),
      osImage: opt(str(), "Operating system image, such as Debian GNU/Linux 12 (bookworm)."),
      systemUUID: opt(str(), "System UUID of the node."),
    },
    { $id: `${core}NodeSystemInfo`, description: "Facts about a node's system and software." },
  ),
);
export type NodeSystemInfo = Static<typeof NodeSystemInfo>;

export const ContainerImage = named(
  Type.Object(
    { names: opt(stringList("Names the image is known by.")), sizeBytes: opt(int64(), "Size of the image in bytes.") },
    { $id: `${core}ContainerImage`, description: "A container image present on a node." },
  ),
);

export const NodeStatus = named(
  Type.Object(
    {
      addresses: opt(keyedList(NodeAddress, "type", "Addresses of the node.", { listType: "atomic" })),
      allocatable: opt(mapOf(Quantity), "Resources available to pods; defaults to capacity."),
      capacity: opt(mapOf(Quantity), "Total resources of the node: cpu, memory, pods, ephemeral-storage."),
      conditions: opt(keyedList(NodeCondition, "type", "Current state of the node; Ready is the heartbeat the control plane watches.")),
      daemonEndpoints: opt(NodeDaemonEndpoints, "Ports of the node's daemons."),
      images: opt(atomicList(ContainerImage, "Images present on the node.")),
      nodeInfo: opt(NodeSystemInfo, "Facts about the node's system."),
      phase: opt(str(), "Deprecated; never set."),
      volumesInUse: opt(stringList("Volumes attached and mounted on the node.")),
    },
    { $id: `${core}NodeStatus`, description: "Observed state of a node, reported by its agent." },
  ),
);
export type NodeStatus = Static<typeof NodeStatus>;

export const Node = named(
  Type.Object(
    kindProperties({
      spec: opt(NodeSpec, "Desired state of the node."),
      status: opt(NodeStatus, "Observed state of the node, reported by its agent."),
    }),
    { $id: `${core}Node`, description: "A worker machine on which pods run." },
  ),
);
export type Node = Static<typeof Node>;

// ---- Service

export const ServicePort = named(
  Type.Object(
    {
      appProtocol: opt(str(), "Application protocol of the port, such as http or kubernetes.io/h2c."),
      name: opt(str(), "Name of the port, a DNS-1123 label unique in the service; required when there are several ports."),
      nodePort: opt(int32(), "Port on every node for NodePort and LoadBalancer services; allocated when not given."),
      port: req(int32(), "Port the service exposes, 1 to 65535."),
      protocol: opt(str(), "TCP, UDP or SCTP. Defaults to TCP."),
      targetPort: opt(IntOrString, "Port number or container port name on the selected pods. Defaults to port."),
    },
    { $id: `${core}ServicePort`, description: "A port a service exposes and where it forwards to." },
  ),
);
export type ServicePort = Static<typeof ServicePort>;

export const ClientIPConfig = named(
  Type.Object(
    { timeoutSeconds: opt(int32(), "Seconds a client stays affine to a backend, 1 to 86400. Defaults to 10800.") },
    { $id: `${core}ClientIPConfig`, description: "Settings of client IP session affinity." },
  ),
);

export const SessionAffinityConfig = named(
  Type.Object(
    { clientIP: opt(ClientIPConfig, "Settings of ClientIP affinity.") },
    { $id: `${core}SessionAffinityConfig`, description: "Settings of session affinity." },
  ),
);

export const ServiceSpec = named(
  Type.Object(
    {
      allocateLoadBalancerNodePorts: opt(bool(), "Whether node ports are allocated for a LoadBalancer service. Defaults to true."),
      clusterIP: opt(str(), "Virtual IP of the service, allocated when empty; None makes it headless. Cannot be changed once set."),
      clusterIPs: opt(stringList("Virtual IPs of the service, one per IP family; the first is clusterIP.")),
      externalIPs: opt(stringList("Extra IP addresses on which nodes accept traffic for the service.")),
      externalName: opt(str(), "DNS name a CNAME record points to, for ExternalName services."),
      externalTrafficPolicy: opt(str(), "Cluster or Local: how external traffic is routed to endpoints."),
      healthCheckNodePort: opt(int32(), "Node port of the health check for Local external traffic policy."),
      internalTrafficPolicy: opt(str(), "Cluster or Local: how traffic from within the cluster is routed."),
      ipFamilies: opt(stringList("IPv4 and/or IPv6: the families of the cluster IPs.")),
      ipFamilyPolicy: opt(str(), "SingleStack, PreferDualStack or RequireDualStack."),
      loadBalancerClass: opt(str(), "Load balancer implementation for LoadBalancer services."),
      loadBalancerIP: opt(str(), "Deprecated: requested IP of the load balancer."),
      loadBalancerSourceRanges: opt(stringList("Client IP ranges allowed through the load balancer.")),
      ports: opt(
        keyedList(ServicePort, "port", "The ports the service exposes.", { mapKeys: ["port", "protocol"] }),
      ),
      publishNotReadyAddresses: opt(bool(), "Publish addresses of pods that are not ready."),
      selector: opt(strMap(), "Labels of the pods traffic is routed to. Without a selector, endpoints are managed by hand."),
      sessionAffinity: opt(str(), "ClientIP or None. Defaults to None."),
      sessionAffinityConfig: opt(SessionAffinityConfig, "Settings of session affinity."),
      trafficDistribution: opt(str(), "Preference for routing, such as PreferClose."),
      type: opt(str(), "ClusterIP, NodePort, LoadBalancer or ExternalName. Defaults to ClusterIP."),
    },
    { $id: `${core}ServiceSpec`, description: "Desired state of a service." },
  ),
);
export type ServiceSpec = Static<typeof ServiceSpec>;

export const PortStatus = named(
  Type.Object(
    {
      error: opt(str(), "Why the port is not working, CamelCase."),
      port: req(int32(), "Port number."),
      protocol: req(str(), "TCP, UDP or SCTP."),
    },
    { $id: `${core}PortStatus`, description: "State of one port of a load balancer." },
  ),
);

export const LoadBalancerIngress = named(
  Type.Object(
    {
      hostname: opt(str(), "DNS name of the load balancer."),
      ip: opt(str(), "IP address of the load balancer."),
      ipMode: opt(str(), "VIP or Proxy: how the load balancer's IP is used."),
      ports: opt(atomicList(PortStatus, "State of the service's ports.")),
    },
    { $id: `${core}LoadBalancerIngress`, description: "An entry point of a load balancer." },
  ),
);

export const LoadBalancerStatus = named(
  Type.Object(
    { ingress: opt(atomicList(LoadBalancerIngress, "Entry points of the load balancer.")) },
    { $id: `${core}LoadBalancerStatus`, description: "State of a load balancer." },
  ),
);

export const ServiceStatus = named(
  Type.Object(
    {
      conditions: opt(keyedList(Condition, "type", "Current state of the service.")),
      loadBalancer: opt(LoadBalancerStatus, "State of the load balancer, for LoadBalancer services."),
    },
    { $id: `${core}ServiceStatus`, description: "Observed state of a service." },
  ),
);
export type ServiceStatus = Static<typeof ServiceStatus>;

export const Service = named(
  Type.Object(
    kindProperties({
      spec: opt(ServiceSpec, "Desired state of the service."),
      status: opt(ServiceStatus, "Observed state of the service."),
    }),
    { $id: `${core}Service`, description: "A stable virtual address and name in front of a set of pods chosen by a label selector." },
  ),
);
export type Service = Static<typeof Service>;

// ---- Endpoints

export const EndpointAddress = named(
  Type.Object(
    {
      hostname: opt(str(), "Host name of the endpoint."),
      ip: req(str(), "IP address of the endpoint."),
      nodeName: opt(str(), "Node hosting the endpoint."),
      targetRef: opt(ObjectReference, "The object (usually a pod) behind the endpoint."),
    },
    { $id: `${core}EndpointAddress`, description: "One address of an endpoint.", "x-kubernetes-map-type": "atomic" },
  ),
);
export type EndpointAddress = Static<typeof EndpointAddress>;

export const EndpointPort = named(
  Type.Object(
    {
      appProtocol: opt(str(), "Application protocol of the port."),
      name: opt(str(), "Name of the port, matching the service port's name."),
      port: req(int32(), "Port number."),
      protocol: opt(str(), "TCP, UDP or SCTP. Defaults to TCP."),
    },
    { $id: `${core}EndpointPort`, description: "One port of an endpoint.", "x-kubernetes-map-type": "atomic" },
  ),
);
export type EndpointPort = Static<typeof EndpointPort>;

export const EndpointSubset = named(
  Type.Object(
    {
      addresses: opt(atomicList(EndpointAddress, "Addresses that are ready to serve.")),
      notReadyAddresses: opt(atomicList(EndpointAddress, "Addresses that are not ready yet.")),
      ports: opt(atomicList(EndpointPort, "Ports available on every address.")),
    },
    { $id: `${core}EndpointSubset`, description: "Addresses that share a set of ports." },
  ),
);
export type EndpointSubset = Static<typeof EndpointSubset>;

export const Endpoints = named(
  Type.Object(
    kindProperties({ subsets: opt(atomicList(EndpointSubset, "The addresses and ports behind a service.")) }),
    { $id: `${core}Endpoints`, description: "The network endpoints behind a service, maintained from its selector." },
  ),
);
export type Endpoints = Static<typeof Endpoints>;

// ---- ConfigMap and Secret

export const ConfigMap = named(
  Type.Object(
    kindProperties({
      binaryData: opt(mapOf(formatted("byte")), "Binary values, base64 encoded. Keys may not also appear in data."),
      data: opt(strMap(), "UTF-8 values. Keys consist of alphanumerics, '-', '_' and '.'."),
      immutable: opt(bool(), "If true, data cannot be changed; the object can only be deleted and recreated."),
    }),
    { $id: `${core}ConfigMap`, description: "Non-confidential configuration as key/value pairs, for pods to read as files or environment variables." },
  ),
);
export type ConfigMap = Static<typeof ConfigMap>;

export const Secret = named(
  Type.Object(
    kindProperties({
      data: opt(mapOf(formatted("byte")), "Values, base64 encoded. Keys consist of alphanumerics, '-', '_' and '.'."),
      immutable: opt(bool(), "If true, data cannot be changed; the object can only be deleted and recreated."),
      stringData: opt(strMap(), "Write-only plain values, merged into data on write; they take precedence over data."),
      type: opt(str(), "Used to check and process the content, such as kubernetes.io/tls. Defaults to Opaque."),
    }),
    { $id: `${core}Secret`, description: "Confidential data as key/value pairs, such as passwords, tokens and keys." },
  ),
);
export type Secret = Static<typeof Secret>;

// ---- Event

export const EventSource = named(
  Type.Object(
    { component: opt(str(), "Component reporting the event."), host: opt(str(), "Node name of the reporter.") },
    { $id: `${core}EventSource`, description: "Who reported an event." },
  ),
);

export const EventSeries = named(
  Type.Object(
    { count: opt(int32(), "Number of occurrences so far."), lastObservedTime: opt(MicroTime, "When the last occurrence was seen.") },
    { $id: `${core}EventSeries`, description: "A series of repeated occurrences of one event." },
  ),
);

export const Event = named(
  Type.Object(
    {
      action: opt(str(), "What was done or failed, such as Binding."),
      apiVersion: opt(str(), "v1."),
      count: opt(int32(), "How many times the event occurred."),
      eventTime: opt(MicroTime, "When the event was first observed."),
      firstTimestamp: opt(Time, "When the event was first recorded."),
      involvedObject: req(ObjectReference, "The object the event is about."),
      kind: opt(str(), "Event."),
      lastTimestamp: opt(Time, "When the event was last recorded."),
      message: opt(str(), "Human-readable description."),
      metadata: req(ObjectMeta, "Standard object metadata."),
      reason: opt(str(), "Short CamelCase reason, such as Scheduled or BackOff."),
      related: opt(ObjectReference, "A second object concerned."),
      reportingComponent: opt(str(), "Controller that emitted the event, such as default-scheduler."),
      reportingInstance: opt(str(), "Instance of the controller, such as its host name."),
      series: opt(EventSeries, "Data about repeated occurrences."),
      source: opt(EventSource, "Component reporting the event."),
      type: opt(str(), "Normal or Warning."),
    },
    { $id: `${core}Event`, description: "A report of something that happened to an object, kept for a limited time." },
  ),
);
export type Event = Static<typeof Event>;

// ---- ServiceAccount

export const ServiceAccount = named(
  Type.Object(
    kindProperties({
      automountServiceAccountToken: opt(bool(), "Whether pods running as this account get an API token mounted."),
      imagePullSecrets: opt(atomicList(LocalObjectReference, "Secrets added to pods' imagePullSecrets.")),
      secrets: opt(keyedList(ObjectReference, "name", "Secrets pods running as this account may use.")),
    }),
    { $id: `${core}ServiceAccount`, description: "An identity for processes running in pods." },
  ),
);
export type ServiceAccount = Static<typeof ServiceAccount>;

// ---- Binding

export const Binding = named(
  Type.Object(
    kindProperties({ target: req(ObjectReference, "The node to bind the pod to (kind Node, name).") }),
    { $id: `${core}Binding`, description: "Binds a pod to a node; posted to a pod's binding subresource by the scheduler." },
  ),
);
export type Binding = Static<typeof Binding>;
