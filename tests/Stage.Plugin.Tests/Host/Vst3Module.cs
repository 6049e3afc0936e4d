using System.Runtime.InteropServices;

namespace Stage.Plugin.Tests.Host;

/// <summary>
/// The published Stage.vst3 loaded as a host loads it: dlopen the bundle's binary, call ModuleEntry,
/// take the factory from GetPluginFactory. Loaded once per process (a NativeAOT module is never unloaded).
/// </summary>
static unsafe class Vst3Module
{
    public static string BundlePath => Path.Combine(Repository.Root, "plugin", "Stage.Plugin", "bin", "Release", "Stage.vst3");
    public static string BinaryPath => Path.Combine(BundlePath, "Contents", "x86_64-linux", "Stage.so");

    static readonly Lazy<nint> factory = new(Load);
    static nint library;

    public static void* Factory => (void*)factory.Value;

    static nint Load()
    {
        HostEnvironment.Ensure();
        if (!File.Exists(BinaryPath))
            throw new FileNotFoundException($"the plugin bundle is not built: {BinaryPath}; run `dotnet publish plugin/Stage.Plugin -c Release` (tests/run.sh does)");
        library = NativeLibrary.Load(BinaryPath);
        var entry = (delegate* unmanaged<void*, byte>)NativeLibrary.GetExport(library, "ModuleEntry");
        if (entry((void*)library) == 0) throw new InvalidOperationException("ModuleEntry returned false");
        _ = NativeLibrary.GetExport(library, "ModuleExit");
        var get = (delegate* unmanaged<void*>)NativeLibrary.GetExport(library, "GetPluginFactory");
        var f = get();
        if (f == null) throw new InvalidOperationException("GetPluginFactory returned null");
        return (nint)f;
    }

    /// <summary>The plugin runtime's GC counters, through its StageRuntimeCounters export.</summary>
    public static Stage.Plugin.Diagnostics.RuntimeCounters RuntimeCounters()
    {
        _ = Factory;
        var read = (delegate* unmanaged<Stage.Plugin.Diagnostics.RuntimeCounters*, int, byte>)NativeLibrary.GetExport(library, "StageRuntimeCounters");
        Stage.Plugin.Diagnostics.RuntimeCounters counters;
        if (read(&counters, sizeof(Stage.Plugin.Diagnostics.RuntimeCounters)) != 1) throw new InvalidOperationException("StageRuntimeCounters refused the struct size");
        return counters;
    }

    // ---- calling interface slots ----

    public static void** V(void* obj) => *(void***)obj;

    public static void* QueryInterface(void* obj, byte[] iid)
    {
        void* result = null;
        fixed (byte* id = iid)
        {
            int r = ((delegate* unmanaged<void*, byte*, void**, int>)V(obj)[0])(obj, id, &result);
            return r == TResult.Ok ? result : null;
        }
    }

    public static uint AddRef(void* obj) => ((delegate* unmanaged<void*, uint>)V(obj)[1])(obj);
    public static uint Release(void* obj) => ((delegate* unmanaged<void*, uint>)V(obj)[2])(obj);

    public static void* CreateInstance(byte[] cid, byte[] iid)
    {
        void* obj = null;
        fixed (byte* c = cid)
        fixed (byte* i = iid)
        {
            int r = ((delegate* unmanaged<void*, byte*, byte*, void**, int>)V(Factory)[6])(Factory, c, i, &obj);
            if (r != TResult.Ok || obj == null) throw new InvalidOperationException($"createInstance failed: {r}");
        }
        return obj;
    }
}
