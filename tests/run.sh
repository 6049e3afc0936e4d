#!/usr/bin/env bash
# Runs every Stage test: installs what the tests need (tests/setup.sh), builds the solution (and the NativeAOT plugin bundle the host tests load),
# then every xunit project, and ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# What the tests need (apt packages, the interop tests' node packages), installed only where missing.
bash tests/setup.sh || exit 1

dotnet build Stage.Plugin.sln -c Release -warnaserror || exit 1
# The NativeAOT plugin and its bundle (plugin/Stage.Plugin/bin/Release/Stage.vst3), loaded by the host tests.
dotnet publish plugin/Stage.Plugin -c Release -warnaserror || exit 1

log=$(mktemp)
dotnet test Stage.Plugin.sln -c Release --no-build 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# dotnet test prints one "Passed!/Failed!  - Failed: F, Passed: P, ..." line per test project.
passed=0; failed=0
while read -r f p; do passed=$((passed + p)); failed=$((failed + f)); done < <(
  sed -nE 's/.*Failed:[[:space:]]*([0-9]+), Passed:[[:space:]]*([0-9]+),.*/\1 \2/p' "$log")
rm -f "$log"
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed"
exit "$status"
