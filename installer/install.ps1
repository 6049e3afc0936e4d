<#
.SYNOPSIS
Installs Stage on Windows (x64).

.DESCRIPTION
Layout (the Windows half of the conventions in installer/README.md):
  <VST3>\Stage.vst3\Contents\x86_64-win\Stage.vst3   the plugin (a DLL with the .vst3 extension)
  %LOCALAPPDATA%\Stage\engine\stage-engine.exe       the engine the plugin starts (self-contained)
  %LOCALAPPDATA%\Stage\models\drums, \bass           where the model weights go
<VST3> is "%CommonProgramFiles%\VST3" (C:\Program Files\Common Files\VST3, scanned by every host;
needs an elevated shell) or, with -User, "%LOCALAPPDATA%\Programs\Common\VST3" (the per-user folder of
VST3 SDK 3.7; not every host scans it).

.EXAMPLE
powershell -ExecutionPolicy Bypass -File installer\install.ps1
powershell -ExecutionPolicy Bypass -File installer\install.ps1 -User
powershell -ExecutionPolicy Bypass -File installer\install.ps1 -WithModels
powershell -ExecutionPolicy Bypass -File installer\install.ps1 -Uninstall [-Purge]
#>
param(
    [string]$Bundle = "",     # an already built Stage.vst3 bundle instead of publishing plugin\Stage.Plugin
    [string]$Engine = "",     # an already published engine folder instead of publishing engine\Stage.Engine
    [switch]$User,            # per-user VST3 folder, no elevation needed
    [switch]$Uninstall,
    [switch]$Purge,           # with -Uninstall: also models, stems and logs
    [switch]$WithModels       # then download, verify and install the drums and bass models
)
$ErrorActionPreference = "Stop"

$repo = Split-Path -Parent $PSScriptRoot
$data = Join-Path $env:LOCALAPPDATA "Stage"
$vst3Dir = if ($User) { Join-Path $env:LOCALAPPDATA "Programs\Common\VST3" } else { Join-Path $env:CommonProgramFiles "VST3" }
$installedBundle = Join-Path $vst3Dir "Stage.vst3"
$archDir = "x86_64-win"
$rid = "win-x64"

if ($Uninstall) {
    foreach ($path in @($installedBundle, (Join-Path $data "engine"))) {
        if (Test-Path $path) { Remove-Item -Recurse -Force $path }
    }
    Write-Host "Removed $installedBundle and $data\engine"
    if ($Purge) {
        if (Test-Path $data) { Remove-Item -Recurse -Force $data }
        Write-Host "Removed $data (models, stems, logs)"
    } elseif (Test-Path $data) {
        Write-Host "Kept $data (models, stems, logs); -Uninstall -Purge removes it"
    }
    exit 0
}
if ($Purge) { throw "-Purge only goes with -Uninstall" }

$staging = Join-Path ([System.IO.Path]::GetTempPath()) ("stage-install-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $staging | Out-Null
try {
    # The plugin: NativeAOT (needs the MSVC build tools on Windows).
    if ($Bundle -eq "") {
        Write-Host "Publishing the plugin (NativeAOT, $rid)..."
        dotnet publish (Join-Path $repo "plugin\Stage.Plugin\Stage.Plugin.csproj") -c Release -r $rid -o (Join-Path $staging "plugin") -nologo -v quiet
        if ($LASTEXITCODE -ne 0) { throw "dotnet publish of the plugin failed" }
        # The project's publish target assembles the bundle (the DLL renamed to Stage.vst3 + Resources\).
        $Bundle = Join-Path $repo "plugin\Stage.Plugin\bin\Release\Stage.vst3"
    }
    if (-not (Test-Path (Join-Path $Bundle "Contents\$archDir\Stage.vst3"))) {
        throw "$Bundle is not a Stage bundle (no Contents\$archDir\Stage.vst3)"
    }

    # The engine: self-contained, so a producer needs no .NET runtime installed.
    if ($Engine -eq "") {
        Write-Host "Publishing the engine (self-contained, $rid)..."
        dotnet publish (Join-Path $repo "engine\Stage.Engine\Stage.Engine.csproj") -c Release -r $rid --self-contained -o (Join-Path $staging "engine") -nologo -v quiet
        if ($LASTEXITCODE -ne 0) { throw "dotnet publish of the engine failed" }
        $Engine = Join-Path $staging "engine"
    }
    if (-not (Test-Path (Join-Path $Engine "stage-engine.exe"))) { throw "$Engine has no stage-engine.exe" }

    foreach ($dir in @($vst3Dir, "$data\models\drums", "$data\models\bass", "$data\stems", "$data\logs")) {
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
    }
    # Replace whole folders so no file of an older version lingers.
    foreach ($path in @($installedBundle, (Join-Path $data "engine"))) {
        if (Test-Path $path) { Remove-Item -Recurse -Force $path }
    }
    Copy-Item -Recurse $Bundle $installedBundle
    Copy-Item -Recurse $Engine (Join-Path $data "engine")

    $engineExe = Join-Path $data "engine\stage-engine.exe"
    if ($WithModels) {
        Write-Host "Installing the models (stage-engine models install all)..."
        & $engineExe models install all
        if ($LASTEXITCODE -ne 0) { Write-Warning "the models step failed (see above); run '$engineExe models install all' again later" }
    }
    Write-Host "Installed:"
    Write-Host "  plugin  $installedBundle"
    Write-Host "  engine  $data\engine\stage-engine.exe"
    foreach ($instrument in @("drums", "bass")) {
        $dir = Join-Path $data "models\$instrument"
        $missing = @("model.safetensors", "spiece.model") | Where-Object { -not (Test-Path (Join-Path $dir $_)) }
        if ($missing.Count -eq 0) { Write-Host "  model   $dir (complete)" }
        else { Write-Host "  model   $instrument missing ($($missing -join ', ')): run '$engineExe models install $instrument'" }
    }
    Write-Host "Rescan plugins in your DAW to find Stage."
} finally {
    Remove-Item -Recurse -Force $staging -ErrorAction SilentlyContinue
}
