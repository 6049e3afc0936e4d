using static Stage.Plugin.Tests.Host.Vst3Module;

namespace Stage.Plugin.Tests.Host;

/// <summary>Where the host's transport is for one block.</summary>
record struct HostTransport(long Sample, double Tempo = 120, int Numerator = 4, int Denominator = 4, bool Playing = true, double SampleRate = 48000)
{
    public double Ppq => Sample / SampleRate * Tempo / 60.0;
}

/// <summary>
/// One Stage instance driven the way a host drives it: processor and controller created from the factory,
/// initialized, connected through IConnectionPoint, set up and activated; blocks processed through
/// ProcessData with a ProcessContext and IParameterChanges; torn down in the host's order.
/// </summary>
sealed unsafe class HostedStage : IDisposable
{
    public const uint Generate = 3, Bars = 2, StemLevel = 10, Loop = 13, Status = 14, Capture = 12, Instrument = 0;

    public readonly void* Component, Processor, Controller, ComponentConnection, ControllerConnection;
    public readonly HostParameterChanges Input = new(), Output = new();
    readonly double sampleRate;
    bool disposed;

    public HostedStage(double sampleRate = 48000, int maxBlock = 2048, bool activate = true)
    {
        this.sampleRate = sampleRate;
        Component = CreateInstance(ProcessorClassId, Iid.IComponent);
        Check(((delegate* unmanaged<void*, void*, int>)V(Component)[3])(Component, null), "IComponent.initialize");
        Processor = QueryInterface(Component, Iid.IAudioProcessor);
        if (Processor == null) throw new InvalidOperationException("no IAudioProcessor");

        var cid = new byte[16];
        fixed (byte* c = cid) Check(((delegate* unmanaged<void*, byte*, int>)V(Component)[5])(Component, c), "getControllerClassId");
        Controller = CreateInstance(cid, Iid.IEditController);
        Check(((delegate* unmanaged<void*, void*, int>)V(Controller)[3])(Controller, null), "IEditController.initialize");

        ComponentConnection = QueryInterface(Component, Iid.IConnectionPoint);
        ControllerConnection = QueryInterface(Controller, Iid.IConnectionPoint);
        Check(((delegate* unmanaged<void*, void*, int>)V(ComponentConnection)[3])(ComponentConnection, ControllerConnection), "connect component");
        Check(((delegate* unmanaged<void*, void*, int>)V(ControllerConnection)[3])(ControllerConnection, ComponentConnection), "connect controller");
        TransferComponentState();

        var setup = new ProcessSetup { ProcessMode = 0, SymbolicSampleSize = 0, MaxSamplesPerBlock = maxBlock, SampleRate = sampleRate };
        Check(((delegate* unmanaged<void*, ProcessSetup*, int>)V(Processor)[7])(Processor, &setup), "setupProcessing");
        if (activate)
        {
            Check(((delegate* unmanaged<void*, byte, int>)V(Component)[11])(Component, 1), "setActive(1)");
            Check(((delegate* unmanaged<void*, byte, int>)V(Processor)[8])(Processor, 1), "setProcessing(1)");
        }
    }

    public static readonly byte[] ProcessorClassId = Convert.FromHexString("5374A6E19C2B4D8FA1E3B7C50D4F6A21");

    static void Check(int result, string what)
    {
        if (result != TResult.Ok) throw new InvalidOperationException($"{what} returned {result}");
    }

    /// <summary>Processes one block; null transport = no ProcessContext. Returns the output channels.</summary>
    public (float[] L, float[] R) Process(float[] inL, float[] inR, HostTransport? transport, bool clearInput = true) =>
        Process(inL, inR, null, null, transport, clearInput);

    /// <summary>Activates or deactivates the sidechain (aux) input bus, as a host does when routing to it.</summary>
    public void ActivateSidechain(bool active) =>
        Check(((delegate* unmanaged<void*, int, int, int, byte, int>)V(Component)[10])(Component, 0, 0, 1, (byte)(active ? 1 : 0)), "activateBus");

