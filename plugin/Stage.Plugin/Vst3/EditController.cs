using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Stage.Plugin.EngineLink;
using Stage.Plugin.Processing;

namespace Stage.Plugin.Vst3;

/// <summary>
/// Stage's edit controller: IEditController (parameters, display strings, the processor's state via
/// setComponentState) and IConnectionPoint. No editor view: hosts show their generic parameter UI.
/// Once connected, the processor tells it which processor it is, so the Status parameter reads the
/// engine link's full sentence (including the exported WAV's path) rather than only the status kind.
/// </summary>
sealed unsafe class EditController : ComObject, IConnectionEndpoint
{
    const int ControllerSlot = 0, ConnectionSlot = 1, InfoListenerSlot = 2;
    const uint ControllerMagic = 0x43475453;   // "STGC"
    const ushort ControllerVersion = 1;

    readonly ParameterValues values = new();
    void* peer;
    void* componentHandler;
    readonly Lock handlerGate = new();
    long processorLink;
    TrackInfo track = new(null, null);

    public EditController() : base([ControllerVtable, ConnectionPoint.Vtable, InfoListenerVtable]) { }

    protected override int SlotFor(byte* iid)
    {
        if (Iids.FUnknown.Matches(iid) || Iids.IPluginBase.Matches(iid) || Iids.IEditController.Matches(iid)) return ControllerSlot;
        if (Iids.IConnectionPoint.Matches(iid)) return ConnectionSlot;
        if (Iids.IInfoListener.Matches(iid)) return InfoListenerSlot;
        return -1;
    }

    protected override void OnFinalRelease()
    {
        Unlink();
        if (peer != null) { ConnectionPoint.Release(peer); peer = null; }
        lock (handlerGate)
            if (componentHandler != null) { ConnectionPoint.Release(componentHandler); componentHandler = null; }
    }

    StagePlugin? LinkedProcessor =>
        processorLink != 0 && ProcessorComponent.Linked.TryGetValue(processorLink, out var p) ? p : null;

    // ---- IEditController ----

    int SetComponentState(void* stream)
    {
        if (stream == null) return Result.InvalidArgument;
        try { PluginState.Deserialize(new HostStream(stream).ReadToEnd()).ApplyTo(values); }
        catch (InvalidDataException e)
        {
            PluginLog.Write($"setComponentState: ignored a saved state: {e.Message}");
            return Result.False;
        }
        return Result.Ok;
    }

    /// <summary>The controller keeps nothing of its own beyond a versioned header.</summary>
    static int SetState(void* stream)
    {
        if (stream == null) return Result.InvalidArgument;
        Span<byte> header = stackalloc byte[6];
        int read = new HostStream(stream).Read(header);
        if (read == 0) return Result.Ok;
        if (read < 6 || BinaryPrimitives.ReadUInt32LittleEndian(header) != ControllerMagic
            || BinaryPrimitives.ReadUInt16LittleEndian(header[4..]) > ControllerVersion) return Result.False;
        return Result.Ok;
    }

