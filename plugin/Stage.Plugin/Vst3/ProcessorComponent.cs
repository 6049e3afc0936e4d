using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Stage.Plugin.EngineLink;
using Stage.Plugin.Processing;

namespace Stage.Plugin.Vst3;

/// <summary>
/// Stage's audio processor as the host sees it: IComponent, IAudioProcessor,
/// IProcessContextRequirements and IConnectionPoint over one <see cref="StagePlugin"/>. Buses: a stereo
/// main input, a stereo sidechain (aux) input that, when the host feeds it, is what Capture records, and
/// a stereo main output. The engine link's thread starts on the first activation and stops on terminate.
/// </summary>
sealed unsafe class ProcessorComponent : ComObject, IConnectionEndpoint
{
    const int ComponentSlot = 0, ProcessorSlot = 1, RequirementsSlot = 2, ConnectionSlot = 3;

    /// <summary>Processors by link id, so a controller told the id over IConnectionPoint can read status.</summary>
    public static readonly ConcurrentDictionary<long, StagePlugin> Linked = new();
    static long nextLinkId;

    readonly StagePlugin plugin = new();
    readonly long linkId = Interlocked.Increment(ref nextLinkId);
    EngineConnection? engine;
    double sampleRate = 44100;
    float[] silence = new float[8192], scratch = new float[8192];
    bool sidechainActive;
    void* peer;
    StatusKind reportedStatus = StatusKind.Ready;

    public ProcessorComponent() : base([ComponentVtable, ProcessorVtable, RequirementsVtable, ConnectionPoint.Vtable])
    {
        Linked[linkId] = plugin;
    }

    protected override int SlotFor(byte* iid)
    {
        if (Iids.FUnknown.Matches(iid) || Iids.IPluginBase.Matches(iid) || Iids.IComponent.Matches(iid)) return ComponentSlot;
        if (Iids.IAudioProcessor.Matches(iid)) return ProcessorSlot;
        if (Iids.IProcessContextRequirements.Matches(iid)) return RequirementsSlot;
        if (Iids.IConnectionPoint.Matches(iid)) return ConnectionSlot;
        return -1;
    }

    protected override void OnFinalRelease()
    {
        Linked.TryRemove(linkId, out _);
        engine?.Dispose();
        engine = null;
        if (peer != null) { ConnectionPoint.Release(peer); peer = null; }
    }

    // ---- IPluginBase / IComponent ----

    int Initialize(void* context) => Result.Ok;

    int Terminate()
    {
        engine?.Dispose();
        engine = null;
        return Result.Ok;
    }

    static int GetBusCount(int mediaType, int direction) =>
        mediaType != MediaType.Audio ? 0 : direction == BusDirection.Input ? 2 : 1;

    int GetBusInfo(int mediaType, int direction, int index, BusInfo* info)
    {
        if (info == null || mediaType != MediaType.Audio || index < 0 || index >= GetBusCount(mediaType, direction)) return Result.InvalidArgument;
        *info = default;
        info->MediaType = MediaType.Audio;
        info->Direction = direction;
        info->ChannelCount = 2;
        bool sidechain = direction == BusDirection.Input && index == 1;
        FixedString.Utf16(info->Name, 128, direction == BusDirection.Output ? "Output" : sidechain ? "Sidechain" : "Input");
        info->BusType = sidechain ? BusInfo.Aux : BusInfo.Main;
        info->Flags = sidechain ? 0 : BusInfo.DefaultActive;
        return Result.Ok;
    }

    int ActivateBus(int mediaType, int direction, int index, byte state)
    {
        if (mediaType != MediaType.Audio || index < 0 || index >= GetBusCount(mediaType, direction)) return Result.InvalidArgument;
        if (direction == BusDirection.Input && index == 1) sidechainActive = state != 0;
        return Result.Ok;
    }

    int SetActive(byte state)
    {
        if (state != 0)
        {
            plugin.PrepareCapture(sampleRate);
            engine ??= new EngineConnection(plugin);
        }
        return Result.Ok;
    }

