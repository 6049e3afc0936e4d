using System.Runtime.InteropServices;
using Stage.Plugin.EngineLink;

namespace Stage.Plugin.Vst3;

/// <summary>The side of IConnectionPoint (3 connect, 4 disconnect, 5 notify) both Stage objects implement.</summary>
unsafe interface IConnectionEndpoint
{
    int Connect(void* other);
    int Disconnect(void* other);
    int Notify(void* message);
}

static unsafe class ConnectionPoint
{
    public static readonly nint Vtable = Vst3.Vtable.Create(6, v =>
    {
        v[3] = (nint)(delegate* unmanaged<void*, void*, int>)&Connect;
        v[4] = (nint)(delegate* unmanaged<void*, void*, int>)&Disconnect;
        v[5] = (nint)(delegate* unmanaged<void*, void*, int>)&Notify;
    });

    static IConnectionEndpoint Endpoint(void* self) => (IConnectionEndpoint)ComObject.From<ComObject>(self);

    [UnmanagedCallersOnly]
    static int Connect(void* self, void* other)
    {
        try { return other == null ? Result.InvalidArgument : Endpoint(self).Connect(other); }
        catch (Exception e) { PluginLog.Failure("connect", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int Disconnect(void* self, void* other)
    {
        try { return Endpoint(self).Disconnect(other); }
        catch (Exception e) { PluginLog.Failure("disconnect", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int Notify(void* self, void* message)
    {
        try { return message == null ? Result.InvalidArgument : Endpoint(self).Notify(message); }
        catch (Exception e) { PluginLog.Failure("notify", e); return Result.InternalError; }
    }

    // ---- calling the other side (any FUnknown-derived object of the host or ours) ----

    public static uint AddRef(void* unknown) => ((delegate* unmanaged<void*, uint>)(*(void***)unknown)[1])(unknown);

    public static uint Release(void* unknown) => ((delegate* unmanaged<void*, uint>)(*(void***)unknown)[2])(unknown);

    public static int SendNotify(void* connectionPoint, void* message) =>
        ((delegate* unmanaged<void*, void*, int>)(*(void***)connectionPoint)[5])(connectionPoint, message);

    /// <summary>IMessage::getMessageID (slot 3) as a string, or null.</summary>
    public static string? MessageId(void* message)
    {
        var id = ((delegate* unmanaged<void*, byte*>)(*(void***)message)[3])(message);
        return id == null ? null : Marshal.PtrToStringUTF8((nint)id);
    }

    /// <summary>IMessage::getAttributes (slot 5) then IAttributeList::getInt (slot 4).</summary>
    public static bool TryGetInt(void* message, string attribute, out long value)
    {
        value = 0;
        var attributes = ((delegate* unmanaged<void*, void*>)(*(void***)message)[5])(message);
        return attributes != null && TryGetListInt(attributes, attribute, out value);
    }

    /// <summary>IAttributeList::getString (slot 8): UTF-16 text of at most <paramref name="maxChars"/> characters.</summary>
    public static bool TryGetListString(void* attributes, string attribute, int maxChars, out string value)
    {
        value = "";
        var buffer = stackalloc char[maxChars + 1];
        buffer[0] = '\0';
        var name = Marshal.StringToCoTaskMemUTF8(attribute);
        try
        {
            if (((delegate* unmanaged<void*, byte*, char*, uint, int>)(*(void***)attributes)[8])(attributes, (byte*)name, buffer, (uint)(maxChars * 2)) != Result.Ok) return false;
        }
        finally { Marshal.FreeCoTaskMem(name); }
        buffer[maxChars] = '\0';
        value = new string(buffer);
        return true;
    }

    /// <summary>IAttributeList::getInt (slot 4).</summary>
    public static bool TryGetListInt(void* attributes, string attribute, out long value)
    {
        value = 0;
        long v = 0;
        var name = Marshal.StringToCoTaskMemUTF8(attribute);
        try
        {
            if (((delegate* unmanaged<void*, byte*, long*, int>)(*(void***)attributes)[4])(attributes, (byte*)name, &v) != Result.Ok) return false;
        }
        finally { Marshal.FreeCoTaskMem(name); }
        value = v;
        return true;
    }
}
