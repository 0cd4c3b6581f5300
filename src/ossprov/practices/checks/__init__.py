"""The Scorecard checks, one module each, in Scorecard's order."""

from __future__ import annotations

from ossprov.practices.checks.binary_artifacts import BinaryArtifacts
from ossprov.practices.checks.branch_protection import BranchProtection
from ossprov.practices.checks.ci_tests import CiTests
from ossprov.practices.checks.code_review import CodeReview
from ossprov.practices.checks.contributors import Contributors
from ossprov.practices.checks.dangerous_workflow import DangerousWorkflow
from ossprov.practices.checks.dependency_update_tool import DependencyUpdateTool
from ossprov.practices.checks.fuzzing import Fuzzing
from ossprov.practices.checks.license import License
from ossprov.practices.checks.maintained import Maintained
from ossprov.practices.checks.packaging import Packaging
from ossprov.practices.checks.pinned_dependencies import PinnedDependencies
from ossprov.practices.checks.sast import Sast
from ossprov.practices.checks.security_policy import SecurityPolicy
from ossprov.practices.checks.signed_releases import SignedReleases
from ossprov.practices.checks.token_permissions import TokenPermissions
from ossprov.practices.checks.vulnerabilities import Vulnerabilities
from ossprov.practices.checks.webhooks import Webhooks
from ossprov.practices.interface import Check

ALL_CHECKS: tuple[Check, ...] = (
    BinaryArtifacts(), BranchProtection(), CiTests(), CodeReview(), Contributors(), DangerousWorkflow(),
    DependencyUpdateTool(), Fuzzing(), License(), Maintained(), Packaging(), PinnedDependencies(), Sast(),
    SecurityPolicy(), SignedReleases(), TokenPermissions(), Vulnerabilities(), Webhooks(),
)

BY_NAME: dict[str, Check] = {check.name: check for check in ALL_CHECKS}