    int SetState(void* stream)
    {
        if (stream == null) return Result.InvalidArgument;
        byte[] data = new HostStream(stream).ReadToEnd();
        PluginState state;
        try { state = PluginState.Deserialize(data); }
        catch (InvalidDataException e)
        {
            PluginLog.Write($"setState: ignored a saved state: {e.Message}");
            return Result.False;
        }
        state.ApplyTo(plugin.Parameters);
        plugin.LastStem = state.Stem;
        plugin.Prompt = state.Prompt;
        // A duplicated track carries a copy of this state: the copy gets an id of its own, or both would share one card.
        if (state.InstanceId != null && !Linked.Values.Any(p => p != plugin && p.InstanceId == state.InstanceId)) plugin.InstanceId = state.InstanceId;
        if (state.Stem != null)
        {
            engine ??= new EngineConnection(plugin);
            engine.Reload(state.Stem);
        }
        return Result.Ok;
    }

    int GetState(void* stream)
    {
        if (stream == null) return Result.InvalidArgument;
        var bytes = PluginState.Capture(plugin.Parameters, plugin.LastStem, plugin.Prompt, plugin.InstanceId).Serialize();
        return new HostStream(stream).Write(bytes) ? Result.Ok : Result.False;
    }

    // ---- IAudioProcessor ----

    static int SetBusArrangements(ulong* inputs, int inputCount, ulong* outputs, int outputCount)
    {
        if (inputCount < 1 || inputCount > 2 || outputCount != 1 || inputs == null || outputs == null) return Result.False;
        for (int i = 0; i < inputCount; i++) if (inputs[i] != SpeakerArrangement.Stereo) return Result.False;
        return outputs[0] == SpeakerArrangement.Stereo ? Result.Ok : Result.False;
    }

    static int GetBusArrangement(int direction, int index, ulong* arrangement)
    {
        if (arrangement == null || index < 0 || index >= GetBusCount(MediaType.Audio, direction)) return Result.InvalidArgument;
        *arrangement = SpeakerArrangement.Stereo;
        return Result.Ok;
    }

    int SetupProcessing(ProcessSetup* setup)
    {
        if (setup == null) return Result.InvalidArgument;
        if (setup->SymbolicSampleSize != 0) return Result.False;
        sampleRate = setup->SampleRate;
        plugin.HostSampleRate = sampleRate;
        int block = Math.Max(1, setup->MaxSamplesPerBlock);
        if (silence.Length < block) { silence = new float[block]; scratch = new float[block]; }
        return Result.Ok;
    }

    /// <summary>The audio thread. No allocation, no locks, no I/O.</summary>
    int Process(ProcessData* data)
    {
        if (data == null) return Result.InvalidArgument;
        int n = data->NumSamples;
        ReadParameterChanges(new HostParameterChanges(data->InputParameterChanges), n);
        var output = new HostParameterChanges(data->OutputParameterChanges);
        int next = 0;   // the first point not applied yet

        bool generated = false;
        if (n > 0 && data->NumOutputs > 0 && data->Outputs != null && data->SymbolicSampleSize == 0
            && data->Outputs->NumChannels >= 1 && data->Outputs->ChannelBuffers32 != null && data->Outputs->ChannelBuffers32[0] != null)
        {
            var outBus = data->Outputs;
            var outL = new Span<float>(outBus->ChannelBuffers32[0], n);
            bool stereoOut = outBus->NumChannels >= 2 && outBus->ChannelBuffers32[1] != null;
            var outR = stereoOut ? new Span<float>(outBus->ChannelBuffers32[1], n) : default;
            ReadOnlySpan<float> inL = default, inR = default, sideL = default, sideR = default;
            if (data->NumInputs > 0 && data->Inputs != null) Channels(&data->Inputs[0], n, ref inL, ref inR);
            if (sidechainActive && data->NumInputs > 1 && data->Inputs != null) Channels(&data->Inputs[1], n, ref sideL, ref sideR);
            bool input = inL.Length == n, side = sideL.Length == n && sideR.Length == n;
            var transport = TransportOf(data->ProcessContext);
            // Sample accuracy: the block is split where parameter points fall, and into pieces no longer than
            // the silence/scratch buffers (a host may send more than setupProcessing promised).
            for (int start = 0; start < n;)
            {
                while (next < pointCount && points[next].Offset <= start) Apply(next++);
                int end = Math.Min(next < pointCount ? points[next].Offset : n, start + silence.Length);
                int length = end - start;
                generated |= plugin.Process(
                    input ? inL[start..end] : silence.AsSpan(0, length), input ? inR[start..end] : silence.AsSpan(0, length),
                    side ? sideL[start..end] : default, side ? sideR[start..end] : default,
                    outL[start..end], stereoOut ? outR[start..end] : scratch.AsSpan(0, length), transport.Advance(start));
                start = end;
            }
            outBus->SilenceFlags = 0;
        }

        while (next < pointCount) Apply(next++);   // no audio this call (a flush): the values still count
        pointCount = 0;

        if (generated)
        {
            plugin.SetParameter(ParameterId.Generate, 0);   // momentary: the press has been taken
            output.Add((uint)ParameterId.Generate, 0, 0);
        }
        if (plugin.Parameters[ParameterId.OpenControlRoom] >= 0.5)
        {
            plugin.SetParameter(ParameterId.OpenControlRoom, 0);   // momentary, as Generate
            output.Add((uint)ParameterId.OpenControlRoom, 0, 0);
        }
        var status = plugin.Status.Kind;
        if (status != reportedStatus && output.Add((uint)ParameterId.Status, 0, StageParameters.Get(ParameterId.Status).ToNormalized((int)status)))
            reportedStatus = status;
        return Result.Ok;
    }

