using System.Runtime.InteropServices;
using Stage.Plugin.EngineLink;

namespace Stage.Plugin.Vst3;

/// <summary>
/// Native vtables, allocated once per interface and never freed (the module is never unloaded).
/// Slots 0–2 are FUnknown's and shared by every interface: they forward to <see cref="ComObject"/>.
/// </summary>
static unsafe class Vtable
{
    public static nint Create(int slots, Action<nint[]> fill)
    {
        var entries = new nint[slots];
        entries[0] = (nint)(delegate* unmanaged<void*, byte*, void**, int>)&QueryInterface;
        entries[1] = (nint)(delegate* unmanaged<void*, uint>)&AddRef;
        entries[2] = (nint)(delegate* unmanaged<void*, uint>)&Release;
        fill(entries);
        var table = (nint*)NativeMemory.Alloc((nuint)(slots * sizeof(nint)));
        for (int i = 0; i < slots; i++)
        {
            if (entries[i] == 0) throw new InvalidOperationException($"vtable slot {i} of {slots} is empty");
            table[i] = entries[i];
        }
        return (nint)table;
    }

    [UnmanagedCallersOnly]
    static int QueryInterface(void* self, byte* iid, void** obj)
    {
        try { return ComObject.From<ComObject>(self).QueryInterface(iid, obj); }
        catch (Exception e) { PluginLog.Failure("queryInterface", e); if (obj != null) *obj = null; return Result.NoInterface; }
    }

    [UnmanagedCallersOnly]
    static uint AddRef(void* self)
    {
        try { return ComObject.From<ComObject>(self).AddRef(); }
        catch (Exception e) { PluginLog.Failure("addRef", e); return 1; }
    }

    [UnmanagedCallersOnly]
    static uint Release(void* self)
    {
        try { return ComObject.From<ComObject>(self).Release(); }
        catch (Exception e) { PluginLog.Failure("release", e); return 0; }
    }
}
