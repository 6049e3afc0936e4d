namespace Stage.Inference.Text;

/// <summary>
/// SentencePiece's <c>Normalizer::Normalize</c>: longest-match rewriting with the precompiled
/// charsmap (user-defined symbols pass through untouched), leading/trailing/repeated whitespace
/// removal, the dummy-prefix space, and spaces escaped as U+2581 (▁). Works on UTF-8 bytes.
/// </summary>
public sealed class SentencePieceNormalizer
{
    public static ReadOnlySpan<byte> SpaceSymbol => "\u2581"u8;
    static ReadOnlySpan<byte> ReplacementCharacter => "\uFFFD"u8;

    readonly NormalizerSpec _spec;
    readonly bool _treatWhitespaceAsSuffix;
    readonly PrecompiledCharsMap? _charsMap;
    readonly PieceTrie? _userDefined;

    public SentencePieceNormalizer(NormalizerSpec spec, bool treatWhitespaceAsSuffix, PieceTrie? userDefinedSymbols)
    {
        _spec = spec;
        _treatWhitespaceAsSuffix = treatWhitespaceAsSuffix;
        _charsMap = spec.PrecompiledCharsMap.Length == 0 ? null : PrecompiledCharsMap.Decode(spec.PrecompiledCharsMap);
        _userDefined = userDefinedSymbols;
    }

    /// <summary>Replaces the contents of <paramref name="output"/> with the normalised form of <paramref name="input"/>.</summary>
    public void Normalize(ReadOnlySpan<byte> input, ByteBuffer output)
    {
        output.Clear();
        bool removeExtra = _spec.RemoveExtraWhitespaces;

        if (removeExtra)
        {
            while (!input.IsEmpty)
            {
                int consumed = NormalizePrefix(input, out var head);
                if (!head.SequenceEqual(" "u8)) break;
                input = input[consumed..];
            }
        }
        if (input.IsEmpty) return;

        if (!_treatWhitespaceAsSuffix && _spec.AddDummyPrefix) AppendSpace(output);

        bool isPrevSpace = removeExtra;
        while (!input.IsEmpty)
        {
            int consumed = NormalizePrefix(input, out var piece);
            if (isPrevSpace)
            {
                while (!piece.IsEmpty && piece[0] == (byte)' ') piece = piece[1..];
            }
            if (!piece.IsEmpty)
            {
                foreach (byte b in piece)
                {
                    if (b == (byte)' ' && _spec.EscapeWhitespaces) output.Append(SpaceSymbol);
                    else output.Append(b);
                }
                isPrevSpace = piece[^1] == (byte)' ';
            }
            input = input[consumed..];
            if (!removeExtra) isPrevSpace = false;
        }

        if (removeExtra)
        {
            var space = _spec.EscapeWhitespaces ? SpaceSymbol : " "u8;
            while (output.Span.EndsWith(space)) output.Truncate(output.Length - space.Length);
        }

        if (_treatWhitespaceAsSuffix && _spec.AddDummyPrefix) AppendSpace(output);
    }

    void AppendSpace(ByteBuffer output) => output.Append(_spec.EscapeWhitespaces ? SpaceSymbol : " "u8);

    /// <summary>
    /// <c>Normalizer::NormalizePrefix</c>: the replacement for the longest rule at the start of
    /// <paramref name="input"/>, or one UTF-8 character unchanged (U+FFFD for one malformed byte).
    /// Returns the number of input bytes consumed.
    /// </summary>
    int NormalizePrefix(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> replacement)
    {
        if (_userDefined is not null)
        {
            int length = _userDefined.LongestPrefixLength(input);
            if (length > 0)
            {
                replacement = input[..length];
                return length;
            }
        }
        if (_charsMap is not null)
        {
            int length = _charsMap.LongestPrefixMatch(input, out replacement);
            if (length > 0) return length;
        }
        int charLength = Utf8Char.DecodeLength(input);
        if (charLength == 0)
        {
            replacement = ReplacementCharacter;
            return 1;
        }
        replacement = input[..charLength];
        return charLength;
    }
}