    /// <summary>Processes one block with a second (sidechain) input bus when <paramref name="sideL"/> is given.</summary>
    public (float[] L, float[] R) Process(float[] inL, float[] inR, float[]? sideL, float[]? sideR, HostTransport? transport, bool clearInput = true)
    {
        int n = inL.Length;
        var outL = new float[n];
        var outR = new float[n];
        var context = new ProcessContext();
        if (transport is { } t)
        {
            context.State = (t.Playing ? ProcessContext.Playing : 0) | ProcessContext.ProjectTimeMusicValid | ProcessContext.TempoValid
                            | ProcessContext.TimeSigValid | ProcessContext.BarPositionValid;
            context.SampleRate = t.SampleRate;
            context.ProjectTimeSamples = t.Sample;
            context.ProjectTimeMusic = t.Ppq;
            context.BarPositionMusic = 4 * 1000;   // nonsense on purpose, like Ardour 7.3's: the plugin must not use it
            context.Tempo = t.Tempo;
            context.TimeSigNumerator = t.Numerator;
            context.TimeSigDenominator = t.Denominator;
        }
        fixed (float* il = inL, ir = inR, ol = outL, or = outR, sl = sideL, sr = sideR)
        {
            float** inputs = stackalloc float*[2] { il, ir };
            float** sides = stackalloc float*[2] { sl, sr };
            float** outputs = stackalloc float*[2] { ol, or };
            var inBuses = stackalloc AudioBusBuffers[2];
            inBuses[0] = new AudioBusBuffers { NumChannels = 2, ChannelBuffers32 = inputs };
            inBuses[1] = new AudioBusBuffers { NumChannels = 2, ChannelBuffers32 = sides };
            var outBus = new AudioBusBuffers { NumChannels = 2, ChannelBuffers32 = outputs };
            var data = new ProcessData
            {
                ProcessMode = 0, SymbolicSampleSize = 0, NumSamples = n, NumInputs = sideL == null ? 1 : 2, NumOutputs = 1,
                Inputs = inBuses, Outputs = &outBus,
                InputParameterChanges = Input.Pointer, OutputParameterChanges = Output.Pointer,
                ProcessContext = transport.HasValue ? &context : null,
            };
            Output.Clear();
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            int result = ((delegate* unmanaged<void*, ProcessData*, int>)V(Processor)[9])(Processor, &data);
            LastProcessTicks = System.Diagnostics.Stopwatch.GetTimestamp() - started;
            Check(result, "process");
        }
        if (clearInput) Input.Clear();
        // A host forwards output parameter changes to the controller.
        foreach (var q in Output.Queues)
            if (q.Points.Count > 0) SetParamNormalized(q.Id, q.Points[^1].Value);
        return (outL, outR);
    }

    /// <summary>How long the plugin's process() took in the last block, in Stopwatch ticks (the host's own work excluded).</summary>
    public long LastProcessTicks { get; private set; }

    /// <summary>The last value the processor reported for <paramref name="id"/> in the last block, if any.</summary>
    public double? Reported(uint id)
    {
        foreach (var q in Output.Queues) if (q.Id == id && q.Points.Count > 0) return q.Points[^1].Value;
        return null;
    }

    /// <summary>A host automating a parameter: the controller and the processor's next block both get it.</summary>
    public void Automate(uint id, double normalized, int offset = 0)
    {
        SetParamNormalized(id, normalized);
        Input.Add(id, offset, normalized);
    }

    // ---- controller ----

    public int ParameterCount => ((delegate* unmanaged<void*, int>)V(Controller)[8])(Controller);

    public ParameterInfo ParameterInfo(int index)
    {
        ParameterInfo info;
        Check(((delegate* unmanaged<void*, int, ParameterInfo*, int>)V(Controller)[9])(Controller, index, &info), "getParameterInfo");
        return info;
    }

    public string ParamString(uint id, double normalized)
    {
        char* text = stackalloc char[128];
        Check(((delegate* unmanaged<void*, uint, double, char*, int>)V(Controller)[10])(Controller, id, normalized, text), "getParamStringByValue");
        return Text.Utf16(text, 128);
    }

