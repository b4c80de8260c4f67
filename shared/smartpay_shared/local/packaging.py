"""Self-contained Lambda artifacts (`make package`; docs/terraform.md, "Packages").

One artifact per service, run by each of its functions (worker, API, extra handlers) with its own handler:
- third-party code: smartpay-shared's dependencies plus the manifest's `lambda_package.requirements`,
  installed by pip from wheels for the Lambda platform (x86_64, CPython 3.11, `--only-binary=:all:`),
  every version pinned by requirements/constraints.txt (an installed distribution without a pin, or with
  another version, fails the build). The wheels are cached under `.local/package/wheels`.
- the project's code: the modules the handlers reach (smartpay_shared.local.import_closure), so no local
  stack, CLI, test support, sandbox or training code; a reached module of those fails the build.
- `Zip`: the python3.11 managed runtime runs on Amazon Linux 2 (glibc 2.26), so only wheels tagged up to
  manylinux_2_26 (manylinux2014 and older) are taken, and the unzipped size must stay under Lambda's 250 MB.
  `Image`: a container image on Amazon Linux 2023 (glibc 2.34) with Python 3.11 and the runtime interface
  client, for wheels that need glibc 2.27+ or a bigger package. Its Dockerfile is written into the package
  (`package/Dockerfile`), which is the image's whole build context: the zip holds exactly the image's
  /var/task, Dockerfile included, so the zip's sha256 (the image tag Terraform computes, modules/service/
  image.tf) changes when the code, a dependency or the Dockerfile changes.

Writes, under the output directory: `<service>/package/` (the unpacked content; for an Image also its
Dockerfile, the image's build context), `<service>.zip` (deterministic: fixed timestamps and order), and
`packages.json` (sizes, distributions, handlers)."""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib.metadata import Distribution
from pathlib import Path
from typing import Any

from smartpay_shared.local.import_closure import closure
from smartpay_shared.manifest import Manifest, all_manifests, load_manifest, repo_root

PYTHON_VERSION = "3.11"
MB = 1024 * 1024
UNZIPPED_LIMIT = 250 * MB  # Lambda: function code + layers, unzipped (a container image may hold 10 GB)
DIRECT_UPLOAD_LIMIT = 50 * MB  # Lambda: a zip passed in CreateFunction/UpdateFunctionCode; larger through S3
GLIBC = {"Zip": 26, "Image": 34}  # Amazon Linux 2 (python3.11 runtime), Amazon Linux 2023 (the image)
LEGACY_TAGS = {5: "manylinux1", 12: "manylinux2010", 17: "manylinux2014"}
IMAGE_BASE = "public.ecr.aws/lambda/provided:al2023"
# Never in a function, whatever reaches them: the local stack, the operator CLI, test support, sandboxes.
FORBIDDEN = re.compile(r"^smartpay_shared\.(local|cli|testing|ops)(\.|$)|^smartpay_\w+\.(testing|sandbox)(\.|$)"
                       r"|^smartpay_\w+\.entrypoints\.cli")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class PackageError(RuntimeError):
    pass


def platforms(package_type: str) -> list[str]:
    """pip `--platform` tags a runtime accepts: every manylinux_2_N up to its glibc, and the legacy names."""
    out = []
    for minor in range(GLIBC[package_type], 4, -1):
        out.append(f"manylinux_2_{minor}_x86_64")
        if minor in LEGACY_TAGS:
            out.append(f"{LEGACY_TAGS[minor]}_x86_64")
    return out