    /// <summary>A bus's channels as left/right; a mono bus feeds both. Unusable buses leave the arguments as they are.</summary>
    static void Channels(AudioBusBuffers* bus, int n, ref ReadOnlySpan<float> left, ref ReadOnlySpan<float> right)
    {
        if (bus->NumChannels < 1 || bus->ChannelBuffers32 == null || bus->ChannelBuffers32[0] == null) return;
        left = new ReadOnlySpan<float>(bus->ChannelBuffers32[0], n);
        right = bus->NumChannels >= 2 && bus->ChannelBuffers32[1] != null ? new ReadOnlySpan<float>(bus->ChannelBuffers32[1], n) : left;
    }

    /// <summary>One automation point of this block, in the order the block plays them.</summary>
    struct ParameterPoint
    {
        public int Offset;
        public ParameterId Id;
        public double Value;
    }

    const int MaxPointsPerBlock = 1024;
    readonly ParameterPoint[] points = new ParameterPoint[MaxPointsPerBlock];
    int pointCount;

    /// <summary>Collects every point of every queue, sorted by sample offset (stable per queue order).</summary>
    void ReadParameterChanges(HostParameterChanges changes, int blockLength)
    {
        pointCount = 0;
        int count = changes.Count;
        for (int i = 0; i < count; i++)
        {
            var queue = changes[i];
            if (queue.IsNull) continue;
            uint id = queue.ParameterId;
            if (!StageParameters.IsKnown(id)) continue;
            int n = queue.PointCount;
            for (int p = 0; p < n; p++)
            {
                if (!queue.TryGetPoint(p, out int offset, out double value) || !double.IsFinite(value)) continue;
                var point = new ParameterPoint { Offset = Math.Clamp(offset, 0, Math.Max(0, blockLength - 1)), Id = (ParameterId)id, Value = value };
                if (pointCount == points.Length) { plugin.SetParameter(point.Id, point.Value); continue; }   // too many: apply at once
                int at = pointCount++;
                while (at > 0 && points[at - 1].Offset > point.Offset) { points[at] = points[at - 1]; at--; }
                points[at] = point;
            }
        }
    }

    void Apply(int index) => plugin.SetParameter(points[index].Id, points[index].Value);

    Transport TransportOf(ProcessContext* c)
    {
        if (c == null) return Transport.None(sampleRate);
        uint s = c->State;
        return Transport.FromHost(
            playing: (s & ProcessContext.Playing) != 0,
            sampleRate: c->SampleRate > 0 ? c->SampleRate : sampleRate,
            projectTimeSamples: c->ProjectTimeSamples,
            ppqValid: (s & ProcessContext.ProjectTimeMusicValid) != 0, ppq: c->ProjectTimeMusic,
            tempoValid: (s & ProcessContext.TempoValid) != 0, tempo: c->Tempo,
            meterValid: (s & ProcessContext.TimeSigValid) != 0, numerator: c->TimeSigNumerator, denominator: c->TimeSigDenominator);
    }

    // ---- IConnectionPoint ----

