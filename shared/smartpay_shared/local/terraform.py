"""Terraform for the local stack: install the offline toolchain, build the Lambda zips, apply
infra/terraform (platform root, then one root per service) with one state file per root."""

from __future__ import annotations

import collections
import contextlib
import fcntl
import hashlib
import json
import re
import os
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from smartpay_shared.manifest import repo_root as _find_repo_root

SERVICES = ("fraud", "routing", "payment", "chat", "webhooks", "rewards")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: same sources, same zip, same source_code_hash


class TerraformError(RuntimeError):
    pass


def ensure_toolchain(repo_root: Path | None = None) -> dict[str, str]:
    """Set up the toolchain if needed (scripts/install-terraform.sh: this machine kind's Terraform and its
    hashicorp/aws 5.100.0 mirror); return the env to run it with. Raises TerraformError, with the
    installer's reason, where either is missing."""
    root = repo_root or _find_repo_root()
    toolchain = Path(os.environ.get("SMARTPAY_TOOLCHAIN_DIR", root / ".local" / "toolchain"))
    link, rc = toolchain / "bin" / "terraform", toolchain / "terraformrc"
    if not (link.is_symlink() and link.exists() and rc.exists()):  # the 3.39 shim was a file
        proc = subprocess.run(["bash", str(root / "scripts" / "install-terraform.sh")], capture_output=True, text=True,
                              env={**os.environ, "SMARTPAY_TOOLCHAIN_DIR": str(toolchain)})
        if proc.returncode != 0:
            raise TerraformError(f"no Terraform toolchain:\n{proc.stderr.strip()}")
    env = dict(os.environ)
    env.update({
        "TF_CLI_CONFIG_FILE": str(rc),  # this machine presets it to a missing file
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "PATH": f"{link.parent}{os.pathsep}{env.get('PATH', '')}",
        "SMARTPAY_TERRAFORM": str(link),  # explicit: an unrelated terraform may sit on PATH
    })
    return env


def emulator_only_env(endpoint_url: str) -> dict[str, str]:
    """Proxy settings under which the provider reaches the emulator and nothing else: every other host goes
    to a closed local port and fails at once, so a service without an endpoint entry in providers.tf stops
    the apply instead of calling AWS. (Go skips proxies for loopback hosts; NO_PROXY covers another host.)"""
    from urllib.parse import urlsplit

    closed = "http://127.0.0.1:9"  # discard port: nothing listens there
    host = urlsplit(endpoint_url).hostname or "127.0.0.1"
    return {"HTTPS_PROXY": closed, "HTTP_PROXY": closed, "https_proxy": closed, "http_proxy": closed,
            "NO_PROXY": host, "no_proxy": host}


