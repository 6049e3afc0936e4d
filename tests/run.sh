#!/usr/bin/env bash
# Runs every Stage test: builds the solution (and the NativeAOT plugin bundle the host tests load),
# then every xunit project, and ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The MessagePack interop tests run an independent implementation under node.
[ -d tests/interop/node_modules ] || npm ci --prefix tests/interop --no-audit --no-fund || exit 1

# PowerShell 7 (dotnet-tools.json): the Windows tests run installer/install.ps1 with it.
dotnet tool restore || exit 1

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