    public int Connect(void* other)
    {
        if (peer != null) ConnectionPoint.Release(peer);
        peer = other;
        ConnectionPoint.AddRef(other);
        var message = new LinkMessage(LinkMessage.ProcessorLinkId);
        try
        {
            message.SetInt(LinkMessage.ProcessorAttribute, linkId);
            ConnectionPoint.SendNotify(other, message.Slot(0));
        }
        finally { message.Release(); }
        return Result.Ok;
    }

    public int Disconnect(void* other)
    {
        if (peer != null) { ConnectionPoint.Release(peer); peer = null; }
        return Result.Ok;
    }

    public int Notify(void* message) => Result.Ok;

    // ---- vtables and thunks ----

    static ProcessorComponent Of(void* self) => From<ProcessorComponent>(self);

    static readonly nint ComponentVtable = Vtable.Create(14, v =>
    {
        v[3] = (nint)(delegate* unmanaged<void*, void*, int>)&InitializeThunk;
        v[4] = (nint)(delegate* unmanaged<void*, int>)&TerminateThunk;
        v[5] = (nint)(delegate* unmanaged<void*, byte*, int>)&GetControllerClassIdThunk;
        v[6] = (nint)(delegate* unmanaged<void*, int, int>)&SetIoModeThunk;
        v[7] = (nint)(delegate* unmanaged<void*, int, int, int>)&GetBusCountThunk;
        v[8] = (nint)(delegate* unmanaged<void*, int, int, int, BusInfo*, int>)&GetBusInfoThunk;
        v[9] = (nint)(delegate* unmanaged<void*, void*, void*, int>)&GetRoutingInfoThunk;
        v[10] = (nint)(delegate* unmanaged<void*, int, int, int, byte, int>)&ActivateBusThunk;
        v[11] = (nint)(delegate* unmanaged<void*, byte, int>)&SetActiveThunk;
        v[12] = (nint)(delegate* unmanaged<void*, void*, int>)&SetStateThunk;
        v[13] = (nint)(delegate* unmanaged<void*, void*, int>)&GetStateThunk;
    });

    static readonly nint ProcessorVtable = Vtable.Create(11, v =>
    {
        v[3] = (nint)(delegate* unmanaged<void*, ulong*, int, ulong*, int, int>)&SetBusArrangementsThunk;
        v[4] = (nint)(delegate* unmanaged<void*, int, int, ulong*, int>)&GetBusArrangementThunk;
        v[5] = (nint)(delegate* unmanaged<void*, int, int>)&CanProcessSampleSizeThunk;
        v[6] = (nint)(delegate* unmanaged<void*, uint>)&GetLatencySamplesThunk;
        v[7] = (nint)(delegate* unmanaged<void*, ProcessSetup*, int>)&SetupProcessingThunk;
        v[8] = (nint)(delegate* unmanaged<void*, byte, int>)&SetProcessingThunk;
        v[9] = (nint)(delegate* unmanaged<void*, ProcessData*, int>)&ProcessThunk;
        v[10] = (nint)(delegate* unmanaged<void*, uint>)&GetTailSamplesThunk;
    });

    static readonly nint RequirementsVtable = Vtable.Create(4, v =>
    {
        v[3] = (nint)(delegate* unmanaged<void*, uint>)&GetProcessContextRequirementsThunk;
    });

