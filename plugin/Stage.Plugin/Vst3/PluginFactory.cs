using System.Runtime.InteropServices;
using Stage.Plugin.EngineLink;

namespace Stage.Plugin.Vst3;

/// <summary>
/// IPluginFactory3 (and so 2 and 1): lists Stage's two classes — the audio processor and its edit
/// controller — and creates them. One factory per process; every GetPluginFactory hands the host a
/// reference it releases, and this class keeps its own so the factory lives as long as the module.
/// </summary>
sealed unsafe class PluginFactory : ComObject
{
    public const string Vendor = "Stage";
    public const string Url = "https://github.com/stage-audio/stage";
    public const string Email = "stage@example.invalid";
    public const string SdkVersion = "VST 3.7.14";
    public static string Version => typeof(PluginFactory).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    static readonly nint vtable = Vtable.Create(10, v =>
    {
        v[3] = (nint)(delegate* unmanaged<void*, PFactoryInfo*, int>)&GetFactoryInfo;
        v[4] = (nint)(delegate* unmanaged<void*, int>)&CountClasses;
        v[5] = (nint)(delegate* unmanaged<void*, int, PClassInfo*, int>)&GetClassInfo;
        v[6] = (nint)(delegate* unmanaged<void*, byte*, byte*, void**, int>)&CreateInstance;
        v[7] = (nint)(delegate* unmanaged<void*, int, PClassInfo2*, int>)&GetClassInfo2;
        v[8] = (nint)(delegate* unmanaged<void*, int, PClassInfoW*, int>)&GetClassInfoUnicode;
        v[9] = (nint)(delegate* unmanaged<void*, void*, int>)&SetHostContext;
    });

    static PluginFactory? instance;

    PluginFactory() : base([vtable]) { }

    /// <summary>The factory with one reference added for the caller.</summary>
    public static void* Acquire()
    {
        var f = LazyInitializer.EnsureInitialized(ref instance, () => new PluginFactory());
        f.AddRef();
        return f.Slot(0);
    }

    protected override int SlotFor(byte* iid) =>
        Iids.FUnknown.Matches(iid) || Iids.IPluginFactory.Matches(iid) || Iids.IPluginFactory2.Matches(iid) || Iids.IPluginFactory3.Matches(iid) ? 0 : -1;

    record ClassEntry(Uid Cid, string Category, string Name, string SubCategories, uint Flags);

    static readonly ClassEntry[] classes =
    [
        new(Iids.ProcessorClass, "Audio Module Class", "Stage", "Fx|Generator", 1 /* kDistributable */),
        new(Iids.ControllerClass, "Component Controller Class", "Stage Controller", "", 0),
    ];

    [UnmanagedCallersOnly]
    static int GetFactoryInfo(void* self, PFactoryInfo* info)
    {
        try { return GetFactoryInfoCore(info); }
        catch (Exception e) { PluginLog.Failure("GetFactoryInfo", e); return Result.InternalError; }
    }

    static int GetFactoryInfoCore(PFactoryInfo* info)
    {
        if (info == null) return Result.InvalidArgument;
        *info = default;
        FixedString.Ascii(info->Vendor, 64, Vendor);
        FixedString.Ascii(info->Url, 256, Url);
        FixedString.Ascii(info->Email, 128, Email);
        info->Flags = PFactoryInfo.Unicode;
        return Result.Ok;
    }

    [UnmanagedCallersOnly]
    static int CountClasses(void* self) => classes.Length;

    [UnmanagedCallersOnly]
    static int GetClassInfo(void* self, int index, PClassInfo* info)
    {
        try { return GetClassInfoCore(index, info); }
        catch (Exception e) { PluginLog.Failure("GetClassInfo", e); return Result.InternalError; }
    }

    static int GetClassInfoCore(int index, PClassInfo* info)
    {
        if (info == null || (uint)index >= (uint)classes.Length) return Result.InvalidArgument;
        var c = classes[index];
        *info = default;
        c.Cid.CopyTo(info->Cid);
        info->Cardinality = PClassInfo.ManyInstances;
        FixedString.Ascii(info->Category, 32, c.Category);
        FixedString.Ascii(info->Name, 64, c.Name);
        return Result.Ok;
    }

    [UnmanagedCallersOnly]
    static int GetClassInfo2(void* self, int index, PClassInfo2* info)
    {
        try { return GetClassInfo2Core(index, info); }
        catch (Exception e) { PluginLog.Failure("GetClassInfo2", e); return Result.InternalError; }
    }

    static int GetClassInfo2Core(int index, PClassInfo2* info)
    {
        if (info == null || (uint)index >= (uint)classes.Length) return Result.InvalidArgument;
        var c = classes[index];
        *info = default;
        c.Cid.CopyTo(info->Cid);
        info->Cardinality = PClassInfo.ManyInstances;
        FixedString.Ascii(info->Category, 32, c.Category);
        FixedString.Ascii(info->Name, 64, c.Name);
        info->ClassFlags = c.Flags;
        FixedString.Ascii(info->SubCategories, 128, c.SubCategories);
        FixedString.Ascii(info->Vendor, 64, Vendor);
        FixedString.Ascii(info->Version, 64, Version);
        FixedString.Ascii(info->SdkVersion, 64, SdkVersion);
        return Result.Ok;
    }

    [UnmanagedCallersOnly]
    static int GetClassInfoUnicode(void* self, int index, PClassInfoW* info)
    {
        try { return GetClassInfoUnicodeCore(index, info); }
        catch (Exception e) { PluginLog.Failure("GetClassInfoUnicode", e); return Result.InternalError; }
    }

    static int GetClassInfoUnicodeCore(int index, PClassInfoW* info)
    {
        if (info == null || (uint)index >= (uint)classes.Length) return Result.InvalidArgument;
        var c = classes[index];
        *info = default;
        c.Cid.CopyTo(info->Cid);
        info->Cardinality = PClassInfo.ManyInstances;
        FixedString.Ascii(info->Category, 32, c.Category);
        FixedString.Utf16(info->Name, 64, c.Name);
        info->ClassFlags = c.Flags;
        FixedString.Ascii(info->SubCategories, 128, c.SubCategories);
        FixedString.Utf16(info->Vendor, 64, Vendor);
        FixedString.Utf16(info->Version, 64, Version);
        FixedString.Utf16(info->SdkVersion, 64, SdkVersion);
        return Result.Ok;
    }

    [UnmanagedCallersOnly]
    static int CreateInstance(void* self, byte* cid, byte* iid, void** obj)
    {
        if (obj == null) return Result.InvalidArgument;
        *obj = null;
        try
        {
            ComObject created;
            if (Iids.ProcessorClass.Matches(cid)) created = new ProcessorComponent();
            else if (Iids.ControllerClass.Matches(cid)) created = new EditController();
            else return Result.NoInterface;
            int r = created.QueryInterface(iid, obj);
            created.Release();   // the host's reference (from QueryInterface) is the only one left
            return r;
        }
        catch (Exception e)
        {
            PluginLog.Failure("createInstance", e);
            return Result.InternalError;
        }
    }

    [UnmanagedCallersOnly]
    static int SetHostContext(void* self, void* context) => Result.Ok;
}
