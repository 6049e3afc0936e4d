using System.Runtime.InteropServices;
using System.Text;

namespace Stage.Plugin.Vst3;

// Layouts from pluginterfaces/base/ipluginbase.h and vst/ivstcomponent.h, vst/ivsteditcontroller.h.

[StructLayout(LayoutKind.Sequential)]
unsafe struct PFactoryInfo
{
    public const int Unicode = 1 << 4;
    public fixed byte Vendor[64];
    public fixed byte Url[256];
    public fixed byte Email[128];
    public int Flags;
}

[StructLayout(LayoutKind.Sequential)]
unsafe struct PClassInfo
{
    public const int ManyInstances = 0x7FFFFFFF;
    public fixed byte Cid[16];
    public int Cardinality;
    public fixed byte Category[32];
    public fixed byte Name[64];
}

[StructLayout(LayoutKind.Sequential)]
unsafe struct PClassInfo2
{
    public fixed byte Cid[16];
    public int Cardinality;
    public fixed byte Category[32];
    public fixed byte Name[64];
    public uint ClassFlags;
    public fixed byte SubCategories[128];
    public fixed byte Vendor[64];
    public fixed byte Version[64];
    public fixed byte SdkVersion[64];
}

[StructLayout(LayoutKind.Sequential)]
unsafe struct PClassInfoW
{
    public fixed byte Cid[16];
    public int Cardinality;
    public fixed byte Category[32];
    public fixed char Name[64];
    public uint ClassFlags;
    public fixed byte SubCategories[128];
    public fixed char Vendor[64];
    public fixed char Version[64];
    public fixed char SdkVersion[64];
}

[StructLayout(LayoutKind.Sequential)]
unsafe struct BusInfo
{
    public const int Main = 0;
    public const int Aux = 1;
    public const uint DefaultActive = 1;
    public int MediaType;
    public int Direction;
    public int ChannelCount;
    public fixed char Name[128];
    public int BusType;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
unsafe struct ParameterInfo
{
    public const int CanAutomate = 1;
    public const int IsReadOnly = 2;
    public const int IsList = 8;
    public uint Id;
    public fixed char Title[128];
    public fixed char ShortTitle[128];
    public fixed char Units[128];
    public int StepCount;
    public double DefaultNormalizedValue;
    public int UnitId;
    public int Flags;
}

/// <summary>Fills the fixed-size, NUL-terminated strings of VST3 structs, truncating to fit.</summary>
static unsafe class FixedString
{
    public static void Ascii(byte* destination, int capacity, string text)
    {
        var span = new Span<byte>(destination, capacity);
        span.Clear();
        int n = 0;
        foreach (char c in text)
        {
            if (n == capacity - 1) break;
            span[n++] = c < 128 ? (byte)c : (byte)'?';
        }
    }

    public static void Utf16(char* destination, int capacity, ReadOnlySpan<char> text)
    {
        int n = Math.Min(text.Length, capacity - 1);
        text[..n].CopyTo(new Span<char>(destination, n));
        destination[n] = '\0';
    }

    public static string ReadUtf16(char* source, int capacity)
    {
        int n = 0;
        while (n < capacity && source[n] != '\0') n++;
        return new string(source, 0, n);
    }

    public static string ReadAscii(byte* source, int capacity)
    {
        int n = 0;
        while (n < capacity && source[n] != 0) n++;
        return Encoding.UTF8.GetString(source, n);
    }
}
