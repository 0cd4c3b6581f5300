#!/bin/sh
# Regenerates Demo.dll, the .NET assembly fixture of tests/ecosystems/test_nuget_assembly.py.
#
# Usage: make_assembly.sh COMMIT
#   COMMIT is the 40-hex sha the test's fixture repository gets for its first commit (the test prints it when
#   it differs from the one in Demo.dll). Needs Debian's Mono C# compiler: apt-get install -y mono-mcs.
#
# Like the .NET SDK with SourceLink, the informational version `1.2.3+COMMIT` is stamped by a generated
# AssemblyInfo file that is not part of the repository; Demo.cs is the committed source. Tests only read the
# resulting Demo.dll and never need Mono.
set -eu
commit=${1:?usage: make_assembly.sh COMMIT}
case $commit in
  *[!0-9a-f]*) echo "COMMIT must be a lower-case hex sha" >&2; exit 2 ;;
esac
[ ${#commit} -eq 40 ] || { echo "COMMIT must be 40 hex digits" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '[assembly: System.Reflection.AssemblyInformationalVersion("1.2.3+%s")]\n' "$commit" > "$work/AssemblyInfo.cs"
mcs -target:library -out:"$work/Demo.dll" "$here/Demo.cs" "$work/AssemblyInfo.cs"
cp "$work/Demo.dll" "$here/Demo.dll"
echo "wrote $here/Demo.dll (1.2.3+$commit)"
