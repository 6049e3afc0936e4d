using System.Buffers.Binary;

namespace Stage.Inference.Text;

/// <summary>
/// SentencePiece's compiled normalisation rule (<c>NormalizerSpec.precompiled_charsmap</c>):
/// <c>[uint32 LE trie size][darts-clone double-array trie][NUL-terminated replacement strings]</c>.
/// The trie maps UTF-8 source sequences to the offset of their replacement in the string blob.
/// </summary>
public sealed class PrecompiledCharsMap
{
    readonly uint[] _units;
    readonly byte[] _replacements;

    PrecompiledCharsMap(uint[] units, byte[] replacements)
    {
        _units = units;
        _replacements = replacements;
    }

    public static PrecompiledCharsMap Decode(ReadOnlySpan<byte> blob)
    {
        if (blob.Length <= 4) throw new InvalidDataException($"precompiled_charsmap is {blob.Length} bytes, too short to hold a trie");
        uint trieBytes = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieBytes >= (uint)blob.Length - 4)
            throw new InvalidDataException($"precompiled_charsmap trie size {trieBytes} exceeds the blob ({blob.Length} bytes)");
        if (trieBytes == 0 || trieBytes % 4 != 0)
            throw new InvalidDataException($"precompiled_charsmap trie size {trieBytes} is not a whole number of 4-byte units");
        var units = new uint[trieBytes / 4];
        for (int i = 0; i < units.Length; i++) units[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.Slice(4 + 4 * i, 4));
        return new PrecompiledCharsMap(units, blob[(4 + (int)trieBytes)..].ToArray());
    }

    /// <summary>
    /// The longest rule that matches a prefix of <paramref name="input"/>: returns its source length in
    /// bytes (0 = no rule) and sets <paramref name="replacement"/> to the text that replaces it.
    /// </summary>
    public int LongestPrefixMatch(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> replacement)
    {
        // Darts-clone commonPrefixSearch: walk one byte at a time, remembering the last leaf seen.
        int longestLength = 0;
        uint longestValue = 0;
        uint nodePos = Offset(Unit(0));
        for (int i = 0; i < input.Length; i++)
        {
            byte key = input[i];
            nodePos ^= key;
            // darts-clone allocates whole 256-unit blocks, so a valid trie never leaves the array.
            if (nodePos >= (uint)_units.Length) break;
            uint unit = _units[nodePos];
            if (Label(unit) != key) break;
            nodePos ^= Offset(unit);
            if (HasLeaf(unit))
            {
                longestLength = i + 1;
                longestValue = Value(Unit(nodePos));
            }
        }
        if (longestLength == 0)
        {
            replacement = default;
            return 0;
        }
        if (longestValue >= (uint)_replacements.Length)
            throw new InvalidDataException($"precompiled_charsmap rule points at offset {longestValue}, past its {_replacements.Length}-byte string blob");
        var tail = _replacements.AsSpan((int)longestValue);
        int end = tail.IndexOf((byte)0);
        replacement = end < 0 ? tail : tail[..end];
        return longestLength;
    }

    uint Unit(uint index)
    {
        if (index >= (uint)_units.Length)
            throw new InvalidDataException($"precompiled_charsmap trie is corrupt (unit {index} of {_units.Length})");
        return _units[index];
    }

    // Unit layout of darts-clone's DoubleArrayUnit.
    static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;
    static uint Value(uint unit) => unit & ((1u << 31) - 1);
    static uint Label(uint unit) => unit & ((1u << 31) | 0xFF);
    static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);
}
