#!/usr/bin/env bash
# Installs what the tests need on a Debian 12 machine with the .NET SDK, and only what is missing:
# `bash tests/run.sh` runs it first, so the README's one test command works on a fresh machine.
# Idempotent: with everything in place it installs nothing and asks no package index.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# The one install list: every Debian package a test needs, with the reason. Add yours here.
apt_packages=(
  sox                                # the resampler's reference (Stage.Shared.Tests)
  gcc libc6-dev zlib1g-dev           # the NativeAOT link of the plugin (the host tests load the published binary)
  ardour                             # DAW tests: headless Ardour 7 (ardour7-lua, VST3 scanner, Dummy backend)
  juce-modules-source                # DAW tests: the VST3 pluginterfaces headers for the helper plugins
  g++ cmake make                     # DAW tests: building the helper plugins
  wine64                             # Windows tests: the win-x64 engine and plugin run under Wine
  lld                                # Windows tests: lld-link links the plugin for win-x64 (plugin/Stage.Plugin/WindowsLink/)
  gcc-mingw-w64-x86-64-win32         # Windows tests: the plugin's MSVC-runtime stand-in and the test host (x86_64-w64-mingw32-gcc)
  binutils-mingw-w64-x86-64          # Windows tests: dlltool makes the plugin's ntdll import library
  chromium                           # control room browser tests (Playwright drives the system's chromium)
)
# Node.js for the MessagePack interop tests. A machine whose nodejs ships its own npm must not get
# Debian's npm on top (the two conflict), so each is asked for only when its command is missing.
command -v node >/dev/null || apt_packages+=(nodejs)
command -v npm >/dev/null || apt_packages+=(npm)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in "${apt_packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "tests/setup.sh: installing ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "tests/setup.sh: missing ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# PowerShell 7 for the install.ps1 tests (Stage.Windows.Tests): a local dotnet tool pinned in dotnet-tools.json.
dotnet tool restore

# The MessagePack interop tests' node packages (@msgpack/msgpack, msgpack-test-suite), pinned by the lock
# file; installed again only when the lock file changed since the last install.
interop=tests/interop
if [ ! -f "$interop/node_modules/.package-lock.json" ] || [ "$interop/package-lock.json" -nt "$interop/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$interop" --no-audit --no-fund
fi