def build_lambda_zip(service: str, out_dir: Path, repo_root: Path | None = None) -> Path:
    """Zip the service package and smartpay_shared, with dist-info so importlib.metadata.version()
    works in Lambda. Third-party dependencies come from a layer (docs/terraform.md)."""
    root = repo_root or _find_repo_root()
    service_dir = root / "services" / service
    manifest = json.loads((service_dir / "manifest.json").read_text())
    parts = [
        (service_dir / manifest["package"], _dist_name(service_dir), (service_dir / "VERSION").read_text().strip()),
        (root / "shared" / "smartpay_shared", "smartpay-shared", (root / "shared" / "VERSION").read_text().strip()),
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{service}.zip"
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for package_dir, dist, version in parts:
            for path in sorted(package_dir.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                    _add(zf, f"{package_dir.name}/{path.relative_to(package_dir).as_posix()}", path.read_bytes())
            info = f"{dist.replace('-', '_')}-{version}.dist-info"
            _add(zf, f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode())
    partial.replace(target)
    return target


def _dist_name(service_dir: Path) -> str:
    return tomllib.loads((service_dir / "pyproject.toml").read_text())["project"]["name"]


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


# The source snippet of an error block: "with <address>,", "on <file> line N, in ...:", "  40: <source line>"
_SNIPPET = re.compile(r"^(with \S+,|on \S+ line \d+|\d+: )")
_MAX_REASON = 2000  # characters of Terraform's error blocks kept in the exception (a summary line, not a log)


def error_blocks(lines: list[str]) -> str:
    """Terraform's `Error: ...` blocks in its output, each on one line, joined: what a failed run reports where it
    is seen (a CI's short summary shows the exception's message, not the streamed log). With `-no-color` (every
    run here) a block is its summary line, a blank line, the `on <file> line N` snippet and the detail: it runs to
    the next `Error:` / `Warning:` or the end, without the snippet; a boxed block (colour) likewise, without `│`."""
    blocks: list[list[str]] = []
    block: list[str] | None = None
    for line in lines:
        text = line.strip().strip("│╷╵").strip()
        if text.startswith("Error:"):
            block = [text]
            blocks.append(block)
        elif text.startswith("Warning:"):
            block = None
        elif block is not None and text and not _SNIPPET.match(text):
            block.append(text)
    return " | ".join(" ".join(b) for b in blocks)[:_MAX_REASON]


class _Root:
    """One Terraform root and where its state, data dir and run variables live under state_dir."""

    def __init__(self, repo_root: Path, state_dir: Path, service: str | None):
        self.service = service
        self.key = "platform" if service is None else service
        self.path = repo_root / "infra" / "terraform" / ("platform" if service is None else f"services/{service}")
        self.dir = state_dir / self.key
        self.state = self.dir / "terraform.tfstate"
        self.var_file = self.dir / "run.tfvars.json"
        self.caller_vars = self.dir / "caller-variables.json"  # the caller's own, kept for a later plan/destroy


Variables = Mapping[str, Mapping[str, Any]]  # per root ("platform", "fraud", ...): name -> value


class _Stack:
    def __init__(self, endpoint_url: str, state_dir: Path, services: list[str] | None, repo_root: Path | None,
                 variables: Variables | None = None):
        self.variables = variables
        self.repo_root = repo_root or _find_repo_root()
        self.state_dir = Path(state_dir).resolve()
        # The emulator's address reaches the provider as AWS_ENDPOINT_URL, for every service, and the roots
        # write no endpoints block (aws_endpoint_from_environment, write_vars): hashicorp/aws 5.100 spends ~4.5 s
        # of CPU validating a non-empty one, three times per apply. Per-service AWS_ENDPOINT_URL_<SERVICE> from
        # the caller's shell would win over it: dropped. Anything that is not the emulator meets the closed proxy.
        self.env = {k: v for k, v in {**ensure_toolchain(self.repo_root), **emulator_only_env(endpoint_url)}.items()
                    if not k.startswith("AWS_ENDPOINT_URL")}
        self.env["AWS_ENDPOINT_URL"] = endpoint_url
        self.platform = _Root(self.repo_root, self.state_dir, None)
        self.services = [_Root(self.repo_root, self.state_dir, s) for s in (services or SERVICES)]

    def run(self, root: _Root, *args: str, ok_codes: tuple[int, ...] = (0,)) -> int:
        """Run terraform in a root, streaming its output line by line to stdout."""
        env = {**self.env, "TF_DATA_DIR": str(root.dir / ".terraform")}
        cmd = [self.env["SMARTPAY_TERRAFORM"], f"-chdir={root.path}", *args]
        print(f"[terraform {root.key}] $ terraform {' '.join(cmd[1:])}", flush=True)
        tail: collections.deque[str] = collections.deque(maxlen=400)  # where its "Error:" blocks are
        with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                sys.stdout.write(f"[terraform {root.key}] {line}")
                tail.append(line)
            sys.stdout.flush()
        if proc.returncode not in ok_codes:
            why = error_blocks(list(tail))
            raise TerraformError(f"terraform {args[0]} failed in {root.path} (exit {proc.returncode})"
                                 + (f": {why}" if why else ""))
        return proc.returncode

    def init(self, root: _Root) -> None:
        """`init` once per data dir, again only when the configuration's files change."""
        root.dir.mkdir(parents=True, exist_ok=True)
        stamp = root.dir / ".terraform" / "smartpay-init.sha256"
        digest = "\n".join([_tree_digest(self.repo_root / "infra" / "terraform"), str(root.state),
                            self.env["TF_CLI_CONFIG_FILE"]])
        if stamp.exists() and stamp.read_text() == digest and (root.path / ".terraform.lock.hcl").exists():
            return
        with _first_install_lock(self.env["TF_CLI_CONFIG_FILE"]):
            self.run(root, "init", "-input=false", "-no-color", "-reconfigure", f"-backend-config=path={root.state}")
        stamp.write_text(digest)

    def write_vars(self, root: _Root, endpoint_url: str, rebuild_zip: bool = True) -> None:
        """run.tfvars.json: the endpoint, the zip, the platform state, and the caller's variables of this
        root (without any: those of the last run, so a plan or destroy sees what the apply saw)."""
        if self.variables is not None:
            extra = dict(self.variables.get(root.key, {}))
            root.caller_vars.write_text(json.dumps(extra, indent=2))
        else:
            extra = json.loads(root.caller_vars.read_text()) if root.caller_vars.exists() else {}
        variables: dict[str, Any] = {**extra, "aws_endpoint_url": endpoint_url, "aws_endpoint_from_environment": True}
        if root.service:
            zip_path = self.state_dir / "lambda" / f"{root.service}.zip"
            if rebuild_zip or not zip_path.exists():
                zip_path = build_lambda_zip(root.service, zip_path.parent, self.repo_root)
            variables["lambda_zip_path"] = str(zip_path)
            variables["platform_state_config"] = {"path": str(self.platform.state)}
        root.var_file.write_text(json.dumps(variables, indent=2))

    def var_args(self, root: _Root) -> list[str]:
        return ["-var-file=local.tfvars", f"-var-file={root.var_file}"]

    def outputs(self, root: _Root) -> dict[str, Any]:
        env = {**self.env, "TF_DATA_DIR": str(root.dir / ".terraform")}
        raw = subprocess.run([self.env["SMARTPAY_TERRAFORM"], f"-chdir={root.path}", "output", "-json"],
                             env=env, check=True, capture_output=True, text=True).stdout
        return {name: item["value"] for name, item in json.loads(raw).items()}

    def each_service(self, action: Callable[[_Root], Any]) -> list[Any]:
        """Run action on every service root at once: they only share the platform's (read-only)
        state, and a root's critical path is the provider waiting (hashicorp/aws 5.x: ~25 s after each
        queue, DLQ then queue; docs/terraform.md, "Apply time under hashicorp/aws 5.100")."""
        if not self.services:
            return []
        with ThreadPoolExecutor(max_workers=len(self.services)) as pool:
            futures = [pool.submit(action, root) for root in self.services]
        return [future.result() for future in futures]  # re-raises the first failure


def _tree_digest(tf_dir: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(tf_dir.rglob("*.tf")):
        if ".terraform" not in path.parts:
            h.update(str(path.relative_to(tf_dir)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def apply_stack(endpoint_url: str, state_dir: Path, services: list[str] | None = None,
                repo_root: Path | None = None, variables: Variables | None = None) -> dict[str, Any]:
    """Apply the platform root, then the service roots, to the emulator at endpoint_url.
    `variables`: per root, values over local.tfvars (a stack's own Redis and emulator URLs, e.g.
    {"platform": {"redis_url": ...}, "payment": {"stripe_api_base": ...}}); kept for later plans and destroys.
    Returns {"platform": {...outputs}, "services": {name: {...outputs}}}."""
    stack = _Stack(endpoint_url, state_dir, services, repo_root, variables)

    def prepare(root: _Root) -> None:
        stack.init(root)
        stack.write_vars(root, endpoint_url)

    def apply(root: _Root) -> dict[str, Any]:
        stack.run(root, "apply", "-auto-approve", "-input=false", "-no-color", *stack.var_args(root))
        return stack.outputs(root)

    # The service roots' `init` (hashing the 700 MB provider against the lock file) and zips need nothing from
    # the platform's apply: they run while it does.
    with ThreadPoolExecutor(max_workers=1) as pool:
        prepared = pool.submit(stack.each_service, prepare)  # waited for on the way out, also on a failure
        prepare(stack.platform)
        platform = apply(stack.platform)
        prepared.result()
    outputs = stack.each_service(apply)
    return {"platform": platform, "services": {r.key: o for r, o in zip(stack.services, outputs)}}


def plan_is_clean(endpoint_url: str, state_dir: Path, services: list[str] | None = None,
                  repo_root: Path | None = None, rebuild_lambda_zips: bool = True,
                  variables: Variables | None = None) -> bool:
    """True when a fresh plan of every root shows no change (-detailed-exitcode 0). With
    rebuild_lambda_zips=False the zips of the last apply are reused, so edited sources do not count.
    Without `variables`, those of the last apply."""
    stack = _Stack(endpoint_url, state_dir, services, repo_root, variables)

    def plan(root: _Root) -> bool:
        stack.init(root)
        stack.write_vars(root, endpoint_url, rebuild_zip=rebuild_lambda_zips)
        code = stack.run(root, "plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false",
                         *stack.var_args(root), ok_codes=(0, 2))
        return code == 0

    return all([plan(stack.platform), *stack.each_service(plan)])


def plan_changes(endpoint_url: str, state_dir: Path, services: list[str] | None = None,
                 repo_root: Path | None = None, variables: Variables | None = None) -> dict[str, list[dict[str, Any]]]:
    """What an apply would do, per root: the `resource_changes` of a saved plan (`terraform show -json`),
    e.g. {"payment": [{"address": ..., "change": {"actions": ["create", "delete"], ...}}, ...]}. Without
    `variables`, those of the last apply. Nothing is applied."""
    stack = _Stack(endpoint_url, state_dir, services, repo_root, variables)

    def changes(root: _Root) -> list[dict[str, Any]]:
        stack.init(root)
        stack.write_vars(root, endpoint_url)
        plan = root.dir / "changes.tfplan"
        stack.run(root, "plan", f"-out={plan}", "-input=false", "-no-color", "-lock=false", *stack.var_args(root))
        env = {**stack.env, "TF_DATA_DIR": str(root.dir / ".terraform")}
        shown = subprocess.run([stack.env["SMARTPAY_TERRAFORM"], f"-chdir={root.path}", "show", "-json", str(plan)],
                               env=env, check=True, capture_output=True, text=True).stdout
        plan.unlink()
        return json.loads(shown).get("resource_changes", [])

    platform = changes(stack.platform)
    return {"platform": platform, **dict(zip([r.key for r in stack.services], stack.each_service(changes)))}


def destroy_stack(endpoint_url: str, state_dir: Path, services: list[str] | None = None,
                  repo_root: Path | None = None) -> None:
    """Destroy the service roots (they read the platform's state), then the platform root."""
    stack = _Stack(endpoint_url, state_dir, services, repo_root)

    def destroy(root: _Root) -> None:
        if not root.state.exists():
            return
        stack.init(root)
        stack.write_vars(root, endpoint_url, rebuild_zip=False)
        # No refresh: nothing but this stack touches the emulator, and it halves the time.
        stack.run(root, "destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false",
                  *stack.var_args(root))

    stack.each_service(destroy)
    destroy(stack.platform)


def main(argv: list[str] | None = None) -> None:
    """`python -m smartpay_shared.local.terraform zip|apply|plan|destroy` for hand use."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m smartpay_shared.local.terraform")
    parser.add_argument("command", choices=["zip", "apply", "plan", "destroy"])
    parser.add_argument("services", nargs="*", help="default: all")
    # No default port: an apply goes to the emulator the caller names, never to another checkout's on :4566.
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL"),
                        help="the emulator; default: $AWS_ENDPOINT_URL (`eval \"$(.venv/bin/smartpay stack env)\"`)")
    parser.add_argument("--state-dir", type=Path, default=None, help="default: <repo>/.local/terraform")
    args = parser.parse_args(argv)
    if args.command != "zip" and not args.endpoint:
        parser.error("which emulator? pass --endpoint or set AWS_ENDPOINT_URL (no default port)")
    root = _find_repo_root()
    services = args.services or None
    if args.command == "zip":  # where the roots' default lambda_zip_path looks
        for service in services or SERVICES:
            print(build_lambda_zip(service, root / ".local" / "build" / "lambda", root))
        return
    state_dir = args.state_dir or root / ".local" / "terraform"
    if args.command == "apply":
        print(json.dumps(apply_stack(args.endpoint, state_dir, services), indent=2))
    elif args.command == "plan":
        sys.exit(0 if plan_is_clean(args.endpoint, state_dir, services) else 2)
    else:
        destroy_stack(args.endpoint, state_dir, services)


def _plugin_cache_dir(rc_file: str) -> Path | None:
    """The CLI config's `plugin_cache_dir` (None without one)."""
    try:
        text = Path(rc_file).read_text()
    except OSError:
        return None
    m = re.search(r'^\s*plugin_cache_dir\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return Path(m.group(1)) if m else None


@contextlib.contextmanager
def _first_install_lock(rc_file: str):
    """Terraform's plugin cache is not safe for concurrent first installs: inits of several roots at once into a
    cache without the provider fail with "failed to create directory ... file exists" (seen on a fresh checkout,
    the stack initialising its roots in parallel). Until one init has succeeded into the cache (a marker written
    under the lock), inits take turns on an exclusive lock in the cache, each re-checking the marker once it holds
    the lock; after that they run at once (a provider directory alone proves nothing: it appears before the
    provider is fully in place)."""
    cache = _plugin_cache_dir(rc_file)
    if cache is None:
        yield
        return
    marker = cache / ".smartpay-installed"
    if marker.exists():
        yield
        return
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".smartpay-first-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
            marker.touch()  # the init succeeded: the provider is in the cache
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


if __name__ == "__main__":
    main()
