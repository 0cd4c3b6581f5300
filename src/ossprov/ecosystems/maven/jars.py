"""What a jar says about its own source: MANIFEST.MF attributes, git.properties, the POM under META-INF/maven,
and which source file each compiled class must come from."""

from __future__ import annotations

import posixpath
import re

from ossprov.model import PackageTree, SourceHint

COMMIT_ATTRIBUTES = ("scm-revision", "implementation-build", "git-commit", "git-commit-id", "git-revision",
                     "build-revision", "implementation-scm-revision", "revision", "source-revision")
URL_ATTRIBUTES = ("scm-url", "scm-connection", "bundle-scm-url", "implementation-scm-url")
HOME_ATTRIBUTES = ("implementation-url", "bundle-docurl")
_SHA = re.compile(r"^[0-9a-f]{7,40}$")
SOURCE_SUFFIXES = (".java", ".kt", ".groovy", ".scala")


def parse_manifest(raw: bytes) -> dict[str, str]:
    """MANIFEST.MF main section (lower-cased names); continuation lines start with one space."""
    lines = raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n").replace("\n ", "")
    out: dict[str, str] = {}
    for line in lines.split("\n"):
        if not line.strip():
            break
        name, sep, value = line.partition(":")
        if sep:
            out.setdefault(name.strip().lower(), value.strip())
    return out


def parse_properties(raw: bytes) -> dict[str, str]:
    """A Java .properties file, enough for git.properties (key=value or key: value, # comments)."""
    out: dict[str, str] = {}
    for line in raw.decode("latin-1").splitlines():
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        parts = re.split(r"\s*[=:]\s*", line, maxsplit=1)
        out[parts[0]] = parts[1] if len(parts) > 1 else ""
    return out


def _sha(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value if _SHA.match(value) else None


def git_properties_path(tree: PackageTree) -> str | None:
    return next((p for p in sorted(tree.files) if posixpath.basename(p) == "git.properties"), None)


def git_properties(tree: PackageTree) -> dict[str, str]:
    path = git_properties_path(tree)
    return parse_properties(tree.files[path].data) if path else {}


def embedded_commit(tree: PackageTree) -> tuple[str, str] | None:
    """(commit, where it was read) from git.properties or a MANIFEST attribute."""
    props = git_properties(tree)
    for key in ("git.commit.id.full", "git.commit.id"):
        if _sha(props.get(key)):
            return str(_sha(props.get(key))), f"git.properties {key}"
    if "META-INF/MANIFEST.MF" in tree.files:
        manifest = parse_manifest(tree.files["META-INF/MANIFEST.MF"].data)
        for attr in COMMIT_ATTRIBUTES:
            if _sha(manifest.get(attr)):
                return str(_sha(manifest.get(attr))), f"MANIFEST.MF {attr}"
    return None


def scm_url(value: str) -> str:
    """`scm:git:https://host/o/r.git` → `https://host/o/r.git`."""
    while value.startswith("scm:"):
        value = value.split(":", 2)[2] if value.count(":") >= 2 else value[4:]
    return value


def manifest_hints(tree: PackageTree) -> list[SourceHint]:
    if "META-INF/MANIFEST.MF" not in tree.files:
        return []
    manifest = parse_manifest(tree.files["META-INF/MANIFEST.MF"].data)
    hints = [SourceHint(scm_url(manifest[a]), "manifest-scm") for a in URL_ATTRIBUTES if manifest.get(a)]
    return hints + [SourceHint(manifest[a], "homepage") for a in HOME_ATTRIBUTES if manifest.get(a)]


MULTI_RELEASE = re.compile(r"^META-INF/versions/\d+/")


def class_path(path: str) -> str | None:
    """The class's internal name as its path says (`META-INF/versions/9/a/B.class` → `a/B`: classes of a
    multi-release jar come from the same source tree), or None for a path that holds no class."""
    path = MULTI_RELEASE.sub("", path)
    if not path.endswith(".class") or path.startswith("META-INF/"):
        return None
    return path[: -len(".class")]


def class_sources(internal: str, source_file: str | None) -> list[str]:
    """Source file stems the class may come from, most likely first: the directory of its package with the
    file its `SourceFile` attribute names, then the name up to each `$` (`a/Outer$Inner$1` → `a/Outer$Inner`,
    `a/Outer`; a leading `$` belongs to the name: `$Gson$Types` is in `$Gson$Types.java`), `FooKt` → `Foo`."""
    directory, name = posixpath.split(internal)
    stems = []
    if source_file and "/" not in source_file and "." in source_file:
        stems.append(posixpath.join(directory, source_file.rsplit(".", 1)[0]))
    cuts = [i for i, c in enumerate(name) if c == "$" and i > 0 and name[i - 1] != "$"]
    stems += [posixpath.join(directory, name[:i]) for i in [len(name), *reversed(cuts)]]
    stems += [s.removesuffix("Kt") for s in stems if s.endswith("Kt")]
    return list(dict.fromkeys(stems))


def is_binary_jar(tree: PackageTree) -> bool:
    return any(p.endswith(".class") for p in tree.files)