def constraints(root: Path) -> dict[str, str]:
    """requirements/constraints.txt as normalized name -> version."""
    pins = {}
    for line in (root / "requirements" / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, _, version = line.partition("==")
            pins[_normalize(name)] = version.strip()
    return pins


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(manifest: Manifest, root: Path) -> list[str]:
    """What pip installs for a service: smartpay-shared's own dependencies (its Lambda runtime), the
    manifest's list, and for an image the runtime interface client (its entrypoint)."""
    shared = tomllib.loads((root / "shared" / "pyproject.toml").read_text())["project"]["dependencies"]
    package = manifest.lambda_package
    if package is None:
        raise PackageError(f"{manifest.service}: no lambda_package in its manifest.json")
    extra = ["awslambdaric"] if package.package_type == "Image" else []
    return [*shared, *package.requirements, *extra]


@dataclass
class Built:
    service: str
    package_type: str
    handlers: dict[str, str]
    zip_path: str
    zip_bytes: int
    unzipped_bytes: int
    files: int
    platforms: list[str]
    distributions: dict[str, str]  # name -> version, as installed
    largest: dict[str, int]  # the ten largest top-level entries of the package, bytes
    not_shipped: dict[str, str] = field(default_factory=dict)

    @property
    def fits_zip(self) -> bool:
        return self.unzipped_bytes < UNZIPPED_LIMIT


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held by one download into the cache at a time
        yield


def _pip(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check"],
                          capture_output=True, text=True)


def install(reqs: list[str], package_type: str, target: Path, wheels: Path, root: Path) -> None:
    """pip-install `reqs` for the Lambda platform into `target`, from the wheel cache; whatever the cache
    lacks is downloaded into it first (the only step that needs the package index)."""
    tags = [arg for tag in platforms(package_type) for arg in ("--platform", tag)]
    common = [*tags, "--implementation", "cp", "--python-version", PYTHON_VERSION, "--only-binary=:all:",
              "-c", str(root / "requirements" / "constraints.txt"), *reqs]
    offline = ["install", "--no-index", "--find-links", str(wheels), "--target", str(target), "--no-compile",
               "--quiet", *common]
    wheels.mkdir(parents=True, exist_ok=True)
    done = _pip(offline)
    if done.returncode != 0:
        with _locked(wheels / ".lock"):  # one download at a time into the cache (builds and test runs share it)
            fetched = _pip(["download", "--dest", str(wheels), "--quiet", *common])
        if fetched.returncode != 0:
            raise PackageError(f"pip download for {package_type} ({', '.join(platforms(package_type)[:3])}, ...) "
                               f"failed:\n{fetched.stderr[-4000:]}")
        shutil.rmtree(target, ignore_errors=True)
        done = _pip(offline)
    if done.returncode != 0:
        raise PackageError(f"pip install into {target} failed:\n{done.stderr[-4000:]}")
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts, pointing at this machine's python


def installed(target: Path) -> dict[str, str]:
    return {Distribution.at(p).metadata["Name"]: Distribution.at(p).version for p in target.glob("*.dist-info")}


def check_pins(found: dict[str, str], pins: dict[str, str]) -> None:
    wrong = {name: version for name, version in found.items()
             if not name.startswith("smartpay-") and pins.get(_normalize(name)) != version}
    if wrong:
        raise PackageError("installed without the pin of requirements/constraints.txt (add or fix it): "
                           + ", ".join(f"{n}=={v} (pinned: {pins.get(_normalize(n), 'none')})" for n, v in sorted(wrong.items())))


def copy_code(manifest: Manifest, root: Path, target: Path) -> dict[str, list[str]]:
    """Copy the modules the handlers reach (and the data files of their packages) with a minimal dist-info
    per project distribution (importlib.metadata.version() works). Returns outside imports -> importers."""
    service_dir = root / "services" / manifest.service
    roots = {"smartpay_shared": root / "shared" / "smartpay_shared", manifest.package: service_dir / manifest.package}
    reached = closure([ref.partition(":")[0] for ref in manifest.handlers.values()], roots)
    forbidden = [reached.chain(name) for name in reached.modules if FORBIDDEN.search(name)]
    if forbidden:
        raise PackageError(f"{manifest.service}: the handlers reach code that never ships: "
                           + "; ".join(" -> ".join(chain) for chain in forbidden))
    packages = set()
    for name, path in reached.modules.items():
        top = name.split(".")[0]
        dest = target / top / path.relative_to(roots[top])
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        packages.add(path.parent)
    for directory in packages:  # data files beside the code (catalog.yaml, py.typed, schemas)
        for data in directory.iterdir():
            if data.is_file() and data.suffix not in (".py", ".pyc"):
                top = next(t for t, r in roots.items() if directory.is_relative_to(r))
                shutil.copyfile(data, target / top / data.relative_to(roots[top]))
    for dist, version_file in ((_dist_name(service_dir), service_dir / "VERSION"),
                               ("smartpay-shared", root / "shared" / "VERSION")):
        version = version_file.read_text().strip()
        info = target / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    return {name: sorted(importers) for name, importers in reached.external.items()}


def _dist_name(service_dir: Path) -> str:
    return tomllib.loads((service_dir / "pyproject.toml").read_text())["project"]["name"]


def unsatisfied(external: dict[str, list[str]], target: Path) -> dict[str, list[str]]:
    """Outside top-level modules the packaged code imports that neither the package nor the standard
    library provides."""
    provided = {p.name.split(".")[0] for p in target.iterdir() if not p.name.endswith((".dist-info", ".libs"))}
    return {name: importers for name, importers in external.items()
            if name not in provided and name not in sys.stdlib_module_names}


def write_zip(source: Path, target: Path) -> None:
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=_ZIP_EPOCH)
            info.external_attr = (0o755 if path.stat().st_mode & 0o111 else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                zf.writestr(info, f.read())
    partial.replace(target)


def dockerfile(manifest: Manifest) -> str:
    worker = manifest.queue_handler.replace(":", ".")
    others = ", ".join(f"{kind} {ref.replace(':', '.')}" for kind, ref in manifest.handlers.items() if kind != "worker")
    return f"""# Generated by `make package` (smartpay_shared.local.packaging): the {manifest.service} functions' image.
# Amazon Linux 2023 (glibc 2.34), because the python3.11 base image is Amazon Linux 2 (glibc 2.26) and this
# package's wheels need a newer glibc. The build context is this directory, the unpacked zip (this file included):
# docker build --platform linux/amd64 --provenance=false -t <repo>:<sha256 of the zip> .
# The worker's handler is the default command; every other function sets its own command
# (Terraform: image_config.command): {others}.
# The base tag floats (not pinned by digest: docs/terraform.md, "Pushing the images").
FROM {IMAGE_BASE}
RUN dnf install -y python3.11 && dnf clean all
COPY . /var/task/
WORKDIR /var/task
ENV PYTHONPATH=/var/task
ENTRYPOINT ["/usr/bin/python3.11", "-m", "awslambdaric"]
CMD ["{worker}"]
"""


def _sizes(target: Path) -> tuple[int, int, dict[str, int]]:
    total, files, per_top = 0, 0, {}
    for path in target.rglob("*"):
        if path.is_file():
            size = path.stat().st_size
            total, files = total + size, files + 1
            top = path.relative_to(target).parts[0]
            per_top[top] = per_top.get(top, 0) + size
    largest = dict(sorted(per_top.items(), key=lambda kv: -kv[1])[:10])
    return total, files, largest


def build(service: str, out_dir: Path, wheels: Path | None = None, root: Path | None = None) -> Built:
    root = root or repo_root()
    wheels = wheels or root / ".local" / "package" / "wheels"
    manifest = load_manifest(root / "services" / service)
    package_type = manifest.lambda_package.package_type if manifest.lambda_package else "Zip"
    work = out_dir / service
    shutil.rmtree(work, ignore_errors=True)
    target = work / "package"
    target.mkdir(parents=True)
    install(requirements(manifest, root), package_type, target, wheels, root)
    distributions = installed(target)
    check_pins(distributions, constraints(root))
    external = copy_code(manifest, root, target)
    declared = manifest.lambda_package.not_shipped if manifest.lambda_package else {}
    missing = {k: v for k, v in unsatisfied(external, target).items() if k not in declared}
    if missing:
        raise PackageError(f"{service}: the packaged code imports what the package lacks (add it to "
                           f"lambda_package.requirements, or to not_shipped with the reason): {missing}")
    if package_type == "Image":  # inside the package: part of the zip, so of the image tag (its sha256)
        (target / "Dockerfile").write_text(dockerfile(manifest))
    unzipped, files, largest = _sizes(target)
    if package_type == "Zip" and unzipped >= UNZIPPED_LIMIT:
        raise PackageError(f"{service}: {unzipped / MB:.1f} MB unzipped, over Lambda's 250 MB: "
                           "make it package_type Image, or slim its requirements")
    zip_path = out_dir / f"{service}.zip"
    write_zip(target, zip_path)
    return Built(service, package_type, manifest.handlers, str(zip_path), zip_path.stat().st_size, unzipped, files,
                 platforms(package_type), distributions, largest, dict(declared))


def build_all(out_dir: Path, services: Iterable[str] | None = None, wheels: Path | None = None) -> dict[str, Built]:
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(services or sorted(all_manifests()))
    with ThreadPoolExecutor(max_workers=2) as pool:  # pip and zlib run outside the GIL
        built = dict(zip(names, pool.map(lambda s: build(s, out_dir, wheels), names)))
    record = {s: {**asdict(b), "fits_zip": b.fits_zip} for s, b in built.items()}
    (out_dir / "packages.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return built


def summary(built: dict[str, Built]) -> dict[str, Any]:
    """The committed record (docs/lambda-packages.json): per function, its artifact and sizes in MB."""
    out: dict[str, Any] = {}
    for service, b in sorted(built.items()):
        for kind, handler in b.handlers.items():
            out[f"{service}-{kind}"] = {
                "handler": handler, "artifact": f"{service}.zip", "package_type": b.package_type,
                "zip_mb": round(b.zip_bytes / MB, 1), "unzipped_mb": round(b.unzipped_bytes / MB, 1),
                "under_250_mb_unzipped": b.fits_zip, "zip_over_50_mb_direct_upload": b.zip_bytes > DIRECT_UPLOAD_LIMIT,
                "glibc_max": f"2.{GLIBC[b.package_type]}", "largest_mb": {k: round(v / MB, 1) for k, v in b.largest.items()
                                                                            if v >= MB}}
    return out


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m smartpay_shared.local.packaging")
    parser.add_argument("services", nargs="*", help="default: all")
    parser.add_argument("--out", type=Path, default=None, help="default: <repo>/.local/build/package")
    parser.add_argument("--record", action="store_true",
                        help="also write docs/lambda-packages.json and the table in docs/terraform.md")
    args = parser.parse_args(argv)
    root = repo_root()
    built = build_all(args.out or root / ".local" / "build" / "package", args.services or None)
    for s, b in built.items():
        print(f"{s:8} {b.package_type:5} zip {b.zip_bytes / MB:7.1f} MB  unzipped {b.unzipped_bytes / MB:7.1f} MB  "
              f"{b.files} files  {b.zip_path}")
    if args.record:
        from smartpay_shared.local import package_docs

        package_docs.record(summary(built), root)


if __name__ == "__main__":
    main()
