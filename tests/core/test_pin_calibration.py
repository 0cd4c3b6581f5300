"""The confidence claim: a pin stated at 0.8 or more is right at least 99% of the time, over every pinning fixture
(the hand-made cases of issue 15 and seeded random histories with moved tags, Windows packing, build output,
dropped files, real, missing and copied upload times, right and unpushed gitHeads)."""

from __future__ import annotations

import datetime
import json
import random
import subprocess

import pytest

from ossprov.fixtures.world import World
from tests.core import pinning_cases as cases

CLAIM = 0.8
GENERATED = 80


def _manifest(name: str, version: str) -> str:
    return json.dumps({"name": name, "version": version, "main": "index.js"}, indent=2) + "\n"


def generated(world: World, seed: int) -> cases.Case:
    """A random history; one of its commits that changed the package is released, with random evidence."""
    rnd = random.Random(seed)
    name = f"gen{seed}"
    repo = world.repo(f"gen/{name}")
    paths = ["index.js", *(f"lib/m{i}.js" for i in range(rnd.randint(2, 9)))]
    state = {p: f"// {p} 0\n" for p in paths}
    minor = 1
    state["package.json"] = _manifest(name, f"0.{minor}.0")
    snapshots = [(repo.commit("initial", dict(state), push=False), dict(state), True)]
    for step in range(rnd.randint(4, 14)):
        roll = rnd.random()
        if roll < 0.25:
            repo.commit(f"docs {step}", {"docs/notes.md": f"{step}\n"}, push=False)
            snapshots.append((repo.head(), dict(state), False))
            continue
        if roll < 0.7:
            for p in rnd.sample(sorted(state.keys() - {"package.json"}), rnd.randint(1, 2)):
                state[p] = f"// {p} {step + 1}\n"
        elif roll < 0.8:
            minor += 1
            state["package.json"] = _manifest(name, f"0.{minor}.0")
        elif roll < 0.9:  # a revert: an earlier state of the package comes back
            earlier = rnd.choice(snapshots)[1]
            for gone in state.keys() - earlier.keys():
                repo.remove(gone)
            state = dict(earlier)
        elif len(state) > 4:  # a module deleted: older artifacts may still carry it
            gone = rnd.choice(sorted(p for p in state if p.startswith("lib/")))
            repo.remove(gone)
            del state[gone]
        snapshots.append((repo.commit(f"step {step}", dict(state), push=False), dict(state), True))
    repo.push()
    changed = [s for s in snapshots if s[2]]
    release, files, _ = rnd.choice(changed)
    version = json.loads(files["package.json"])["version"]
    artifact = {p: c.encode() for p, c in files.items()}
    if rnd.random() < 0.5:
        repo.tag(f"v{version}", release)
    elif rnd.random() < 0.2:
        repo.tag(f"v{version}", snapshots[-1][0])  # a tag moved (or made late) onto another commit
    if rnd.random() < 0.15:  # a build for another distribution tagged on the newest commit
        repo.tag(f"v{version}-deno", snapshots[-1][0])
    if rnd.random() < 0.2:
        artifact = {p: cases.crlf(d) for p, d in artifact.items()}
    if rnd.random() < 0.3:
        artifact["dist/bundle.js"] = b"!function(){}();\n"
    before = snapshots[: [s[0] for s in snapshots].index(release)]
    # a file deleted from the repository left in a build directory: from a state the release has moved on from
    # (a file deleted by the release commit itself would make the artifact that state's exact copy)
    stale = [(p, c) for _, snap, _ in before for p, c in snap.items()
             if p not in files and any(snap.get(q) != files[q] for q in files)]
    if stale and rnd.random() < 0.3:
        path, content = rnd.choice(stale)
        artifact.setdefault(path, content.encode())
    if rnd.random() < 0.2 and len(artifact) > 3:
        artifact.pop(rnd.choice(sorted(p for p in artifact if p != "package.json")))
    times = rnd.random()
    released_at, version_times = None, None
    if times < 0.25:
        released_at = "2024-01-15T12:00:00+00:00"
    elif times < 0.5:  # uploaded half an hour after the release commit
        made = subprocess.run(["git", "show", "-s", "--format=%ct", release], cwd=repo.path, check=True,
                              capture_output=True, text=True).stdout
        released_at = datetime.datetime.fromtimestamp(int(made) + 1800, datetime.UTC).isoformat()
    elif times < 0.75:
        released_at = "2023-01-01T00:00:00+00:00"
        version_times = {"0.1.0": "2026-01-01T00:00:00Z", "0.2.0": "2023-06-01T00:00:00Z",
                         "0.3.0": "2025-01-01T00:00:00Z", "0.4.0": "2022-01-01T00:00:00Z", version: released_at}
    head = rnd.random()
    direct = release if head < 0.2 else ("e" * 40 if head < 0.3 else None)
    located = cases.validate_direct(world, repo.url, name, version, artifact, released_at=released_at,
                                    version_times=version_times, direct_commit=direct)
    return cases.Case(located, release)


def _right(case: cases.Case) -> bool:
    return case.pinned is not None and case.pinned == case.commit


@pytest.mark.slow
def test_a_confident_pin_is_right(world: World) -> None:
    outcomes: list[tuple[str, float, bool]] = []
    for name, build in cases.CASES.items():
        case = build(world)
        outcomes.append((name, case.confidence, _right(case)))
    for seed in range(GENERATED):
        case = generated(world, seed)
        outcomes.append((f"generated-{seed}", case.confidence, _right(case)))
    claimed = [o for o in outcomes if o[1] >= CLAIM]
    wrong = [o for o in claimed if not o[2]]
    for low, high in ((0.0, 0.5), (0.5, 0.8), (0.8, 0.9), (0.9, 1.01)):
        band = [o for o in outcomes if low <= o[1] < high]
        print(f"confidence [{low}, {min(high, 1.0)}]: {len(band)} pins, {sum(o[2] for o in band)} right")
    assert len(claimed) >= 0.6 * len(outcomes), "the claim must be made for most fixtures to mean anything"
    assert len(claimed) - len(wrong) >= 0.99 * len(claimed), f"confidently wrong: {wrong}"
