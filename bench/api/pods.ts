/**
 * The pods the API benchmarks write: shaped like a Deployment's pods after scheduling (labels,
 * a container with an image, ports, environment, resource requests and limits, a probe, a
 * volume mount, a node), so the objects the server stores, caches and sends are about the size
 * of kube's. The server adds its defaults, managedFields, uid and timestamps: a pod as served is
 * about 3 KB of JSON.
 */

/** The annotation that carries a write's send time: µs since the run's stampBase, as text. */
export const sentAnnotation = "bench.raftplane.io/sent-us";

export type Json = Record<string, unknown>;

export function podName(index: number): string {
  return `bench-${index.toString().padStart(6, "0")}`;
}

/** Pod `index` of a namespace, stamped with `sentMicros` (stampNow of the run's stampBase). */
export function benchPod(namespace: string, index: number, sentMicros: number): Json {
  const app = `bench-app-${index % 10}`;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: podName(index),
      namespace,
      labels: { app, "pod-template-hash": "5d4f8c7b9b", tier: "backend", "app.kubernetes.io/part-of": "raftplane-bench" },
      annotations: { [sentAnnotation]: sentMicros.toFixed(1), "kubectl.kubernetes.io/default-container": "app" },
    },
    spec: {
      nodeName: `node-${(index % 50).toString().padStart(3, "0")}`,
      containers: [
        {
          name: "app",
          image: "registry.k8s.io/e2e-test-images/agnhost:2.47",
          args: ["netexec", "--http-port=8080", "--udp-port=-1"],
          ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
          env: [
            { name: "APP_NAME", value: app },
            { name: "LOG_LEVEL", value: "info" },
            { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
          ],
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
          readinessProbe: { httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" }, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
          volumeMounts: [{ name: "config", mountPath: "/etc/app", readOnly: true }],
        },
      ],
      volumes: [{ name: "config", configMap: { name: "bench-app-config", defaultMode: 420 } }],
    },
  };
}

/**
 * The next state of a pod the server returned: its own object with a new stamp and without
 * its resourceVersion, so the PUT is an unconditional update (pods allow them), as a controller
 * that read the pod and changed an annotation would send it.
 */
export function restamped(served: Json, sentMicros: number): Json {
  const metadata = { ...(served["metadata"] as Json) };
  delete metadata["resourceVersion"];
  metadata["annotations"] = { ...(metadata["annotations"] as Json | undefined), [sentAnnotation]: sentMicros.toFixed(1) };
  return { ...served, metadata };
}
