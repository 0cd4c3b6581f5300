"""What each rule means and what to do about it: the text SARIF viewers, the HTML report and `docs/rules.md` show.

The short one-line descriptions live in the rule catalogue (`ossprov.verify.rules.RULES`); this module adds, per
rule, the severity it is usually reported at (GitHub ranks alerts by the rule's `security-severity`), a full
description and the remedy. `docs/rules.md` is generated from it (`python -m ossprov.report.rule_help`) and a test
keeps the two in step, so every `helpUri` anchor exists.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from ossprov.model import Severity

DOCS_URL = "https://github.com/ossprov/ossprov/blob/main/docs/rules.md"


@dataclass(frozen=True)
class RuleHelp:
    """The long form of one rule."""

    severity: Severity
    """The severity the rule is reported at by default (some rules report lower for documentation files)."""
    description: str
    """What the rule detects and why it matters, in a few sentences."""
    remedy: str
    """What a person should do when it fires."""


_TAMPER = ("Compare the artifact with the repository at the pinned commit (`ossprov verify PURL --format json` "
           "keeps a diff); if the difference is not explained by the release process, treat the version as "
           "compromised: do not install it, pin the previous version and tell the maintainers and the registry.")
_REBUILD = "Run `ossprov rebuild PURL`: a reproduced build vouches for the generated files."
_REVIEW = "Read the file; if it is an expected part of the release, add a reviewed suppression with a reason."

HELP: dict[str, RuleHelp] = {
    "OSP100": RuleHelp(Severity.HIGH, "The file served does not match the digest the registry publishes for it: it "
                       "was modified after publication, or a mirror or proxy serves something else.",
                       "Fetch the artifact again from the registry itself and compare; report the mirror."),
    "OSP101": RuleHelp(Severity.HIGH, "A code file of the artifact exists in the repository at the pinned commit "
                       "but with other contents. Code that differs from its source is how account takeovers "
                       "(eslint-scope, event-stream) ship.", _TAMPER),
    "OSP102": RuleHelp(Severity.HIGH, "A code file of the artifact is in no file of the repository and no build "
                       "rule explains it: code that exists only in the published package.", _TAMPER),
    "OSP103": RuleHelp(Severity.MEDIUM, "A non-code file of the artifact is in no file of the repository and no "
                       "build rule explains it.", _REVIEW),
    "OSP104": RuleHelp(Severity.MEDIUM, "A non-code, non-documentation file differs from the repository at the "
                       "pinned commit (data, configuration).", _REVIEW),
    "OSP105": RuleHelp(Severity.LOW, "A documentation file differs from the repository at the pinned commit.",
                       "Usually harmless (a README rewritten at publish); no action unless the text matters."),
    "OSP106": RuleHelp(Severity.LOW, "A file the package's own file list names is not in the artifact.",
                       "Usually a packaging slip; check that the package still works without it."),
    "OSP110": RuleHelp(Severity.HIGH, "The artifact has no manifest, so nothing it claims can be checked.",
                       _TAMPER),
    "OSP111": RuleHelp(Severity.HIGH, "An install-time script (npm preinstall/install/postinstall, a build hook) "
                       "was added or differs from the repository's manifest: code that runs on every install.",
                       _TAMPER),
    "OSP112": RuleHelp(Severity.HIGH, "A native build file that is not in the repository runs at install "
                       "(binding.gyp, build.rs).", _TAMPER),
    "OSP113": RuleHelp(Severity.HIGH, "The published manifest declares dependencies the repository does not: an "
                       "added dependency pulls in code no source review saw.", _TAMPER),
    "OSP114": RuleHelp(Severity.HIGH, "The published manifest points an entry point (main, bin, exports, console "
                       "scripts) at other code than the repository's.", _TAMPER),
    "OSP115": RuleHelp(Severity.MEDIUM, "Other fields of the published manifest differ from the repository's.",
                       _REVIEW),
    "OSP116": RuleHelp(Severity.HIGH, "A commit embedded in the artifact (SourceLink, MANIFEST, git.properties) "
                       "differs from the commit the package was pinned to.",
                       "Check which commit the release was built from; the artifact may come from an "
                       "unpublished commit."),
    "OSP117": RuleHelp(Severity.HIGH, "The registry's version metadata, which npm installs from (dependencies, "
                       "install scripts, bin, os/cpu), differs from the package.json inside the tarball that a "
                       "review reads: manifest confusion.", _TAMPER),
    "OSP118": RuleHelp(Severity.MEDIUM, "The Go checksum database GOSUMDB names did not confirm the module zip's "
                       "`h1:` hash. Medium when its answer fails verification (a note not signed by the configured "
                       "key, a record its signed tree does not include, a log that forked): the go command stops "
                       "with a SECURITY ERROR, and whoever serves the database (often the module proxy) may be "
                       "hijacked. Info when the database is unreachable or has no record: the source comparison "
                       "still stands, the hash was not checked against the log.",
                       "Check GOSUMDB and the proxy that serves the database; never set GONOSUMDB or GOSUMDB=off "
                       "to make a security error go away."),
    "OSP121": RuleHelp(Severity.HIGH, "Generated code (a bundle, compiled output) loads a module that the source "
                       "never names: the classic shape of code injected into build output.", _TAMPER),
    "OSP122": RuleHelp(Severity.HIGH, "A source map embeds source that differs from the repository, or its "
                       "generated file is not consistent with the map.", _TAMPER),
    "OSP123": RuleHelp(Severity.HIGH, "Generated code that its source map does not account for: code that no "
                       "mapping covers, or mapped code whose words are not in the source it points at. A map that "
                       "matches the repository says nothing about a .js edited after the build.", _TAMPER),
    "OSP124": RuleHelp(Severity.MEDIUM, "A compiled class holds strings its source lacks, where inlined constants "
                       "of other classes or a template's filled-in values could explain them.", _REBUILD),
    "OSP130": RuleHelp(Severity.HIGH, "The Python artifact has no core metadata (PKG-INFO or METADATA).", _TAMPER),
    "OSP131": RuleHelp(Severity.HIGH, "A `.pth` file in a wheel runs code at every interpreter start.", _TAMPER),
    "OSP132": RuleHelp(Severity.HIGH, "A wheel file is missing from RECORD or does not match its recorded hash: "
                       "the wheel was changed after it was built.", _TAMPER),
    "OSP133": RuleHelp(Severity.HIGH, "The core metadata names another project or version than the release.",
                       _TAMPER),
    "OSP135": RuleHelp(Severity.HIGH, "A wheel's .dist-info directory holds a file no build backend writes (an "
                       "extra module there is installed and importable).", _TAMPER),
    "OSP140": RuleHelp(Severity.HIGH, "An archive entry was refused: path traversal, an absolute path, a link "
                       "pointing out, a device file or an undecodable name. Archives built by packaging tools "
                       "never contain these.", _TAMPER),
    "OSP150": RuleHelp(Severity.HIGH, "The repository the package declares holds another package and none of "
                       "this one's files (star-jacking: borrowing a popular repository's reputation).",
                       "Do not trust the repository link; find the package's real source or avoid it."),
    "OSP201": RuleHelp(Severity.MEDIUM, "Generated code that a static comparison cannot vouch for: no source map "
                       "consistent with the file, no template or build rule that reproduces it.", _REBUILD),
    "OSP202": RuleHelp(Severity.INFO, "Generated code vouched for by evidence about that file (a source map "
                       "consistent with it).", "None: informational."),
    "OSP203": RuleHelp(Severity.INFO, "A file a named build step made from the source (Maven resource filtering, "
                       "a java-templates or replacer template, flit's generated setup.py), with the evidence checked.",
                       "None: informational."),
    "OSP206": RuleHelp(Severity.MEDIUM, "A script or stylesheet of Sphinx HTML output shipped in an artifact (an sdist "
                       "that builds its documentation into the archive): the output directory's searchindex.js is "
                       "data only and indexes documents whose sources are at the commit beside conf.py, the build's "
                       "pages load the file (with its CRC-32, where Sphinx 7.1+ records one), and the file sits where no install of the artifact puts it (outside "
                       "every package and everything the build configuration names). Its content is compared with "
                       "nothing: a script no page loads, or one an install would put on the machine, stays OSP102.",
                       "None needed to install the package. To vouch for the file, compare it with the Sphinx, "
                       "extension or theme release that wrote it."),
    "OSP207": RuleHelp(Severity.MEDIUM, "The artifact ships files under a git submodule of the pinned commit (an "
                       "sdist made from a checkout with its submodules), and that submodule could not be read at the "
                       "commit the superproject's gitlink pins: `.gitmodules` names no URL for it, or one ossprov "
                       "refuses (a local path, file://, ext::, credentials, '..' segments, a relative URL leaving the "
                       "superproject's host), or the clone failed, or the repository has no such commit on its "
                       "branches and tags. Its files are then in no source: code among them stays high (OSP102), "
                       "so nothing in it passes unchecked.",
                       "Make the submodule's repository reachable (a mirror through `url.<base>.insteadOf`) and "
                       "verify again; a refused URL is the repository author's to fix."),
    "OSP204": RuleHelp(Severity.MEDIUM, "A class relocated from a dependency by maven-shade-plugin: its source is "
                       "that dependency's, not this repository's.", "Verify the shaded dependency's own release."),
    "OSP205": RuleHelp(Severity.MEDIUM, "One file of the release (typically wheels for a new Python version, "
                       "uploaded later) is faithful to another commit than the release commit: a descendant or an "
                       "ancestor of it with no other tag in between, reachable from a branch or tag of the "
                       "repository. It was compared with that commit, by every rule; the message names the commit, "
                       "how many commits it is from the release commit and the branch or tag holding it. Not "
                       "tampering (someone with only the registry's token cannot push such a commit; commits only "
                       "on pull-request refs, in forks, on an unrelated history or across another release do not "
                       "count and stay high findings), but the users of that file run other code than the "
                       "release's: unreleased changes, or, for an earlier commit, code the release changed.",
                       "Read the changes between the release commit and the named one (`git log -p "
                       "RELEASE..COMMIT`); if they are what the maintainers meant to ship under this version, add "
                       "a reviewed suppression naming the file."),
    "OSP301": RuleHelp(Severity.HIGH, "A code file differs from the result of rebuilding the package from the "
                       "pinned commit in the sandbox.", _TAMPER),
    "OSP302": RuleHelp(Severity.MEDIUM, "A non-code file differs from its rebuild.", _REVIEW),
    "OSP501": RuleHelp(Severity.MEDIUM, "The name imitates a far more popular package (typo-squatting).",
                       "Check that this is the package you meant; the popular one is named in the message."),
    "OSP502": RuleHelp(Severity.HIGH, "The imitating package is less than 90 days old.",
                       "Most typo-squats are removed within weeks; prefer the popular package."),
    "OSP503": RuleHelp(Severity.HIGH, "The imitating package has a single maintainer.",
                       "Prefer the popular package unless you know this one."),
    "OSP504": RuleHelp(Severity.HIGH, "The imitating package declares the popular package's repository.",
                       "Do not trust the repository link; use the popular package."),
    "OSP511": RuleHelp(Severity.LOW, "The registry marks this version deprecated.",
                       "Read the deprecation message and upgrade."),
    "OSP512": RuleHelp(Severity.MEDIUM, "The release was yanked from the index (PEP 592).",
                       "Read the yank reason and move to another version."),
    "OSP513": RuleHelp(Severity.HIGH, "The registry no longer serves a version the lockfile names (malicious "
                       "releases are taken down).", "Find out why it was removed; move to a served version."),
    "OSP514": RuleHelp(Severity.HIGH, "The digest the lockfile records does not match the artifact the registry "
                       "serves now: republished or modified at rest.", _TAMPER),
    "OSP601": RuleHelp(Severity.MEDIUM, "The source repository scores below 3/10 on the OpenSSF Scorecard checks.",
                       "Run `ossprov practices PURL` to see which checks fail."),
    "OSP900": RuleHelp(Severity.HIGH, "The package could not be checked (registry down, repository not cloned, "
                       "archive refused, internal error). A gate fails closed: what was not checked is not clean.",
                       "Fix the cause named in the message and run again, or add a reviewed suppression."),
}

SECURITY_SEVERITY = {Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0", Severity.INFO: "0.0"}
"""GitHub's ranking (`security-severity`: over 7 high, 4–7 medium, under 4 low) for each ossprov severity."""


def help_for(rule: str) -> RuleHelp:
    """The help of a rule; a rule without an entry (a newer catalogue) reads as its one-line description."""
    from ossprov.verify.rules import RULES

    return HELP.get(rule) or RuleHelp(Severity.MEDIUM, RULES.get(rule, (rule, rule))[1], _REVIEW)


def anchor(rule: str) -> str:
    """The `docs/rules.md` anchor of a rule (GitHub lowercases heading ids)."""
    return rule.lower()


def render_markdown() -> str:
    """`docs/rules.md`: every rule, its name, default severity, description and remedy."""
    from ossprov.verify.rules import RULES

    lines = ["# ossprov rules", "", "Generated by `python -m ossprov.report.rule_help`; do not edit by hand.", ""]
    for rule in sorted(set(RULES) | set(HELP)):
        name = RULES.get(rule, ("not-checked", ""))[0]
        info = help_for(rule)
        lines += [f"## {rule}", "", f"**{name}** · default severity **{info.severity.value}**", "",
                  info.description, "", f"What to do: {info.remedy}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
