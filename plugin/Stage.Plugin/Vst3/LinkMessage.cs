using System.Runtime.InteropServices;
using Stage.Plugin.EngineLink;

namespace Stage.Plugin.Vst3;

/// <summary>
/// Stage's own IMessage with an IAttributeList holding integers: how the processor tells its controller
/// which processor it is (hosts forward notify() unchanged, possibly through a proxy). Only integer
/// attributes are supported; the other getters answer kResultFalse.
/// </summary>
sealed unsafe class LinkMessage : ComObject
{
    public const string ProcessorLinkId = "Stage.ProcessorLink";
    public const string ProcessorAttribute = "processor";

    static readonly nint messageVtable = Vtable.Create(6, v =>
    {
        v[3] = (nint)(delegate* unmanaged<void*, byte*>)&GetMessageId;
        v[4] = (nint)(delegate* unmanaged<void*, byte*, void>)&SetMessageId;
        v[5] = (nint)(delegate* unmanaged<void*, void*>)&GetAttributes;
    });

    static readonly nint attributesVtable = Vtable.Create(11, v =>
    {
        v[3] = (nint)(delegate* unmanaged<void*, byte*, long, int>)&SetInt;
        v[4] = (nint)(delegate* unmanaged<void*, byte*, long*, int>)&GetInt;
        v[5] = (nint)(delegate* unmanaged<void*, byte*, double, int>)&SetFloat;
        v[6] = (nint)(delegate* unmanaged<void*, byte*, double*, int>)&GetFloat;
        v[7] = (nint)(delegate* unmanaged<void*, byte*, char*, int>)&SetString;
        v[8] = (nint)(delegate* unmanaged<void*, byte*, char*, uint, int>)&GetString;
        v[9] = (nint)(delegate* unmanaged<void*, byte*, void*, uint, int>)&SetBinary;
        v[10] = (nint)(delegate* unmanaged<void*, byte*, void**, uint*, int>)&GetBinary;
    });

    readonly Dictionary<string, long> integers = [];
    nint id;

    public LinkMessage(string messageId) : base([messageVtable, attributesVtable]) => SetId(messageId);

    void SetId(string? messageId)
    {
        if (id != 0) Marshal.FreeCoTaskMem(id);
        id = messageId == null ? 0 : Marshal.StringToCoTaskMemUTF8(messageId);
    }

    public void SetInt(string name, long value) => integers[name] = value;

    protected override int SlotFor(byte* iid) =>
        Iids.FUnknown.Matches(iid) || Iids.IMessage.Matches(iid) ? 0 : Iids.IAttributeList.Matches(iid) ? 1 : -1;

    protected override void OnFinalRelease() => SetId(null);

    static LinkMessage Of(void* self) => From<LinkMessage>(self);
    static string? Name(byte* p) => p == null ? null : Marshal.PtrToStringUTF8((nint)p);

    [UnmanagedCallersOnly]
    static byte* GetMessageId(void* self)
    {
        try { return (byte*)Of(self).id; }
        catch (Exception e) { PluginLog.Failure("getMessageID", e); return null; }
    }

    [UnmanagedCallersOnly]
    static void SetMessageId(void* self, byte* messageId)
    {
        try { Of(self).SetId(Name(messageId)); }
        catch (Exception e) { PluginLog.Failure("setMessageID", e); }
    }

    [UnmanagedCallersOnly]
    static void* GetAttributes(void* self)
    {
        try { return Of(self).Slot(1); }   // not AddRef'd, as in the SDK's host message
        catch (Exception e) { PluginLog.Failure("getAttributes", e); return null; }
    }

    [UnmanagedCallersOnly]
    static int SetInt(void* self, byte* name, long value)
    {
        try
        {
            if (Name(name) is not { } n) return Result.InvalidArgument;
            Of(self).integers[n] = value;
            return Result.Ok;
        }
        catch (Exception e) { PluginLog.Failure("setInt", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int GetInt(void* self, byte* name, long* value)
    {
        try
        {
            if (value == null || Name(name) is not { } n || !Of(self).integers.TryGetValue(n, out long v)) return Result.False;
            *value = v;
            return Result.Ok;
        }
        catch (Exception e) { PluginLog.Failure("getInt", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly] static int SetFloat(void* self, byte* name, double value) => Result.False;
    [UnmanagedCallersOnly] static int GetFloat(void* self, byte* name, double* value) => Result.False;
    [UnmanagedCallersOnly] static int SetString(void* self, byte* name, char* value) => Result.False;
    [UnmanagedCallersOnly] static int GetString(void* self, byte* name, char* value, uint sizeInBytes) => Result.False;
    [UnmanagedCallersOnly] static int SetBinary(void* self, byte* name, void* data, uint size) => Result.False;
    [UnmanagedCallersOnly] static int GetBinary(void* self, byte* name, void** data, uint* size) => Result.False;
}
