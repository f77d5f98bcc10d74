#!/usr/bin/env python3
"""Validates rendered Kubernetes manifests offline.

Built-in kinds are checked against the Kubernetes JSON schemas bundled in the PyPI package
kubernetes-validate (strict: unknown fields are errors). Custom resources (KEDA, Strimzi) are
checked against the openAPIV3Schema of their CustomResourceDefinitions, converted to JSON Schema
here. On top of the schemas, a few checks the API server or kubelet would make and a schema
cannot express: object names, label values, resource quantities, probe ports that name no
container port, selectors that select nothing, references to objects that are not rendered.

Usage: validate_manifests.py --k8s-version 1.33.0 --crds DIR [--crds DIR …] FILE [FILE …]
Prints one line per problem (`ERROR <file> <Kind>/<name>: <field>: <message>`); exit 1 if any.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from typing import Any, Iterator

import importlib_resources
import jsonschema
import yaml
from referencing import Registry, Resource

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(([eE][+-]?\d+)|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")

# Kinds whose metadata.name must be a DNS-1035 label (Services) or at most 63 characters.
DNS1035_KINDS = {"Service"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, field: str, message: str) -> None:
        self.items.append(f"ERROR {where}: {field or '(root)'}: {message}")


# --- Kubernetes built-in schemas (kubernetes-validate) -------------------------------------------

class BuiltinSchemas:
    def __init__(self, version: str) -> None:
        self.base = importlib_resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
        available = sorted(
            (d.name[1:].split("-")[0] for d in self.base.iterdir() if d.name.startswith("v") and d.name.endswith("-local-strict")),
            key=lambda v: tuple(int(p) for p in v.split(".")),
        )
        want = tuple(int(p) for p in (version.lstrip("v").split(".") + ["0", "0"])[:2])
        usable = [v for v in available if tuple(int(p) for p in v.split(".")[:2]) <= want]
        if not usable:
            raise SystemExit(f"kubernetes-validate has no schemas for Kubernetes {version} (it has {', '.join(available)})")
        self.version = usable[-1]
        self.dir = self.base.joinpath(f"v{self.version}-local-strict")
        defs = json.loads(self.dir.joinpath("_definitions.json").read_text())
        self.registry: Registry = Resource.from_contents(defs) @ Registry()
        self.cache: dict[str, Any] = {}

    def validator(self, api_version: str, kind: str):
        group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        name = f"{kind.lower()}-{group_version}.json"
        if name not in self.cache:
            f = self.dir.joinpath(name)
            if not f.is_file():
                self.cache[name] = None
            else:
                schema = json.loads(f.read_text())
                registry = Resource.from_contents(schema) @ self.registry
                self.cache[name] = jsonschema.Draft202012Validator(schema, registry=registry)
        return self.cache[name]


# --- CustomResourceDefinitions → JSON Schema ----------------------------------------------------

def crd_to_json_schema(node: Any) -> Any:
    """openAPIV3Schema (structural) → JSON Schema, strict about unknown fields like the API server."""
    if isinstance(node, list):
        return [crd_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    for k, v in node.items():
        if k in ("properties", "patternProperties", "definitions", "$defs"):
            out[k] = {name: crd_to_json_schema(s) for name, s in v.items()}
        elif k in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[k] = crd_to_json_schema(v)
        elif k.startswith("x-kubernetes-") or k in ("nullable", "format", "description", "example", "externalDocs"):
            continue
        else:
            out[k] = v
    if node.get("x-kubernetes-int-or-string") is True:
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}] + out.get("anyOf", [])
    if node.get("nullable") is True and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else list(out["type"]) + ["null"]
    if out.get("type") in ("object", ["object", "null"]) and "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


class CrdSchemas:
    def __init__(self, dirs: list[str]) -> None:
        self.by_gvk: dict[tuple[str, str, str], Any] = {}
        self.kinds: set[tuple[str, str]] = set()
        for d in dirs:
            for name in sorted(os.listdir(d)):
                if not name.endswith((".yaml", ".yml")):
                    continue
                with open(os.path.join(d, name)) as f:
                    for doc in yaml.safe_load_all(f):
                        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                            self._add(doc)

    def _add(self, crd: dict) -> None:
        spec = crd["spec"]
        group, kind = spec["group"], spec["names"]["kind"]
        self.kinds.add((group, kind))
        for v in spec.get("versions", []):
            schema = (v.get("schema") or {}).get("openAPIV3Schema")
            if not schema or not v.get("served", True):
                continue
            js = crd_to_json_schema(copy.deepcopy(schema))
            props = js.setdefault("properties", {})
            props["apiVersion"] = {"const": f"{group}/{v['name']}"}
            props["kind"] = {"const": kind}
            props["metadata"] = {"type": "object"}
            js["required"] = sorted(set(js.get("required", [])) | {"apiVersion", "kind", "metadata"})
            self.by_gvk[(group, v["name"], kind)] = jsonschema.Draft202012Validator(js)

    def validator(self, api_version: str, kind: str):
        if "/" not in api_version:
            return None
        group, version = api_version.split("/", 1)
        return self.by_gvk.get((group, version, kind))

    def knows_group(self, api_version: str) -> bool:
        group = api_version.split("/", 1)[0] if "/" in api_version else ""
        return any(g == group for g, _ in self.kinds)


# --- Documents ---------------------------------------------------------------------------------

def split_documents(path: str) -> Iterator[tuple[str, int, Any]]:
    """(source, index, object) per YAML document; `source` is helm's `# Source:` comment if any."""
    with open(path) as f:
        text = f.read()
    chunks = re.split(r"(?m)^---[ \t]*$", text)
    for i, chunk in enumerate(chunks):
        m = re.search(r"(?m)^# Source: (.+)$", chunk)
        source = m.group(1).strip() if m else f"{os.path.basename(path)}#{i}"
        try:
            for obj in yaml.safe_load_all(chunk):
                if obj is not None:
                    yield source, i, obj
        except yaml.YAMLError as e:
            yield source, i, e


