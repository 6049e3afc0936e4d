using System.Runtime.InteropServices;

namespace Stage.Plugin.Vst3;

// Layouts from pluginterfaces/vst/ivstaudioprocessor.h and ivstprocesscontext.h (x86-64, natural alignment).

[StructLayout(LayoutKind.Sequential)]
struct ProcessSetup
{
    public int ProcessMode;
    public int SymbolicSampleSize;
    public int MaxSamplesPerBlock;
    public double SampleRate;
}

[StructLayout(LayoutKind.Sequential)]
unsafe struct AudioBusBuffers
{
    public int NumChannels;
    public ulong SilenceFlags;
    public float** ChannelBuffers32;   // union with double** ChannelBuffers64
}

[StructLayout(LayoutKind.Sequential)]
unsafe struct ProcessData
{
    public int ProcessMode;
    public int SymbolicSampleSize;
    public int NumSamples;
    public int NumInputs;
    public int NumOutputs;
    public AudioBusBuffers* Inputs;
    public AudioBusBuffers* Outputs;
    public void* InputParameterChanges;    // IParameterChanges*
    public void* OutputParameterChanges;   // IParameterChanges*
    public void* InputEvents;
    public void* OutputEvents;
    public ProcessContext* ProcessContext;
}

[StructLayout(LayoutKind.Sequential)]
struct ProcessContext
{
    public const uint Playing = 1 << 1;
    public const uint ProjectTimeMusicValid = 1 << 9;
    public const uint TempoValid = 1 << 10;
    public const uint TimeSigValid = 1 << 13;

    public uint State;
    public double SampleRate;
    public long ProjectTimeSamples;
    public long SystemTime;
    public long ContinousTimeSamples;
    public double ProjectTimeMusic;
    public double BarPositionMusic;
    public double CycleStartMusic;
    public double CycleEndMusic;
    public double Tempo;
    public int TimeSigNumerator;
    public int TimeSigDenominator;
    public int Chord;                 // struct Chord { uint8 keyNote, rootNote; int16 chordMask }
    public int SmpteOffsetSubframes;
    public uint FrameRateFramesPerSecond;
    public uint FrameRateFlags;
    public int SamplesToNextClock;
}

static class SpeakerArrangement
{
    public const ulong Stereo = 3;
}

static class MediaType
{
    public const int Audio = 0;
    public const int Event = 1;
}

static class BusDirection
{
    public const int Input = 0;
    public const int Output = 1;
}
