#!/usr/bin/env python3
"""Fails when source files of a crate import each other in a cycle.

A file imports another when it names a path into it: `crate::a::b`,
`super::x`, `self::y` (in `use` lines or inline). Declaring a child module
(`mod x;`) is not an import. Each crate's `src/` is read on its own; prints
every cycle and exits 1 when there is one.

    scripts/import-cycles.py [CRATE_DIR...]   (default: the workspace members)
"""
import re
import sys
from pathlib import Path

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\}", re.S)
COMMENT = re.compile(r"//[^\n]*")


def module_of(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def resolve(base: tuple, root: str, rest: list, modules: dict, is_mod_file: bool):
    """The module file a path lands in: its longest prefix that is a module."""
    if root == "crate":
        here = ()
    elif root == "super":
        # In `a/b.rs` (module a::b) super is `a`; in `a/mod.rs` (module a) too: its parent.
        here = base[:-1]
    else:
        here = base
    path = list(here)
    while rest and rest[0] == "super":
        path = path[:-1]
        rest = rest[1:]
    best = tuple(path) if tuple(path) in modules else None
    for name in rest:
        path.append(name)
        if tuple(path) in modules:
            best = tuple(path)
        else:
            break
    return best


def edges_of(src: Path):
    files = [f for f in src.rglob("*.rs")]
    modules = {module_of(src, f): f for f in files}
    edges = {m: set() for m in modules}
    for module, file in modules.items():
        text = COMMENT.sub("", file.read_text())
        is_mod_file = file.name in ("mod.rs", "lib.rs", "main.rs")
        found = []
        for root, tail in PATH.findall(text):
            found.append((root, tail.strip(":").split("::")))
        for root, prefix, group in USE_GROUP.findall(text):
            head = [p for p in prefix.strip(":").split("::") if p]
            for item in re.split(r"[,\s]+", group):
                item = item.split(" as ")[0].strip()
                if item and item != "self" and re.match(r"^[A-Za-z_]", item):
                    found.append((root, head + item.split("::")))
        for root, rest in found:
            target = resolve(module, root, [r for r in rest if r], modules, is_mod_file)
            # A file's own child (its `tests` module, say) importing back is the
            # same file's business only when the child is inline; a parent naming
            # its children's items is the usual re-export, not a cycle by itself.
            if target is not None and target != module:
                edges[module].add(target)
    return modules, edges


def cycles(edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    return out


def main():
    root = Path(__file__).resolve().parent.parent
    crates = [Path(a) for a in sys.argv[1:]] or [root / c for c in ("shared", "auth-service", "items-service")]
    failed = False
    for crate in crates:
        modules, edges = edges_of(crate / "src")
        for component in cycles(edges):
            failed = True
            names = sorted(str(modules[m].relative_to(crate.parent)) for m in component)
            print(f"import cycle in {crate.name}: " + " <-> ".join(names))
    if not failed:
        print("no import cycles")
    sys.exit(1 if failed else 0)


main()
