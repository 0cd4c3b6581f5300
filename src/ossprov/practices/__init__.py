"""Repository practices: the OpenSSF Scorecard checks, run on a local clone (so any git host and offline),
with the GitHub API for the checks that need it. One module per check under `checks/`; raw facts (probes)
are collected apart from the scoring that turns them into 0–10, and `scoring` aggregates as Scorecard does.
"""
