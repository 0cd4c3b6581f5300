"""What a Maven build writes that the module's source vouches for only with evidence: class files whose
constants, members and source file match the module's sources (`classfiles`), classes relocated by
maven-shade-plugin, sources under a sibling root, resources the POM filters and templates filled in
(`buildsteps`)."""

from __future__ import annotations

import posixpath

from ossprov.ecosystems.interface import CompareContext, Comparison
from ossprov.ecosystems.maven import buildsteps, classfiles, jars
from ossprov.model import FileResult, FileStatus, Finding, Severity
from ossprov.verify import normalize
from ossprov.verify.compare import unified_diff

SOURCE_ROOTS = ("src/main/java/", "src/main/kotlin/", "src/main/groovy/", "src/main/scala/", "src/main/resources/",
                "src/main/java-templates/")


def _roots(context: CompareContext) -> list[str]:
    """Repository prefixes source files may sit under: the content root, then the module's source roots."""
    return list(dict.fromkeys([context.content_root, *(_module(context) + r for r in SOURCE_ROOTS)]))


def _find_source(stems: list[str], context: CompareContext) -> str | None:
    wanted = [s + suffix for s in stems for suffix in jars.SOURCE_SUFFIXES]
    wanted += [s + ".java" + t for s in stems for t in buildsteps.TEMPLATE_SUFFIXES]
    for root in _roots(context):
        hit = next((root + w for w in wanted if root + w in context.source_files), None)
        if hit:
            return hit
    return next((p for w in wanted for p in context.source_files if p.endswith("/" + w)), None)


def _module_words(context: CompareContext) -> set[str]:
    """The string words of the module's Java sources (once per comparison): constants are inlined across
    classes, so a class's strings may come from any source of its module."""
    if "java_words" not in context.notes:
        roots = tuple(_roots(context))
        paths = [p for p in context.source_files if p.startswith(roots) and p.endswith(".java")]
        texts = context.read_many(paths).values()
        context.notes["java_words"] = set().union(*(classfiles.string_words(t.decode("utf-8", "replace"))
                                                   for t in texts))
    return context.notes["java_words"]


def _class_finding(path: str, reason: str, source_path: str | None = None) -> Comparison:
    return Comparison(FileResult(path, FileStatus.UNEXPLAINED, source_path, reason),
                      (Finding(Severity.HIGH, "OSP102", path, f"compiled class the source cannot have produced: "
                               f"{reason} (injected or replaced class?)"),))


def explain_class(path: str, data: bytes, context: CompareContext) -> Comparison:
    """A class is compiled from a source file at the commit that declares what the class declares."""
    internal = jars.class_path(path) or path
    info = classfiles.parse(data)
    if info is None:
        return _class_finding(path, "not a valid class file")
    if info.name != internal:
        return _class_finding(path, f"the file holds class {info.name}, not {internal}")
    stems = jars.class_sources(internal, info.source_file)
    hit = _find_source(stems, context)
    if hit is None and posixpath.basename(internal) == "module-info":
        return Comparison(
            FileResult(path, FileStatus.GENERATED, None, "module descriptor with no module-info.java: generated "
                       "at build time (moditect and alike)"),
            (Finding(Severity.MEDIUM, "OSP201", path, "module descriptor generated at build time; only a rebuild "
                     "can vouch for it"),),
        )
    if hit is None:
        return _shaded(path, internal, context) or _class_finding(
            path, f"no source file {stems[0]}.java (or Kotlin/Groovy/Scala) at the commit")
    java = _java_stem(hit)
    if java and posixpath.basename(internal) != "module-info":
        source = (context.read_source(hit) or b"").decode("utf-8", "replace")
        stem = java
        found = classfiles.problems(info, source, stem)
        if found:
            return _class_finding(path, f"{hit} does not declare what the class does ({'; '.join(found[:4])})",
                                  hit)
        template = "/src/main/java-templates/" in "/" + hit or not hit.endswith(".java")
        filled_in = {w for v in _known(context).values() for w in classfiles.string_words(v)} if template else set()
        foreign = classfiles.foreign_strings(info, source, _module_words(context) | filled_in)
        why = ("its template's placeholders are filled in at build time" if template
               else f"{hit} uses constants of other classes, which javac copies in")
        if foreign and not (template or classfiles.inlines_constants(source)):
            return _class_finding(path, f"string constants with {', '.join(foreign[:5])}, which no source of the "
                                  "module has", hit)
        result = FileResult(path, FileStatus.GENERATED, hit, f"compiled from {hit} (the class's declarations "
                            "are in it)")
        if foreign:
            return Comparison(result, (Finding(Severity.MEDIUM, "OSP124", path, f"string constants with "
                                       f"{', '.join(foreign[:5])}: no source of the module has them, and {why}"),))
        return Comparison(result)
    return Comparison(FileResult(path, FileStatus.GENERATED, hit, f"compiled from {hit}"))


