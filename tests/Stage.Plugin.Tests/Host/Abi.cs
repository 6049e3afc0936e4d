using System.Runtime.InteropServices;

namespace Stage.Plugin.Tests.Host;

// The VST3 ABI as a host sees it, written from the layouts in the team's vst3.md (§2.3–2.6), independently
// of the plugin's own interop code so that a mistake on either side shows up.

static class Iid
{
    // Linux/macOS (non-COM) order: the four words big-endian, i.e. the hex digits in order.
    public static readonly byte[] FUnknown = Convert.FromHexString("0000000000000000C000000000000046");
    public static readonly byte[] IPluginFactory = Convert.FromHexString("7A4D811C52114A1FAED9D2EE0B43BF9F");
    public static readonly byte[] IPluginFactory2 = Convert.FromHexString("0007B650F24B4C0BA464EDB9F00B2ABB");
    public static readonly byte[] IPluginFactory3 = Convert.FromHexString("4555A2ABC1234E579B12291036878931");
    public static readonly byte[] IComponent = Convert.FromHexString("E831FF31F2D54301928EBBEE25697802");
    public static readonly byte[] IAudioProcessor = Convert.FromHexString("42043F99B7DA453CA569E79D9AAEC33D");
    public static readonly byte[] IProcessContextRequirements = Convert.FromHexString("2A654303EF764E3D95B5FE83730EF6D0");
    public static readonly byte[] IEditController = Convert.FromHexString("DCD7BBE37742448DA874AACC979C759E");
    public static readonly byte[] IConnectionPoint = Convert.FromHexString("70A4156F6E6E4026989148BFAA60D8D1");
    public static readonly byte[] IBStream = Convert.FromHexString("C3BF6EA2309947529B6BF9901EE33E9B");
    public static readonly byte[] IParameterChanges = Convert.FromHexString("A47796630BB64A56B44384A8466FEB9D");
    public static readonly byte[] IParamValueQueue = Convert.FromHexString("01263A18ED074F6F98C9D3564686F9BA");
    public static readonly byte[] IComponentHandler = Convert.FromHexString("93A0BEA30BD045DB8E890B0CC1E46AC6");
    public static readonly byte[] IInfoListener = Convert.FromHexString("0F1947818D984ADABBA0C1EFC011D8D0");
    public static readonly byte[] IAttributeList = Convert.FromHexString("1E5F0AEBCC7F4533A254401138AD5EE4");
}

static class TResult
{
    public const int NoInterface = -1, Ok = 0, False = 1, InvalidArgument = 2, NotImplemented = 3, InternalError = 4;
}

[StructLayout(LayoutKind.Sequential)]
struct ProcessSetup { public int ProcessMode, SymbolicSampleSize, MaxSamplesPerBlock; public double SampleRate; }

[StructLayout(LayoutKind.Explicit, Size = 24)]
unsafe struct AudioBusBuffers
{
    [FieldOffset(0)] public int NumChannels;
    [FieldOffset(8)] public ulong SilenceFlags;
    [FieldOffset(16)] public float** ChannelBuffers32;
}

[StructLayout(LayoutKind.Explicit, Size = 80)]
unsafe struct ProcessData
{
    [FieldOffset(0)] public int ProcessMode;
    [FieldOffset(4)] public int SymbolicSampleSize;
    [FieldOffset(8)] public int NumSamples;
    [FieldOffset(12)] public int NumInputs;
    [FieldOffset(16)] public int NumOutputs;
    [FieldOffset(24)] public AudioBusBuffers* Inputs;
    [FieldOffset(32)] public AudioBusBuffers* Outputs;
    [FieldOffset(40)] public void* InputParameterChanges;
    [FieldOffset(48)] public void* OutputParameterChanges;
    [FieldOffset(56)] public void* InputEvents;
    [FieldOffset(64)] public void* OutputEvents;
    [FieldOffset(72)] public ProcessContext* ProcessContext;
}

[StructLayout(LayoutKind.Explicit, Size = 112)]
struct ProcessContext
{
    public const uint Playing = 1 << 1, ProjectTimeMusicValid = 1 << 9, TempoValid = 1 << 10, BarPositionValid = 1 << 11, TimeSigValid = 1 << 13;
    [FieldOffset(0)] public uint State;
    [FieldOffset(8)] public double SampleRate;
    [FieldOffset(16)] public long ProjectTimeSamples;
    [FieldOffset(40)] public double ProjectTimeMusic;
    [FieldOffset(48)] public double BarPositionMusic;
    [FieldOffset(72)] public double Tempo;
    [FieldOffset(80)] public int TimeSigNumerator;
    [FieldOffset(84)] public int TimeSigDenominator;
}

[StructLayout(LayoutKind.Explicit, Size = 276)]
unsafe struct BusInfo
{
    [FieldOffset(0)] public int MediaType;
    [FieldOffset(4)] public int Direction;
    [FieldOffset(8)] public int ChannelCount;
    [FieldOffset(12)] public fixed char Name[128];
    [FieldOffset(268)] public int BusType;
    [FieldOffset(272)] public uint Flags;
}

[StructLayout(LayoutKind.Explicit, Size = 792)]
unsafe struct ParameterInfo
{
    [FieldOffset(0)] public uint Id;
    [FieldOffset(4)] public fixed char Title[128];
    [FieldOffset(260)] public fixed char ShortTitle[128];
    [FieldOffset(516)] public fixed char Units[128];
    [FieldOffset(772)] public int StepCount;
    [FieldOffset(776)] public double DefaultNormalizedValue;
    [FieldOffset(784)] public int UnitId;
    [FieldOffset(788)] public int Flags;
}

[StructLayout(LayoutKind.Explicit, Size = 452)]
unsafe struct PFactoryInfo
{
    [FieldOffset(0)] public fixed byte Vendor[64];
    [FieldOffset(64)] public fixed byte Url[256];
    [FieldOffset(320)] public fixed byte Email[128];
    [FieldOffset(448)] public int Flags;
}

[StructLayout(LayoutKind.Explicit, Size = 116)]
unsafe struct PClassInfo
{
    [FieldOffset(0)] public fixed byte Cid[16];
    [FieldOffset(16)] public int Cardinality;
    [FieldOffset(20)] public fixed byte Category[32];
    [FieldOffset(52)] public fixed byte Name[64];
}

[StructLayout(LayoutKind.Explicit, Size = 440)]
unsafe struct PClassInfo2
{
    [FieldOffset(0)] public fixed byte Cid[16];
    [FieldOffset(20)] public fixed byte Category[32];
    [FieldOffset(52)] public fixed byte Name[64];
    [FieldOffset(116)] public uint ClassFlags;
    [FieldOffset(120)] public fixed byte SubCategories[128];
    [FieldOffset(248)] public fixed byte Vendor[64];
    [FieldOffset(312)] public fixed byte Version[64];
    [FieldOffset(376)] public fixed byte SdkVersion[64];
}

static unsafe class Text
{
    public static string Ascii(byte* p, int capacity) => Marshal.PtrToStringUTF8((nint)p, Math.Max(0, new ReadOnlySpan<byte>(p, capacity).IndexOf((byte)0))) ?? "";
    public static string Utf16(char* p, int capacity) => new(p, 0, Math.Max(0, new ReadOnlySpan<char>(p, capacity).IndexOf('\0')));
}