def fmt_path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def schema_errors(validator, obj) -> list[tuple[str, str]]:
    errors = []
    for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
        # For anyOf/oneOf, say which branch came closest.
        best = jsonschema.exceptions.best_match(e.context) if e.context else None
        msg = e.message if best is None else f"{e.message} ({fmt_path(best.relative_path) + ': ' if best.relative_path else ''}{best.message})"
        errors.append((fmt_path(e.absolute_path), msg))
    return errors


def pod_spec_of(obj: dict) -> tuple[dict | None, str]:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind in WORKLOAD_KINDS:
        return ((spec.get("template") or {}).get("spec")), "spec.template.spec"
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec"), "spec.jobTemplate.spec.template.spec"
    if kind == "Pod":
        return spec, "spec"
    return None, ""


def semantic_checks(obj: dict, where: str, problems: Problems) -> None:
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    kind = obj.get("kind")
    if isinstance(name, str):
        if not DNS1123_SUBDOMAIN.match(name) or len(name) > 253:
            problems.add(where, "metadata.name", f"{name!r} is not a valid name (lowercase letters, digits, '-' and '.')")
        if kind in DNS1035_KINDS and (not DNS1035_LABEL.match(name) or len(name) > 63):
            problems.add(where, "metadata.name", f"{name!r} is not a valid {kind} name (DNS-1035 label: a letter first, at most 63 characters)")
        if kind in WORKLOAD_KINDS and len(name) > 63:
            problems.add(where, "metadata.name", f"{name!r} is longer than 63 characters")
    for field in ("labels",):
        for k, v in (meta.get(field) or {}).items() if isinstance(meta.get(field), dict) else []:
            check_label(where, f"metadata.labels.{k}", k, v, problems)
    pod, base = pod_spec_of(obj)
    if isinstance(pod, dict):
        if kind in WORKLOAD_KINDS and kind != "Job":
            sel = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            tl = (((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            for k, v in sel.items():
                if tl.get(k) != v:
                    problems.add(where, f"spec.selector.matchLabels.{k}", f"the pod template has no label {k}={v}")
        for group in ("initContainers", "containers"):
            for ci, c in enumerate(pod.get(group) or []):
                if isinstance(c, dict):
                    container_checks(c, f"{base}.{group}[{ci}]", where, problems)
    if kind == "PersistentVolumeClaim":
        storage = (((obj.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
        if storage is not None:
            check_quantity(where, "spec.resources.requests.storage", storage, problems)


def check_label(where: str, field: str, key: Any, value: Any, problems: Problems) -> None:
    name = str(key).split("/")[-1]
    if not LABEL_NAME.match(name) or len(name) > 63:
        problems.add(where, field, f"{key!r} is not a valid label name")
    if not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value):
        problems.add(where, field, f"{value!r} is not a valid label value (a string of at most 63 letters, digits, '-', '_', '.')")


def check_quantity(where: str, field: str, value: Any, problems: Problems) -> None:
    if isinstance(value, bool) or not (isinstance(value, (int, float)) or (isinstance(value, str) and QUANTITY.match(value))):
        problems.add(where, field, f"{value!r} is not a resource quantity (e.g. 250m, 1, 512Mi, 10Gi)")


def container_checks(c: dict, path: str, where: str, problems: Problems) -> None:
    ports = [p for p in (c.get("ports") or []) if isinstance(p, dict)]
    names = {p.get("name") for p in ports if p.get("name")}
    numbers = {p.get("containerPort") for p in ports}
    for pi, p in enumerate(ports):
        n = p.get("name")
        if n is not None and (not isinstance(n, str) or len(n) > 15 or not PORT_NAME.match(n) or not re.search("[a-z]", n)):
            problems.add(where, f"{path}.ports[{pi}].name", f"{n!r} is not a valid port name (at most 15 lowercase letters, digits and '-')")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        pr = c.get(probe)
        if not isinstance(pr, dict):
            continue
        for handler in ("httpGet", "tcpSocket", "grpc"):
            h = pr.get(handler)
            if not isinstance(h, dict) or "port" not in h:
                continue
            port = h["port"]
            field = f"{path}.{probe}.{handler}.port"
            if isinstance(port, bool):
                problems.add(where, field, f"{port!r} is not a port")
            elif isinstance(port, int):
                if not 1 <= port <= 65535:
                    problems.add(where, field, f"{port} is not a port number (1-65535)")
            elif isinstance(port, str):
                if port not in names:
                    problems.add(where, field, f"{port!r} is not a port: neither a number nor the name of one of the container's ports ({', '.join(sorted(names)) or 'none'})")
    for ri, kind in ((0, "requests"), (1, "limits")):
        res = (c.get("resources") or {}).get(kind) if isinstance(c.get("resources"), dict) else None
        if isinstance(res, dict):
            for k, v in res.items():
                check_quantity(where, f"{path}.resources.{kind}.{k}", v, problems)
    seen: set[str] = set()
    for ei, e in enumerate(c.get("env") or []):
        if isinstance(e, dict) and isinstance(e.get("name"), str):
            if not ENV_NAME.match(e["name"]):
                problems.add(where, f"{path}.env[{ei}].name", f"{e['name']!r} is not a valid variable name")
            if e["name"] in seen:
                problems.add(where, f"{path}.env[{ei}].name", f"{e['name']} is set twice")
            seen.add(e["name"])
    del numbers


def cross_checks(objects: list[tuple[str, dict]], problems: Problems) -> None:
    """References between rendered objects: selectors, scale targets, config maps, claims."""
    pods = []  # (namespace, labels, where, obj)
    by_kind_name: dict[tuple[str, str], dict] = {}
    for where, o in objects:
        meta = o.get("metadata") or {}
        by_kind_name[(o.get("kind"), meta.get("name"))] = o
        pod, _ = pod_spec_of(o)
        if pod is not None and o.get("kind") != "Pod":
            labels = (((o.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            pods.append((labels, o))
    seen: dict[tuple[str, str, str], str] = {}
    for where, o in objects:
        meta = o.get("metadata") or {}
        key = (o.get("apiVersion", "").split("/")[0], o.get("kind"), meta.get("name"))
        if key in seen:
            problems.add(where, "metadata.name", f"{o.get('kind')} {meta.get('name')!r} is rendered twice (also by {seen[key]})")
        seen[key] = where
    for where, o in objects:
        kind, spec = o.get("kind"), o.get("spec") or {}
        if kind == "Service" and spec.get("selector") and spec.get("type") != "ExternalName":
            sel = spec["selector"]
            if not any(all(l.get(k) == v for k, v in sel.items()) for l, _ in pods):
                problems.add(where, "spec.selector", f"selects no pod template in these manifests ({sel})")
        if kind == "PodDisruptionBudget":
            sel = (spec.get("selector") or {}).get("matchLabels") or {}
            if not any(all(l.get(k) == v for k, v in sel.items()) for l, _ in pods):
                problems.add(where, "spec.selector.matchLabels", f"selects no pod template in these manifests ({sel})")
        if kind in ("HorizontalPodAutoscaler", "ScaledObject"):
            ref = spec.get("scaleTargetRef") or {}
            target_kind = ref.get("kind", "Deployment")
            if ref.get("name") and (target_kind, ref.get("name")) not in by_kind_name:
                problems.add(where, "spec.scaleTargetRef.name", f"{target_kind} {ref.get('name')!r} is not in these manifests")
        if kind == "ScaledObject":
            for ti, t in enumerate(spec.get("triggers") or []):
                md = t.get("metadata") or {}
                if t.get("type") == "kafka":
                    for req in ("bootstrapServers", "consumerGroup", "lagThreshold"):
                        if not md.get(req):
                            problems.add(where, f"spec.triggers[{ti}].metadata.{req}", "required by KEDA's Kafka scaler")
                    lag = md.get("lagThreshold")
                    if lag is not None and not re.fullmatch(r"[1-9]\d*", str(lag)):
                        problems.add(where, f"spec.triggers[{ti}].metadata.lagThreshold", f"{lag!r} is not a positive integer")
                auth = (t.get("authenticationRef") or {}).get("name")
                if auth and ("TriggerAuthentication", auth) not in by_kind_name:
                    problems.add(where, f"spec.triggers[{ti}].authenticationRef.name", f"TriggerAuthentication {auth!r} is not in these manifests")
        pod, base = pod_spec_of(o)
        if isinstance(pod, dict):
            for vi, v in enumerate(pod.get("volumes") or []):
                if not isinstance(v, dict):
                    continue
                cm = (v.get("configMap") or {}).get("name")
                if cm and ("ConfigMap", cm) not in by_kind_name:
                    problems.add(where, f"{base}.volumes[{vi}].configMap.name", f"ConfigMap {cm!r} is not in these manifests")
                if cm and ("ConfigMap", cm) in by_kind_name:
                    data = by_kind_name[("ConfigMap", cm)].get("data") or {}
                    for ii, item in enumerate((v.get("configMap") or {}).get("items") or []):
                        if item.get("key") not in data:
                            problems.add(where, f"{base}.volumes[{vi}].configMap.items[{ii}].key", f"ConfigMap {cm!r} has no key {item.get('key')!r}")
            mounts = {v.get("name") for v in (pod.get("volumes") or []) if isinstance(v, dict)}
            for group in ("initContainers", "containers"):
                for ci, c in enumerate(pod.get(group) or []):
                    for mi, m in enumerate((c or {}).get("volumeMounts") or []):
                        if isinstance(m, dict) and m.get("name") not in mounts:
                            problems.add(where, f"{base}.{group}[{ci}].volumeMounts[{mi}].name", f"no volume named {m.get('name')!r}")
                    for ei, e in enumerate((c or {}).get("envFrom") or []):
                        ref = (e or {}).get("configMapRef") or {}
                        if ref.get("name") and ("ConfigMap", ref["name"]) not in by_kind_name and not ref.get("optional"):
                            problems.add(where, f"{base}.{group}[{ci}].envFrom[{ei}].configMapRef.name", f"ConfigMap {ref['name']!r} is not in these manifests")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--k8s-version", default="1.33.0")
    ap.add_argument("--crds", action="append", default=[], help="directory of CustomResourceDefinition YAML files")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    builtin = BuiltinSchemas(args.k8s_version)
    crds = CrdSchemas(args.crds)
    problems = Problems()
    counts: dict[str, int] = {}
    for path in args.files:
        objects: list[tuple[str, dict]] = []
        for source, _, obj in split_documents(path):
            if isinstance(obj, yaml.YAMLError):
                problems.add(source, "(yaml)", f"not valid YAML: {obj}")
                continue
            if not isinstance(obj, dict):
                problems.add(source, "(root)", "a manifest must be a mapping")
                continue
            kind, api = obj.get("kind"), obj.get("apiVersion")
            name = (obj.get("metadata") or {}).get("name", "?")
            where = f"{source} {kind}/{name}"
            if not isinstance(kind, str) or not isinstance(api, str):
                problems.add(where, "apiVersion/kind", "both are required")
                continue
            validator = crds.validator(api, kind) or builtin.validator(api, kind)
            if validator is None:
                what = "its CustomResourceDefinition has no such version" if crds.knows_group(api) else "no schema (not a Kubernetes kind, and no CRD given for it)"
                problems.add(where, "apiVersion", f"{api} {kind}: {what}")
                continue
            for field, message in schema_errors(validator, obj):
                problems.add(where, field, message)
            semantic_checks(obj, where, problems)
            objects.append((where, obj))
            counts[kind] = counts.get(kind, 0) + 1
        cross_checks(objects, problems)
    for line in problems.items:
        print(line)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    if problems.items:
        print(f"FAILED: {len(problems.items)} problem(s) in {sum(counts.values())} manifests (Kubernetes {builtin.version} schemas)", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"ok: {sum(counts.values())} manifests valid against Kubernetes {builtin.version} and the CRDs given ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
