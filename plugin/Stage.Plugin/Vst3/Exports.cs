using System.Runtime.InteropServices;
using Stage.Plugin.Diagnostics;
using Stage.Plugin.EngineLink;

namespace Stage.Plugin.Vst3;

/// <summary>
/// The module's C entry points. Linux hosts (Ardour, the SDK's hosting code, the validator) refuse a
/// module without ModuleEntry/ModuleExit; Windows hosts call InitDll/ExitDll when present. Both pairs
/// are exported everywhere: an export the host does not look for is harmless. TBool is a byte.
/// </summary>
static unsafe class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "GetPluginFactory")]
    static void* GetPluginFactory()
    {
        try { return PluginFactory.Acquire(); }
        catch (Exception e) { PluginLog.Failure("GetPluginFactory", e); return null; }
    }

    [UnmanagedCallersOnly(EntryPoint = "ModuleEntry")]
    static byte ModuleEntry(void* sharedLibraryHandle) => 1;

    [UnmanagedCallersOnly(EntryPoint = "ModuleExit")]
    static byte ModuleExit() => 1;

    [UnmanagedCallersOnly(EntryPoint = "InitDll")]
    static byte InitDll() => 1;

    [UnmanagedCallersOnly(EntryPoint = "ExitDll")]
    static byte ExitDll() => 1;

    /// <summary>Not VST3: fills <paramref name="counters"/> with the plugin runtime's GC counters; 1 on success.</summary>
    [UnmanagedCallersOnly(EntryPoint = "StageRuntimeCounters")]
    static byte StageRuntimeCounters(RuntimeCounters* counters, int size)
    {
        if (counters == null || size != sizeof(RuntimeCounters)) return 0;
        *counters = RuntimeCounters.Now();
        return 1;
    }
}
