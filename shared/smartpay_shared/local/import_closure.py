"""Which of the project's modules a Lambda handler can reach, read from the source (no import is run).

Every `import` and `from ... import` anywhere in a module counts (at the top, or inside a function: the
serving code imports many things lazily), except under `if TYPE_CHECKING:`. A `from a import b` reaches
the module `a.b` when there is one. Dynamic imports (`importlib.import_module("...")`) are not seen: a
package lists such modules itself (manifest `lambda_package.include`)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Closure:
    modules: dict[str, Path] = field(default_factory=dict)  # module name -> its file
    via: dict[str, str] = field(default_factory=dict)  # module -> the module that first imported it
    external: dict[str, set[str]] = field(default_factory=dict)  # top-level name outside the project -> importers

    def chain(self, module: str) -> list[str]:
        """How `module` was reached: [handler module, ..., module]."""
        out = [module]
        while out[-1] in self.via:
            out.append(self.via[out[-1]])
        return out[::-1]


def module_file(name: str, roots: Mapping[str, Path]) -> Path | None:
    """The file of module `name` if it is one of the project's (roots: top-level package -> its directory)."""
    top, *rest = name.split(".")
    if top not in roots:
        return None
    base = roots[top].joinpath(*rest)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_names(source: str, module: str, is_package: bool) -> set[str]:
    """Absolute names a module's source imports (for `from a import b`: both `a` and `a.b`)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against this module's package
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return {n for n in names if n}


def closure(entry_modules: Iterable[str], roots: Mapping[str, Path]) -> Closure:
    """The project's modules reachable from `entry_modules`, with every package on the way (its
    `__init__` runs on import), and the outside top-level names they import."""
    result = Closure()
    pending = list(entry_modules)
    while pending:
        name = pending.pop()
        if name in result.modules:
            continue
        path = module_file(name, roots)
        if path is None:
            raise FileNotFoundError(f"{name} is not a module of the project (roots: {sorted(roots)})")
        result.modules[name] = path
        parts = name.split(".")
        parents = [".".join(parts[:i]) for i in range(1, len(parts))]
        for found in sorted(imported_names(path.read_text(), name, path.name == "__init__.py")) + parents:
            if module_file(found, roots) is not None:
                if found not in result.modules and found not in pending:
                    result.via.setdefault(found, name)
                    pending.append(found)
            elif found.split(".")[0] not in roots:
                result.external.setdefault(found.split(".")[0], set()).add(name)
    return result