def _shaded(path: str, internal: str, context: CompareContext) -> Comparison | None:
    """A class relocated into the module's packages from a dependency by maven-shade-plugin."""
    for original, relocated in buildsteps.shade_relocations(_module_pom(context)):
        if internal.startswith(relocated.rstrip("/") + "/"):
            why = (f"shaded by maven-shade-plugin (relocation {original} → {relocated} in {_module(context)}pom.xml): "
                   "compiled from a dependency, not from this repository")
            return Comparison(FileResult(path, FileStatus.GENERATED, None, why),
                              (Finding(Severity.MEDIUM, "OSP204", path, why + "; verify that dependency"),))
    return None


def _java_stem(path: str) -> str | None:
    """`a/B.java` and templates of it (`a/B.java.in`) → `B`; None for other files."""
    name = posixpath.basename(path)
    for suffix in ("", *buildsteps.TEMPLATE_SUFFIXES):
        if name.endswith(".java" + suffix):
            return name[: -len(".java" + suffix)]
    return None


def sibling_root(path: str, data: bytes, context: CompareContext) -> Comparison | None:
    """A resource or source file found under another source root of the module (resources vs java)."""
    for root in _roots(context):
        if root + path in context.source_files:
            source = context.read_source(root + path) or b""
            if source == data:
                return Comparison(FileResult(path, FileStatus.IDENTICAL, root + path))
            if name := normalize.equal_after(source, data):
                return Comparison(FileResult(path, FileStatus.NORMALIZED, root + path, name))
            return (filtered(path, root + path, source, data, context) or template(path, data, context)
                    or Comparison(FileResult(path, FileStatus.MODIFIED, root + path,
                                             "content differs from the repository", unified_diff(source, data, path))))
    return None


def _module(context: CompareContext) -> str:
    root = context.content_root
    return root.split("src/main/", 1)[0] if "src/main/" in root else (f"{context.subdir}/" if context.subdir else "")


def _known(context: CompareContext) -> dict[str, str]:
    release = context.release
    group, _, artifact = (release.name if release else "").rpartition(":")
    return buildsteps.known_values(group or None, artifact or None, release.version if release else "")


def _module_pom(context: CompareContext) -> bytes | None:
    return context.read_source(_module(context) + "pom.xml")


def filtered(path: str, source_path: str, source: bytes, data: bytes, context: CompareContext) -> Comparison | None:
    """A resource of a directory the module's POM filters, equal to its source with the placeholders filled."""
    module = _module(context)
    rel = source_path[len(module):] if source_path.startswith(module) else source_path
    directory = next((d for d in buildsteps.filtered_directories(_module_pom(context)) if rel.startswith(d)), None)
    if directory is None:
        return None
    filled = buildsteps.fill(source, data, _known(context))
    if filled is None:
        return None
    why = (f"Maven resource filtering (<filtering>true</filtering> for {directory} in {module}pom.xml): "
           f"{filled.describe()}")
    return Comparison(FileResult(path, FileStatus.NORMALIZED, source_path, why),
                      (Finding(Severity.INFO, "OSP203", path, why),))


def template(path: str, data: bytes, context: CompareContext) -> Comparison | None:
    """A generated source (in a sources jar) equal to a template of the module with its placeholders filled:
    templating-maven-plugin's `src/main/java-templates/`, or `X.java.in` that maven-replacer-plugin fills."""
    candidates = [_module(context) + "src/main/java-templates/" + path,
                  *(root + path + suffix for root in _roots(context) for suffix in buildsteps.TEMPLATE_SUFFIXES)]
    template = next((c for c in candidates if c in context.source_files), None)
    if template is None:
        return None
    filled = buildsteps.fill(context.read_source(template) or b"", data, _known(context))
    if filled is None:
        return None
    configured = [p for p in buildsteps.plugins(_module_pom(context)) if p in buildsteps.TEMPLATE_PLUGINS]
    plugin = (f"{', '.join(configured)} configured in {_module(context)}pom.xml" if configured
              else "no templating plug-in in the module's pom.xml (a parent POM configures it)")
    why = f"filled-in template {template} ({plugin}): {filled.describe()}"
    return Comparison(FileResult(path, FileStatus.NORMALIZED, template, why),
                      (Finding(Severity.INFO, "OSP203", path, why),))
