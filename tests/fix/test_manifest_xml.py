"""pom.xml, .nuspec and project-file edits: textual insertion at the file's own indentation."""

from __future__ import annotations

import pytest

from ossprov.errors import InputError
from ossprov.fix.manifests import choose
from ossprov.fix.manifests.maven import PomXml
from ossprov.fix.manifests.nuget import Nuspec, ProjectFile
from ossprov.model import Repository
from tests.fix.fixhelpers import UPSTREAM, changed_lines

TARGET = Repository(UPSTREAM)
POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
    <modelVersion>4.0.0</modelVersion>
    <groupId>org.acme</groupId>
    <artifactId>widget</artifactId>
    <version>1.0</version>
    <!-- what it is -->
    <description>A widget</description>
    <licenses>
        <license><name>MIT</name></license>
    </licenses>
    <dependencies/>
</project>
"""


def test_pom_gets_scm_after_licenses() -> None:
    new = PomXml().apply(POM, TARGET)
    assert changed_lines(POM, new) == [
        "+     <scm>\n",
        "+         <url>https://github.com/acme/widget</url>\n",
        "+         <connection>scm:git:https://github.com/acme/widget.git</connection>\n",
        "+     </scm>\n",
    ]
    assert new.index("</licenses>") < new.index("<scm>") < new.index("<dependencies/>")
    assert [h.url for h in PomXml().declared(new)] == [UPSTREAM, UPSTREAM + ".git"]


def test_pom_existing_scm_is_corrected_and_keeps_its_tag() -> None:
    old = ("<project>\r\n\t<artifactId>w</artifactId>\r\n\t<scm>\r\n\t\t<url>https://github.com/old/w</url>\r\n"
           "\t\t<tag>HEAD</tag>\r\n\t</scm>\r\n</project>\r\n")
    new = PomXml().apply(old, TARGET)
    assert new == ("<project>\r\n\t<artifactId>w</artifactId>\r\n\t<scm>\r\n"
                   "\t\t<connection>scm:git:https://github.com/acme/widget.git</connection>\r\n"
                   "\t\t<url>https://github.com/acme/widget</url>\r\n\t\t<tag>HEAD</tag>\r\n\t</scm>\r\n</project>\r\n")


def test_pom_with_entity_bomb_is_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><project>&b;</project>'
    with pytest.raises(InputError):
        PomXml().apply(bomb, TARGET)


def test_nuspec_gets_repository_element() -> None:
    old = ('<?xml version="1.0"?>\n<package>\n  <metadata>\n    <id>Widget</id>\n    <version>1.0.0</version>\n'
           "  </metadata>\n</package>\n")
    new = Nuspec().apply(old, TARGET)
    assert changed_lines(old, new) == ['+     <repository type="git" url="https://github.com/acme/widget" />\n']


def test_csproj_gets_repository_url_in_the_package_property_group() -> None:
    old = ('<Project Sdk="Microsoft.NET.Sdk">\n  <PropertyGroup Condition="\'$(Configuration)\'==\'Debug\'">\n'
           "    <Optimize>false</Optimize>\n  </PropertyGroup>\n  <PropertyGroup>\n    <PackageId>Widget</PackageId>\n"
           "  </PropertyGroup>\n</Project>\n")
    new = ProjectFile().apply(old, TARGET)
    assert changed_lines(old, new) == [
        "+     <RepositoryUrl>https://github.com/acme/widget</RepositoryUrl>\n",
        "+     <RepositoryType>git</RepositoryType>\n",
    ]
    assert new.index("PackageId") < new.index("RepositoryUrl")


def test_nuget_chooses_the_project_file_named_after_the_package() -> None:
    files = {"src/Widget/Widget.csproj": b"<Project/>", "src/Widget/Widget.Tests.csproj": b"<Project/>"}
    choice = choose("nuget", "Widget", files, "src/Widget", lambda p: files[p])
    assert choice is not None and choice.path == "src/Widget/Widget.csproj"
