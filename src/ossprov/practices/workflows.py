"""GitHub Actions workflows read with line numbers, so every finding can point at the line behind it.

PyYAML is used through a SafeLoader subclass that records where each mapping key and value starts; YAML 1.1
reads the key `on` as the boolean true, which is undone here so triggers read as GitHub means them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

WORKFLOW_DIR = ".github/workflows/"
MAX_WORKFLOW_BYTES = 1024 * 1024


class WorkflowError(Exception):
    """A workflow file that is not readable YAML of the expected shape."""


class YamlMap(dict):
    """A YAML mapping that remembers the line of each key and value (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]
    block_keys: set[Any]
    """Keys whose value is a block scalar (`|` or `>`): its text starts on the line after the key."""


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that builds YamlMap mappings."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    mapping = YamlMap()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines, mapping.value_lines, mapping.block_keys = {}, {}, set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key is True and key_node.value in ("on", "On", "ON"):
            key = "on"
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise WorkflowError(f"line {key_node.start_mark.line + 1}: a mapping key must be a scalar")
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
        mapping.value_lines[key] = value_node.start_mark.line + 1
        if isinstance(value_node, yaml.ScalarNode) and value_node.style in ("|", ">"):
            mapping.block_keys.add(key)
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(raw: bytes, what: str) -> Any:
    """Parse YAML bytes; anything unreadable (binary junk, bad syntax, too big) raises WorkflowError."""
    if len(raw) > MAX_WORKFLOW_BYTES:
        raise WorkflowError(f"{what} is larger than {MAX_WORKFLOW_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WorkflowError(f"{what} is not UTF-8 text") from None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1})" if mark else ""
        raise WorkflowError(f"{what} is not valid YAML{where}: {exc.problem or exc.context}") from None
    except (yaml.YAMLError, RecursionError, TypeError, ValueError) as exc:
        raise WorkflowError(f"{what} is not valid YAML: {exc}") from None


def _map(value: Any) -> YamlMap:
    return value if isinstance(value, YamlMap) else YamlMap()


def _line(mapping: YamlMap, key: str, fallback: int) -> int:
    return getattr(mapping, "key_lines", {}).get(key, fallback)


@dataclass(frozen=True)
class Step:
    """One step of a job."""

    job: str
    data: YamlMap
    line: int

    @property
    def uses(self) -> str | None:
        value = self.data.get("uses")
        return value.strip() if isinstance(value, str) else None

    @property
    def inputs(self) -> YamlMap:
        return _map(self.data.get("with"))

    @property
    def run(self) -> str | None:
        value = self.data.get("run")
        return value if isinstance(value, str) else None

    def run_lines(self) -> Iterator[tuple[int, str]]:
        """(file line, text) of each line of the `run` script."""
        if self.run is None:
            return
        first = self.data.value_lines.get("run", self.line)
        if "run" in self.data.block_keys:
            first += 1
        for offset, text in enumerate(self.run.splitlines()):
            yield first + offset, text


class _DeclaresPermissions:
    """A workflow or job: both may set the GITHUB_TOKEN's `permissions`."""

    data: YamlMap

    @property
    def declares_permissions(self) -> bool:
        return "permissions" in self.data

    @property
    def permissions(self) -> Any:
        return self.data.get("permissions")


@dataclass(frozen=True)
class Job(_DeclaresPermissions):
    """One job of a workflow (a reusable-workflow call has `uses` and no steps)."""

    id: str
    data: YamlMap
    line: int
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Workflow(_DeclaresPermissions):
    """A parsed workflow file."""

    path: str
    data: YamlMap
    triggers: frozenset[str]
    jobs: tuple[Job, ...] = field(default=())

    def steps(self) -> Iterator[Step]:
        for job in self.jobs:
            yield from job.steps


def _triggers(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list):
        return frozenset(v for v in value if isinstance(v, str))
    if isinstance(value, dict):
        return frozenset(k for k in value if isinstance(k, str))
    return frozenset()


def parse_workflow(path: str, raw: bytes) -> Workflow:
    """A Workflow from a file's bytes; WorkflowError when it is not a workflow at all."""
    data = load_yaml(raw, path)
    if not isinstance(data, YamlMap):
        raise WorkflowError(f"{path} is not a workflow (its top level is not a mapping)")
    jobs_map = data.get("jobs")
    if jobs_map is not None and not isinstance(jobs_map, YamlMap):
        raise WorkflowError(f"{path}: `jobs` is not a mapping (line {_line(data, 'jobs', data.line)})")
    jobs = []
    for job_id, job_data in _map(jobs_map).items():
        job_map = _map(job_data)
        raw_steps = job_map.get("steps") or []
        if not isinstance(raw_steps, list):
            raise WorkflowError(f"{path}: steps of job {job_id} are not a list")
        steps = tuple(
            Step(str(job_id), s, s.line) for s in raw_steps if isinstance(s, YamlMap)
        )
        jobs.append(Job(str(job_id), job_map, _line(_map(jobs_map), job_id, data.line), steps))
    return Workflow(path, data, _triggers(data.get("on")), tuple(jobs))


def is_workflow_path(path: str) -> bool:
    return path.startswith(WORKFLOW_DIR) and path.endswith((".yml", ".yaml")) and "/" not in path[len(WORKFLOW_DIR):]


def action_name(uses: str) -> str:
    """`owner/repo[/path]` of a `uses:` reference, lower-cased, without the @ref."""
    return uses.split("@", 1)[0].strip().lower()


def action_ref(uses: str) -> str | None:
    return uses.split("@", 1)[1].strip() if "@" in uses else None