    [UnmanagedCallersOnly]
    static int InitializeThunk(void* self, void* context)
    {
        try { return Of(self).Initialize(context); }
        catch (Exception e) { PluginLog.Failure("IComponent.initialize", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int TerminateThunk(void* self)
    {
        try { return Of(self).Terminate(); }
        catch (Exception e) { PluginLog.Failure("IComponent.terminate", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int GetControllerClassIdThunk(void* self, byte* cid)
    {
        if (cid == null) return Result.InvalidArgument;
        Iids.ControllerClass.CopyTo(cid);
        return Result.Ok;
    }

    [UnmanagedCallersOnly]
    static int SetIoModeThunk(void* self, int mode) => Result.Ok;

    [UnmanagedCallersOnly]
    static int GetBusCountThunk(void* self, int mediaType, int direction) => GetBusCount(mediaType, direction);

    [UnmanagedCallersOnly]
    static int GetBusInfoThunk(void* self, int mediaType, int direction, int index, BusInfo* info)
    {
        try { return Of(self).GetBusInfo(mediaType, direction, index, info); }
        catch (Exception e) { PluginLog.Failure("getBusInfo", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int GetRoutingInfoThunk(void* self, void* input, void* output) => Result.False;

    [UnmanagedCallersOnly]
    static int ActivateBusThunk(void* self, int mediaType, int direction, int index, byte state)
    {
        try { return Of(self).ActivateBus(mediaType, direction, index, state); }
        catch (Exception e) { PluginLog.Failure("activateBus", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int SetActiveThunk(void* self, byte state)
    {
        try { return Of(self).SetActive(state); }
        catch (Exception e) { PluginLog.Failure("setActive", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int SetStateThunk(void* self, void* stream)
    {
        try { return Of(self).SetState(stream); }
        catch (Exception e) { PluginLog.Failure("IComponent.setState", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int GetStateThunk(void* self, void* stream)
    {
        try { return Of(self).GetState(stream); }
        catch (Exception e) { PluginLog.Failure("IComponent.getState", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int SetBusArrangementsThunk(void* self, ulong* inputs, int inputCount, ulong* outputs, int outputCount) =>
        SetBusArrangements(inputs, inputCount, outputs, outputCount);

    [UnmanagedCallersOnly]
    static int GetBusArrangementThunk(void* self, int direction, int index, ulong* arrangement) =>
        GetBusArrangement(direction, index, arrangement);

    [UnmanagedCallersOnly]
    static int CanProcessSampleSizeThunk(void* self, int symbolicSampleSize) => symbolicSampleSize == 0 ? Result.Ok : Result.False;

    [UnmanagedCallersOnly]
    static uint GetLatencySamplesThunk(void* self) => 0;

    [UnmanagedCallersOnly]
    static int SetupProcessingThunk(void* self, ProcessSetup* setup)
    {
        try { return Of(self).SetupProcessing(setup); }
        catch (Exception e) { PluginLog.Failure("setupProcessing", e); return Result.InternalError; }
    }

    [UnmanagedCallersOnly]
    static int SetProcessingThunk(void* self, byte state) => Result.Ok;

    [UnmanagedCallersOnly]
    static int ProcessThunk(void* self, ProcessData* data)
    {
        try { return Of(self).Process(data); }
        catch (Exception e)
        {
            PluginLog.Defer("process", e);
            try { PassInputThrough(data); } catch (Exception) { }
            return Result.InternalError;
        }
    }

    /// <summary>
    /// After a failure mid-block the outputs may still hold whatever the host left in them; the input passes
    /// through instead (silence where there is none), so the mix is never lost or replaced by garbage.
    /// </summary>
    static void PassInputThrough(ProcessData* data)
    {
        if (data == null || data->NumSamples <= 0 || data->SymbolicSampleSize != 0 || data->NumOutputs < 1 || data->Outputs == null) return;
        var outBus = data->Outputs;
        if (outBus->ChannelBuffers32 == null) return;
        int n = data->NumSamples;
        var inBus = data->NumInputs > 0 && data->Inputs != null && data->Inputs->ChannelBuffers32 != null && data->Inputs->NumChannels > 0
            ? data->Inputs : null;
        for (int c = 0; c < outBus->NumChannels; c++)
        {
            if (outBus->ChannelBuffers32[c] == null) continue;
            var output = new Span<float>(outBus->ChannelBuffers32[c], n);
            float* input = inBus == null ? null : inBus->ChannelBuffers32[Math.Min(c, inBus->NumChannels - 1)];
            if (input != null) new ReadOnlySpan<float>(input, n).CopyTo(output);
            else output.Clear();
        }
        outBus->SilenceFlags = 0;
    }

    /// <summary>The stem plays whatever the input does, so the plugin never stops by itself.</summary>
    [UnmanagedCallersOnly]
    static uint GetTailSamplesThunk(void* self) => uint.MaxValue;   // kInfiniteTail

    [UnmanagedCallersOnly]
    static uint GetProcessContextRequirementsThunk(void* self) =>
        (1u << 2) /* kNeedProjectTimeMusic */ | (1u << 6) /* kNeedTempo */ | (1u << 7) /* kNeedTimeSignature */ | (1u << 10) /* kNeedTransportState */;
}
