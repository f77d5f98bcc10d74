#!/usr/bin/env python3
"""Validates a Compose file offline, the way `docker compose config` would load it.

1. Interpolation of ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error},
   ${VAR:+alt}, ${VAR+alt}, $VAR and $$ in every string value, from the environment given
   (a missing required variable is an error, as in Compose).
2. The result against the Compose Specification JSON schema (compose-spec.json of compose-go).
3. What the schema cannot say: depends_on and volumes naming things that exist, services
   depending on a service that only runs under a profile they do not share, build contexts and
   Dockerfiles that exist.

Usage: validate_compose.py --schema compose-spec.json [--env KEY=VALUE …] [--env-file F] FILE …
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any

import jsonschema
import yaml

NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class InterpolationError(Exception):
    pass


def interpolate(text: str, env: dict[str, str], path: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "$":
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            end = matching_brace(text, i + 1)
            if end < 0:
                raise InterpolationError(f"{path}: invalid interpolation format for {text!r}: no closing brace")
            out.append(substitute(text[i + 2 : end], env, path, text))
            i = end + 1
        else:
            m = re.match(NAME, text[i + 1 :])
            if m:
                out.append(env.get(m.group(0), ""))
                i += 1 + m.end(0)
            else:
                raise InterpolationError(f"{path}: invalid interpolation format for {text!r}: a '$' must be followed by a name, '{{' or '$'")
    return "".join(out)


def matching_brace(text: str, open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def substitute(expr: str, env: dict[str, str], path: str, whole: str) -> str:
    m = re.match(rf"^({NAME})(?:(:?[-?+])(.*))?$", expr, re.S)
    if not m:
        raise InterpolationError(f"{path}: invalid interpolation format for {whole!r}: ${{{expr}}}")
    name, op, arg = m.group(1), m.group(2), m.group(3) or ""
    value = env.get(name)
    if op is None:
        return value or ""
    colon = op.startswith(":")
    unset = value is None or (colon and value == "")
    kind = op[-1]
    if kind == "-":
        return interpolate(arg, env, path) if unset else value  # type: ignore[return-value]
    if kind == "+":
        return "" if unset else interpolate(arg, env, path)
    # "?": required
    if unset:
        message = interpolate(arg, env, path) if arg else ""
        raise InterpolationError(f"{path}: required variable {name} is missing a value{': ' + message if message else ''}")
    return value  # type: ignore[return-value]


def interpolate_tree(node: Any, env: dict[str, str], path: str, errors: list[str]) -> Any:
    if isinstance(node, dict):
        return {k: interpolate_tree(v, env, f"{path}.{k}" if path else str(k), errors) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(v, env, f"{path}[{i}]", errors) for i, v in enumerate(node)]
    if isinstance(node, str):
        try:
            return interpolate(node, env, path)
        except InterpolationError as e:
            errors.append(str(e))
            return node
    return node


def unknown_keys(instance: dict, schema: dict, root: dict) -> list[str]:
    known: set[str] = set()
    patterns: list[re.Pattern] = []

    def collect(node: dict, depth: int = 0) -> None:
        if depth > 10 or not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            collect(target, depth + 1)
        known.update((node.get("properties") or {}).keys())
        patterns.extend(re.compile(p) for p in (node.get("patternProperties") or {}).keys())
        for sub in node.get("allOf") or []:
            collect(sub, depth + 1)

    collect(schema)
    return [k for k in instance if k not in known and not any(p.search(str(k)) for p in patterns)]


def fmt_path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(root)"


def semantic_errors(doc: dict, base_dir: str) -> list[str]:
    errs: list[str] = []
    services = doc.get("services") or {}
    volumes = doc.get("volumes") or {}
    networks = doc.get("networks") or {}
    for name, svc in services.items():
        if not isinstance(svc, dict):
            continue
        profiles = set(svc.get("profiles") or [])
        deps = svc.get("depends_on") or {}
        for dep in deps if isinstance(deps, (list, dict)) else []:
            if dep not in services:
                errs.append(f"services.{name}.depends_on: service {dep!r} is not defined")
                continue
            dep_profiles = set((services[dep] or {}).get("profiles") or [])
            if dep_profiles and not (profiles & dep_profiles):
                errs.append(f"services.{name}.depends_on.{dep}: {dep!r} only runs with profile(s) {sorted(dep_profiles)}, which {name!r} does not have")
        for i, v in enumerate(svc.get("volumes") or []):
            source = v.split(":", 1)[0] if isinstance(v, str) and ":" in v else (v.get("source") if isinstance(v, dict) and v.get("type", "volume") == "volume" else None)
            if source and not source.startswith((".", "/", "~", "$")) and source not in volumes:
                errs.append(f"services.{name}.volumes[{i}]: volume {source!r} is not declared under the top-level volumes")
        nets = svc.get("networks") or []
        for net in nets if isinstance(nets, (list, dict)) else []:
            if net != "default" and net not in networks:
                errs.append(f"services.{name}.networks: network {net!r} is not declared under the top-level networks")
        build = svc.get("build")
        if build is not None:
            ctx = build if isinstance(build, str) else build.get("context", ".")
            ctx_dir = os.path.normpath(os.path.join(base_dir, ctx))
            if "://" not in ctx and not os.path.isdir(ctx_dir):
                errs.append(f"services.{name}.build.context: {ctx!r} is not a directory")
            elif "://" not in ctx:
                dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
                if not os.path.isfile(os.path.join(ctx_dir, dockerfile)):
                    errs.append(f"services.{name}.build.dockerfile: {dockerfile!r} not found in {ctx!r}")
        if "image" not in svc and build is None:
            errs.append(f"services.{name}: has neither image nor build")
    return errs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schema", required=True)
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for interpolation")
    ap.add_argument("--env-file", action="append", default=[])
    ap.add_argument("--inherit-env", action="store_true", help="also interpolate from this process's environment")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    env: dict[str, str] = dict(os.environ) if args.inherit_env else {}
    for f in args.env_file:
        with open(f) as fh:
            for line in fh:
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    k, v = line.split("=", 1)
                    env[k.strip()] = v.strip().strip('"').strip("'")
    for kv in args.env:
        k, _, v = kv.partition("=")
        env[k] = v

    with open(args.schema) as fh:
        schema = json.load(fh)
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema)

    failed = False
    for path in args.files:
        problems: list[str] = []
        try:
            with open(path) as fh:
                raw = yaml.safe_load(fh)
        except yaml.YAMLError as e:
            problems.append(f"not valid YAML: {e}")
            raw = None
        if raw is not None and not isinstance(raw, dict):
            problems.append("a Compose file must be a mapping")
        elif isinstance(raw, dict):
            doc = interpolate_tree(raw, env, "", problems)
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
                if e.validator in ("unevaluatedProperties", "additionalProperties") and isinstance(e.instance, dict):
                    # Draft 2020-12 also calls known keys "unevaluated" when their value is invalid
                    # (reported on its own); name only the keys the schema does not know.
                    unknown = unknown_keys(e.instance, e.schema, schema)
                    if not unknown:
                        continue
                    problems.append(f"{fmt_path(e.absolute_path)}: unknown key(s) {', '.join(map(repr, unknown))}")
                    continue
                best = jsonschema.exceptions.best_match(e.context) if e.context else None
                msg = e.message if best is None else f"{e.message} ({best.message})"
                problems.append(f"{fmt_path(e.absolute_path)}: {msg}")
            problems += semantic_errors(doc, os.path.dirname(os.path.abspath(path)))
            if not problems:
                services = doc.get("services") or {}
                profiled = sorted(n for n, s in services.items() if (s or {}).get("profiles"))
                print(f"ok: {path}: {len(services)} services valid against the Compose Specification"
                      + (f" (profiles: {', '.join(profiled)})" if profiled else ""))
        for p in problems:
            print(f"ERROR {path}: {p}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