    public double? ParamValueByString(uint id, string s)
    {
        double v;
        fixed (char* p = s + "\0")
            return ((delegate* unmanaged<void*, uint, char*, double*, int>)V(Controller)[11])(Controller, id, p, &v) == TResult.Ok ? v : null;
    }

    public double ToPlain(uint id, double normalized) => ((delegate* unmanaged<void*, uint, double, double>)V(Controller)[12])(Controller, id, normalized);
    public double ToNormalized(uint id, double plain) => ((delegate* unmanaged<void*, uint, double, double>)V(Controller)[13])(Controller, id, plain);
    public double ParamNormalized(uint id) => ((delegate* unmanaged<void*, uint, double>)V(Controller)[14])(Controller, id);
    public void SetParamNormalized(uint id, double v) => Check(((delegate* unmanaged<void*, uint, double, int>)V(Controller)[15])(Controller, id, v), "setParamNormalized");

    public string StatusText => ParamString(Status, ParamNormalized(Status));

    /// <summary>IEditController::setComponentHandler (slot 16), as a host does after creating the controller.</summary>
    public void SetComponentHandler(HostComponentHandler handler) =>
        Check(((delegate* unmanaged<void*, void*, int>)V(Controller)[16])(Controller, handler.Pointer), "setComponentHandler");

    /// <summary>Tells the controller its track's name and colour through IInfoListener, as Cubase, Reaper and Ardour do.</summary>
    public void SetChannelContext(string name, uint colour)
    {
        var listener = QueryInterface(Controller, Iid.IInfoListener);
        if (listener == null) throw new InvalidOperationException("the controller does not implement IInfoListener");
        using var context = new HostChannelContext(name, colour);
        try { Check(((delegate* unmanaged<void*, void*, int>)V(listener)[3])(listener, context.Pointer), "setChannelContextInfos"); }
        finally { Release(listener); }
    }

    // ---- state ----

    public byte[] GetState()
    {
        using var stream = new HostStream();
        Check(((delegate* unmanaged<void*, void*, int>)V(Component)[13])(Component, stream.Pointer), "IComponent.getState");
        return stream.Data.ToArray();
    }

    public int SetState(byte[] state)
    {
        using var stream = new HostStream(state);
        int r = ((delegate* unmanaged<void*, void*, int>)V(Component)[12])(Component, stream.Pointer);
        if (r == TResult.Ok)
        {
            using var again = new HostStream(state);
            Check(((delegate* unmanaged<void*, void*, int>)V(Controller)[5])(Controller, again.Pointer), "setComponentState");
        }
        return r;
    }

    void TransferComponentState()
    {
        using var stream = new HostStream(GetState());
        Check(((delegate* unmanaged<void*, void*, int>)V(Controller)[5])(Controller, stream.Pointer), "setComponentState");
    }

    /// <summary>Teardown in a host's order; returns the final reference counts of processor and controller.</summary>
    public (uint Component, uint Controller) Close()
    {
        disposed = true;
        ((delegate* unmanaged<void*, byte, int>)V(Processor)[8])(Processor, 0);
        ((delegate* unmanaged<void*, byte, int>)V(Component)[11])(Component, 0);
        ((delegate* unmanaged<void*, void*, int>)V(ComponentConnection)[4])(ComponentConnection, ControllerConnection);
        ((delegate* unmanaged<void*, void*, int>)V(ControllerConnection)[4])(ControllerConnection, ComponentConnection);
        Release(ComponentConnection);
        Release(ControllerConnection);
        Check(((delegate* unmanaged<void*, int>)V(Controller)[4])(Controller), "IEditController.terminate");
        Check(((delegate* unmanaged<void*, int>)V(Component)[4])(Component), "IComponent.terminate");
        Release(Processor);
        uint controller = Release(Controller);
        uint component = Release(Component);
        Input.Dispose();
        Output.Dispose();
        return (component, controller);
    }

    public void Dispose()
    {
        if (!disposed) Close();
    }
}
