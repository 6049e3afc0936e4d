using System.Runtime.CompilerServices;

namespace Stage.Plugin.Vst3;

/// <summary>
/// A VST3 TUID (16 bytes) in the byte order of the running OS. The SDK's INLINE_UID writes the four
/// 32-bit words big-endian on Linux/macOS; on Windows (COM_COMPATIBLE) the first word and the two
/// halves of the second are little-endian, i.e. the Microsoft GUID memory layout.
/// </summary>
[InlineArray(16)]
struct Uid
{
    byte first;

    public static Uid FromWords(uint l1, uint l2, uint l3, uint l4)
    {
        var u = new Uid();
        Span<byte> b = u;
        if (OperatingSystem.IsWindows())
        {
            b[0] = (byte)l1; b[1] = (byte)(l1 >> 8); b[2] = (byte)(l1 >> 16); b[3] = (byte)(l1 >> 24);
            b[4] = (byte)(l2 >> 16); b[5] = (byte)(l2 >> 24); b[6] = (byte)l2; b[7] = (byte)(l2 >> 8);
        }
        else
        {
            BigEndian(b, 0, l1); BigEndian(b, 4, l2);
        }
        BigEndian(b, 8, l3); BigEndian(b, 12, l4);
        return u;
    }

    static void BigEndian(Span<byte> b, int at, uint v)
    {
        b[at] = (byte)(v >> 24); b[at + 1] = (byte)(v >> 16); b[at + 2] = (byte)(v >> 8); b[at + 3] = (byte)v;
    }

    public readonly unsafe bool Matches(byte* other) =>
        other != null && new ReadOnlySpan<byte>(other, 16).SequenceEqual((ReadOnlySpan<byte>)this);

    public readonly unsafe void CopyTo(byte* destination) => ((ReadOnlySpan<byte>)this).CopyTo(new Span<byte>(destination, 16));

    /// <summary>The 32 hex digits in the order hosts print them (FUID::toString of the memory bytes).</summary>
    public override readonly string ToString() => Convert.ToHexString((ReadOnlySpan<byte>)this);
}

/// <summary>Interface and class identifiers (l1..l4 words as in the SDK headers).</summary>
static class Iids
{
    public static readonly Uid FUnknown = Uid.FromWords(0x00000000, 0x00000000, 0xC0000000, 0x00000046);
    public static readonly Uid IPluginBase = Uid.FromWords(0x22888DDB, 0x156E45AE, 0x8358B348, 0x08190625);
    public static readonly Uid IPluginFactory = Uid.FromWords(0x7A4D811C, 0x52114A1F, 0xAED9D2EE, 0x0B43BF9F);
    public static readonly Uid IPluginFactory2 = Uid.FromWords(0x0007B650, 0xF24B4C0B, 0xA464EDB9, 0xF00B2ABB);
    public static readonly Uid IPluginFactory3 = Uid.FromWords(0x4555A2AB, 0xC1234E57, 0x9B122910, 0x36878931);
    public static readonly Uid IComponent = Uid.FromWords(0xE831FF31, 0xF2D54301, 0x928EBBEE, 0x25697802);
    public static readonly Uid IAudioProcessor = Uid.FromWords(0x42043F99, 0xB7DA453C, 0xA569E79D, 0x9AAEC33D);
    public static readonly Uid IProcessContextRequirements = Uid.FromWords(0x2A654303, 0xEF764E3D, 0x95B5FE83, 0x730EF6D0);
    public static readonly Uid IEditController = Uid.FromWords(0xDCD7BBE3, 0x7742448D, 0xA874AACC, 0x979C759E);
    public static readonly Uid IConnectionPoint = Uid.FromWords(0x70A4156F, 0x6E6E4026, 0x989148BF, 0xAA60D8D1);
    public static readonly Uid IMessage = Uid.FromWords(0x936F033B, 0xC6C047DB, 0xBB0882F8, 0x13C1E613);
    public static readonly Uid IInfoListener = Uid.FromWords(0x0F194781, 0x8D984ADA, 0xBBA0C1EF, 0xC011D8D0);
    public static readonly Uid IAttributeList = Uid.FromWords(0x1E5F0AEB, 0xCC7F4533, 0xA2544011, 0x38AD5EE4);

    /// <summary>Stage's audio processor (IComponent) class.</summary>
    public static readonly Uid ProcessorClass = Uid.FromWords(0x5374A6E1, 0x9C2B4D8F, 0xA1E3B7C5, 0x0D4F6A21);
    /// <summary>Stage's edit controller class.</summary>
    public static readonly Uid ControllerClass = Uid.FromWords(0x5374A6E2, 0x7B1C4E90, 0x8F2D6C3A, 0x1E5B7D32);
}
