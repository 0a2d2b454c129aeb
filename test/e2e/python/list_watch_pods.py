#!/usr/bin/python3
"""List and watch pods with the official Kubernetes Python client (Debian's python3-kubernetes).

Run by test/e2e/python.test.ts against a `raftplane server` replica:

1. list the pods of a namespace (CoreV1Api.list_namespaced_pod);
2. create a pod through the client;
3. read a pod that does not exist: ApiException, status 404, Status reason NotFound;
4. watch the namespace's pods from the list's resourceVersion (watch.Watch().stream) until
   the pod named by --until-deleted is deleted, or timeoutSeconds passes.

Prints one JSON object per line, flushed at once, for the test to follow:
  {"step": "list", "resourceVersion": ..., "names": [...]}
  {"step": "created", "name": ..., "resourceVersion": ..., "uid": ...}
  {"step": "not-found", "status": 404, "reason": "NotFound", "message": ...}
  {"step": "watching", "resourceVersion": ...}
  {"step": "event", "type": "ADDED", "name": ..., "uid": ..., "resourceVersion": ..., "labels": {...}}
  {"step": "done", "events": N}
"""
import argparse
import json

from kubernetes import client, config, watch


def emit(**fields):
    print(json.dumps(fields, sort_keys=True), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--create", required=True, help="name of the pod to create after listing")
    parser.add_argument("--until-deleted", required=True, help="stop watching once this pod is deleted")
    parser.add_argument("--timeout", type=int, default=20, help="timeoutSeconds of the watch")
    args = parser.parse_args()

    config.load_kube_config(config_file=args.kubeconfig)
    v1 = client.CoreV1Api()

    listed = v1.list_namespaced_pod(args.namespace)
    list_rv = listed.metadata.resource_version
    emit(step="list", resourceVersion=list_rv, names=sorted(p.metadata.name for p in listed.items))

    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name=args.create, labels={"made-by": "python"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="app", image="busybox:1.36", command=["sleep", "3600"])]),
    )
    created = v1.create_namespaced_pod(args.namespace, pod)
    emit(step="created", name=created.metadata.name, resourceVersion=created.metadata.resource_version, uid=created.metadata.uid)

    try:
        v1.read_namespaced_pod("no-such-pod", args.namespace)
        emit(step="found", name="no-such-pod")
    except client.exceptions.ApiException as err:
        status = json.loads(err.body)
        emit(step="not-found", status=err.status, reason=status.get("reason"), message=status.get("message"))

    emit(step="watching", resourceVersion=list_rv)
    w = watch.Watch()
    seen = 0
    for event in w.stream(v1.list_namespaced_pod, args.namespace, resource_version=list_rv, timeout_seconds=args.timeout):
        obj = event["object"]
        seen += 1
        emit(
            step="event",
            type=event["type"],
            name=obj.metadata.name,
            uid=obj.metadata.uid,
            resourceVersion=obj.metadata.resource_version,
            labels=obj.metadata.labels or {},
        )
        if event["type"] == "DELETED" and obj.metadata.name == args.until_deleted:
            w.stop()
    emit(step="done", events=seen)


if __name__ == "__main__":
    main()