    static int GetState(void* stream)
    {
        if (stream == null) return Result.InvalidArgument;
        Span<byte> header = stackalloc byte[6];
        BinaryPrimitives.WriteUInt32LittleEndian(header, ControllerMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], ControllerVersion);
        return new HostStream(stream).Write(header) ? Result.Ok : Result.False;
    }

    static int GetParameterInfo(int index, ParameterInfo* info)
    {
        if (info == null || (uint)index >= (uint)StageParameters.Count) return Result.InvalidArgument;
        var spec = StageParameters.All[index];
        *info = default;
        info->Id = (uint)spec.Id;
        FixedString.Utf16(info->Title, 128, spec.Name);
        FixedString.Utf16(info->ShortTitle, 128, spec.ShortName);
        FixedString.Utf16(info->Units, 128, spec.Units);
        info->StepCount = spec.StepCount;
        info->DefaultNormalizedValue = spec.DefaultNormalized;
        info->UnitId = 0;
        info->Flags = spec.IsReadOnly ? ParameterInfo.IsReadOnly : ParameterInfo.CanAutomate;
        if (spec.Kind == ParameterKind.List) info->Flags |= ParameterInfo.IsList;
        return Result.Ok;
    }

    int GetParamStringByValue(uint id, double normalized, char* text)
    {
        if (text == null || !StageParameters.IsKnown(id)) return Result.InvalidArgument;
        var spec = StageParameters.All[id];
        string display = spec.Display(normalized);
        if (spec.Id == ParameterId.Status && LinkedProcessor is { } p && p.Status.Kind == (StatusKind)(int)spec.ToPlain(normalized))
            display = p.Status.Text;
        FixedString.Utf16(text, 128, display);
        return Result.Ok;
    }

    static int GetParamValueByString(uint id, char* text, double* normalized)
    {
        if (text == null || normalized == null || !StageParameters.IsKnown(id)) return Result.InvalidArgument;
        if (!StageParameters.All[id].TryParse(FixedString.ReadUtf16(text, 128), out double v)) return Result.False;
        *normalized = v;
        return Result.Ok;
    }

    double GetParamNormalized(uint id)
    {
        if (!StageParameters.IsKnown(id)) return 0;
        if (id == (uint)ParameterId.Status && LinkedProcessor is { } p)
            return StageParameters.Get(ParameterId.Status).ToNormalized((int)p.Status.Kind);
        return values[(ParameterId)id];
    }

    int SetParamNormalized(uint id, double normalized)
    {
        if (!StageParameters.IsKnown(id) || !double.IsFinite(normalized)) return Result.InvalidArgument;
        values[(ParameterId)id] = normalized;
        return Result.Ok;
    }

    int SetComponentHandler(void* handler)
    {
        lock (handlerGate)
        {
            if (componentHandler == handler) return Result.Ok;
            if (handler != null) ConnectionPoint.AddRef(handler);
            if (componentHandler != null) ConnectionPoint.Release(componentHandler);
            componentHandler = handler;
        }
        return Result.Ok;
    }

    /// <summary>
    /// A parameter changed on the control room (the engine link's thread): the controller takes the value and
    /// tells the host through IComponentHandler begin/perform/endEdit (slots 3, 4, 5), as a knob turned in an
    /// editor would, so the host's controls, automation and undo follow.
    /// </summary>
    void PerformEdit(ParameterId id, double normalized)
    {
        values[id] = normalized;
        lock (handlerGate)
        {
            var handler = componentHandler;
            if (handler == null) return;
            var vtable = *(void***)handler;
            ((delegate* unmanaged<void*, uint, int>)vtable[3])(handler, (uint)id);
            ((delegate* unmanaged<void*, uint, double, int>)vtable[4])(handler, (uint)id, normalized);
            ((delegate* unmanaged<void*, uint, int>)vtable[5])(handler, (uint)id);
        }
    }

    // ---- IInfoListener (the host's track: name and colour) ----

    int SetChannelContextInfos(void* list)
    {
        if (list == null) return Result.InvalidArgument;
        string? name = ConnectionPoint.TryGetListString(list, "channel name", 128, out var n) ? n : null;
        uint? colour = ConnectionPoint.TryGetListInt(list, "channel color", out long c) ? (uint)c : null;
        track = new TrackInfo(name, colour);
        if (LinkedProcessor is { } p) p.Track = track;
        PluginLog.Write($"the host says the track is '{name}' (colour {(colour is { } k ? $"#{k:X8}" : "none")})");
        return Result.Ok;
    }

    void Unlink()
    {
        if (LinkedProcessor is { } p && p.HostEdit == (Action<ParameterId, double>)PerformEdit) p.HostEdit = null;
    }

    // ---- IConnectionPoint ----

    public int Connect(void* other)
    {
        if (peer != null) ConnectionPoint.Release(peer);
        peer = other;
        ConnectionPoint.AddRef(other);
        return Result.Ok;
    }

    public int Disconnect(void* other)
    {
        Unlink();
        if (peer != null) { ConnectionPoint.Release(peer); peer = null; }
        processorLink = 0;
        return Result.Ok;
    }

    public int Notify(void* message)
    {
        if (ConnectionPoint.MessageId(message) == LinkMessage.ProcessorLinkId
            && ConnectionPoint.TryGetInt(message, LinkMessage.ProcessorAttribute, out long link))
        {
            processorLink = link;
            if (LinkedProcessor is { } p)
            {
                p.HostEdit = PerformEdit;
                if (track.Name != null || track.Colour != null) p.Track = track;
            }
        }
        return Result.Ok;
    }

    // ---- vtable and thunks ----

    static EditController Of(void* self) => From<EditController>(self);

    static readonly nint ControllerVtable = Vtable.Create(18, v =>
    {
        v[3] = (nint)(delegate* unmanaged<void*, void*, int>)&InitializeThunk;
        v[4] = (nint)(delegate* unmanaged<void*, int>)&TerminateThunk;
        v[5] = (nint)(delegate* unmanaged<void*, void*, int>)&SetComponentStateThunk;
        v[6] = (nint)(delegate* unmanaged<void*, void*, int>)&SetStateThunk;
        v[7] = (nint)(delegate* unmanaged<void*, void*, int>)&GetStateThunk;
        v[8] = (nint)(delegate* unmanaged<void*, int>)&GetParameterCountThunk;
        v[9] = (nint)(delegate* unmanaged<void*, int, ParameterInfo*, int>)&GetParameterInfoThunk;
        v[10] = (nint)(delegate* unmanaged<void*, uint, double, char*, int>)&GetParamStringByValueThunk;
        v[11] = (nint)(delegate* unmanaged<void*, uint, char*, double*, int>)&GetParamValueByStringThunk;
        v[12] = (nint)(delegate* unmanaged<void*, uint, double, double>)&NormalizedParamToPlainThunk;
        v[13] = (nint)(delegate* unmanaged<void*, uint, double, double>)&PlainParamToNormalizedThunk;
        v[14] = (nint)(delegate* unmanaged<void*, uint, double>)&GetParamNormalizedThunk;
        v[15] = (nint)(delegate* unmanaged<void*, uint, double, int>)&SetParamNormalizedThunk;
        v[16] = (nint)(delegate* unmanaged<void*, void*, int>)&SetComponentHandlerThunk;
        v[17] = (nint)(delegate* unmanaged<void*, byte*, void*>)&CreateViewThunk;
    });

    [UnmanagedCallersOnly] static int InitializeThunk(void* self, void* context) => Result.Ok;
    [UnmanagedCallersOnly] static int TerminateThunk(void* self) => Result.Ok;

    [UnmanagedCallersOnly]
    static int SetComponentStateThunk(void* self, void* stream)
    {
        try { return Of(self).SetComponentState(stream); }
        catch (Exception e) { PluginLog.Failure("setComponentState", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int SetStateThunk(void* self, void* stream)
    {
        try { return SetState(stream); }
        catch (Exception e) { PluginLog.Failure("IEditController.setState", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int GetStateThunk(void* self, void* stream)
    {
        try { return GetState(stream); }
        catch (Exception e) { PluginLog.Failure("IEditController.getState", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly] static int GetParameterCountThunk(void* self) => StageParameters.Count;

    [UnmanagedCallersOnly]
    static int GetParameterInfoThunk(void* self, int index, ParameterInfo* info)
    {
        try { return GetParameterInfo(index, info); }
        catch (Exception e) { PluginLog.Failure("getParameterInfo", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int GetParamStringByValueThunk(void* self, uint id, double normalized, char* text)
    {
        try { return Of(self).GetParamStringByValue(id, normalized, text); }
        catch (Exception e) { PluginLog.Failure("getParamStringByValue", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int GetParamValueByStringThunk(void* self, uint id, char* text, double* normalized)
    {
        try { return GetParamValueByString(id, text, normalized); }
        catch (Exception e) { PluginLog.Failure("getParamValueByString", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static double NormalizedParamToPlainThunk(void* self, uint id, double normalized) =>
        StageParameters.IsKnown(id) ? StageParameters.All[id].ToPlain(normalized) : 0;

    [UnmanagedCallersOnly]
    static double PlainParamToNormalizedThunk(void* self, uint id, double plain) =>
        StageParameters.IsKnown(id) ? StageParameters.All[id].ToNormalized(plain) : 0;

    [UnmanagedCallersOnly]
    static double GetParamNormalizedThunk(void* self, uint id)
    {
        try { return Of(self).GetParamNormalized(id); }
        catch (Exception e) { PluginLog.Failure("getParamNormalized", e); return 0; }
    }

    [UnmanagedCallersOnly]
    static int SetParamNormalizedThunk(void* self, uint id, double normalized)
    {
        try { return Of(self).SetParamNormalized(id, normalized); }
        catch (Exception e) { PluginLog.Failure("setParamNormalized", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int SetComponentHandlerThunk(void* self, void* handler)
    {
        try { return Of(self).SetComponentHandler(handler); }
        catch (Exception e) { PluginLog.Failure("setComponentHandler", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly] static void* CreateViewThunk(void* self, byte* name) => null;

    static readonly nint InfoListenerVtable = Vtable.Create(4, v =>
    {
        v[3] = (nint)(delegate* unmanaged<void*, void*, int>)&SetChannelContextInfosThunk;
    });

    [UnmanagedCallersOnly]
    static int SetChannelContextInfosThunk(void* self, void* list)
    {
        try { return Of(self).SetChannelContextInfos(list); }
        catch (Exception e) { PluginLog.Failure("setChannelContextInfos", e); return Result.InternalError; }
    }
}
