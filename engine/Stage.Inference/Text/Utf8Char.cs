namespace Stage.Inference.Text;

/// <summary>UTF-8 character boundaries exactly as SentencePiece's string_util judges them.</summary>
public static class Utf8Char
{
    /// <summary>
    /// <c>string_util::OneCharLen</c>: the length announced by a lead byte (a stray continuation
    /// byte counts as 1). Used to step through already-normalised text.
    /// </summary>
    public static int LengthFromLeadByte(byte lead) => lead switch
    {
        < 0xC0 => 1,
        < 0xE0 => 2,
        < 0xF0 => 3,
        _ => 4,
    };

    /// <summary>
    /// <c>string_util::IsValidDecodeUTF8</c>: the byte length of the well-formed character at the
    /// start of <paramref name="input"/>, or 0 if it is malformed (overlong, surrogate, truncated,
    /// above U+10FFFF).
    /// </summary>
    public static int DecodeLength(ReadOnlySpan<byte> input)
    {
        byte b0 = input[0];
        if (b0 < 0x80) return 1;
        if (input.Length >= 2 && (b0 & 0xE0) == 0xC0)
        {
            int cp = ((b0 & 0x1F) << 6) | (input[1] & 0x3F);
            return IsTrail(input[1]) && cp >= 0x80 ? 2 : 0;
        }
        if (input.Length >= 3 && (b0 & 0xF0) == 0xE0)
        {
            int cp = ((b0 & 0x0F) << 12) | ((input[1] & 0x3F) << 6) | (input[2] & 0x3F);
            return IsTrail(input[1]) && IsTrail(input[2]) && cp >= 0x800 && IsValidCodepoint(cp) ? 3 : 0;
        }
        if (input.Length >= 4 && (b0 & 0xF8) == 0xF0)
        {
            int cp = ((b0 & 0x07) << 18) | ((input[1] & 0x3F) << 12) | ((input[2] & 0x3F) << 6) | (input[3] & 0x3F);
            return IsTrail(input[1]) && IsTrail(input[2]) && IsTrail(input[3]) && cp >= 0x10000 && IsValidCodepoint(cp) ? 4 : 0;
        }
        return 0;
    }

    static bool IsTrail(byte b) => (b & 0xC0) == 0x80;

    static bool IsValidCodepoint(int cp) => cp < 0xD800 || (cp >= 0xE000 && cp <= 0x10FFFF);
}
