#!/usr/bin/env bash
# Installs Stage for the current user on Linux:
#   ~/.vst3/Stage.vst3/Contents/x86_64-linux/Stage.so   the plugin, where every Linux VST3 host looks
#   <data>/engine/stage-engine                            the engine the plugin starts (self-contained)
#   <data>/models/drums, <data>/models/bass               where the model weights go
# with <data> = $XDG_DATA_HOME/Stage or ~/.local/share/Stage.
#
# usage: installer/install.sh [--bundle DIR] [--engine DIR] [--with-models]   build (or take) and install
#        installer/install.sh --uninstall [--purge]             remove plugin and engine
#                                                               (--purge: also models, stems, logs)
#   --bundle DIR   install this already built Stage.vst3 instead of publishing plugin/Stage.Plugin
#   --engine DIR   install this already published engine folder instead of publishing engine/Stage.Engine
#   --with-models  then download, verify and install the drums and bass models (stage-engine models install all)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
data="${XDG_DATA_HOME:-$HOME/.local/share}/Stage"
vst3_dir="$HOME/.vst3"
bundle_name=Stage.vst3
arch_dir=x86_64-linux
[ "$(uname -m)" = aarch64 ] && arch_dir=aarch64-linux
rid=linux-x64
[ "$(uname -m)" = aarch64 ] && rid=linux-arm64

bundle="" engine="" uninstall=0 purge=0 with_models=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle=${2:?--bundle needs a directory}; shift 2 ;;
    --engine) engine=${2:?--engine needs a directory}; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    --with-models) with_models=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$uninstall" = 1 ]; then
  rm -rf "$vst3_dir/$bundle_name" "$data/engine"
  echo "Removed $vst3_dir/$bundle_name and $data/engine"
  if [ "$purge" = 1 ]; then
    rm -rf "$data"
    echo "Removed $data (models, stems, logs)"
  elif [ -d "$data" ]; then
    echo "Kept $data (models, stems, logs); --uninstall --purge removes it"
  fi
  exit 0
fi
[ "$purge" = 1 ] && { echo "install.sh: --purge only goes with --uninstall" >&2; exit 2; }

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT

# The plugin: a NativeAOT shared library in the VST3 bundle layout (the .so is named like the bundle).
if [ -z "$bundle" ]; then
  echo "Publishing the plugin (NativeAOT, $rid)..."
  # The project's publish target assembles the bundle (Contents/<arch>/Stage.so + Resources/).
  dotnet publish "$repo/plugin/Stage.Plugin/Stage.Plugin.csproj" -c Release -r "$rid" -o "$staging/plugin" -nologo -v quiet
  bundle="$repo/plugin/Stage.Plugin/bin/Release/$bundle_name"
fi
if [ ! -f "$bundle/Contents/$arch_dir/Stage.so" ]; then
  echo "install.sh: $bundle is not a Stage bundle (no Contents/$arch_dir/Stage.so)" >&2; exit 1
fi

# The engine: self-contained, so a producer needs no .NET runtime and the plugin can start it from a
# DAW whose environment knows nothing about DOTNET_ROOT.
if [ -z "$engine" ]; then
  echo "Publishing the engine (self-contained, $rid)..."
  dotnet publish "$repo/engine/Stage.Engine/Stage.Engine.csproj" -c Release -r "$rid" --self-contained \
    -o "$staging/engine" -nologo -v quiet
  engine="$staging/engine"
fi
if [ ! -x "$engine/stage-engine" ]; then
  echo "install.sh: $engine has no executable stage-engine" >&2; exit 1
fi

mkdir -p "$vst3_dir" "$data/models/drums" "$data/models/bass" "$data/stems" "$data/logs"
# Replace whole folders so no file of an older version lingers.
rm -rf "$vst3_dir/$bundle_name" "$data/engine"
cp -R "$bundle" "$vst3_dir/$bundle_name"
cp -R "$engine" "$data/engine"

if [ "$with_models" = 1 ]; then
  echo "Installing the models (stage-engine models install all)..."
  "$data/engine/stage-engine" models install all || echo "install.sh: the models step failed (see above); run '$data/engine/stage-engine models install all' again later" >&2
fi

echo "Installed:"
echo "  plugin  $vst3_dir/$bundle_name"
echo "  engine  $data/engine/stage-engine ($("$data/engine/stage-engine" --version))"
for instrument in drums bass; do
  dir="$data/models/$instrument"
  missing=()
  # config.json is needed only for sizes other than the released checkpoints'.
  for f in model.safetensors spiece.model; do [ -f "$dir/$f" ] || missing+=("$f"); done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "  model   $dir (complete)"
  else
    list=$(printf '%s, ' "${missing[@]}")
    echo "  model   $instrument missing (${list%, }): run '$data/engine/stage-engine models install $instrument'"
  fi
done
echo "Rescan plugins in your DAW to find Stage."
