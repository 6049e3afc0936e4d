namespace Stage.Inference.Text;

/// <summary>
/// A byte-wise trie over UTF-8 piece strings. Node 0 is the root; each node may carry the id of
/// the piece that ends there. Edges live in one hash map keyed by (node, byte) so a 32k vocabulary
/// costs a few MB and a step is one lookup.
/// </summary>
public sealed class PieceTrie
{
    readonly Dictionary<long, int> _edges = new();
    readonly List<int> _values = [-1];

    public const int NoNode = -1;
    public const int NoValue = -1;

    public int NodeCount => _values.Count;

    /// <summary>Adds <paramref name="utf8"/> with <paramref name="value"/>; an existing key keeps its first value.</summary>
    public bool Add(ReadOnlySpan<byte> utf8, int value)
    {
        int node = 0;
        foreach (byte b in utf8)
        {
            long key = ((long)node << 8) | b;
            if (!_edges.TryGetValue(key, out int child))
            {
                child = _values.Count;
                _values.Add(NoValue);
                _edges.Add(key, child);
            }
            node = child;
        }
        if (_values[node] != NoValue) return false;
        _values[node] = value;
        return true;
    }

    /// <summary>The node reached from <paramref name="node"/> over <paramref name="label"/>, or <see cref="NoNode"/>.</summary>
    public int Child(int node, byte label) =>
        _edges.TryGetValue(((long)node << 8) | label, out int child) ? child : NoNode;

    public int ValueAt(int node) => _values[node];

    /// <summary>Length in bytes of the longest key that is a prefix of <paramref name="input"/> (0 if none).</summary>
    public int LongestPrefixLength(ReadOnlySpan<byte> input)
    {
        int node = 0, longest = 0;
        for (int i = 0; i < input.Length; i++)
        {
            node = Child(node, input[i]);
            if (node == NoNode) break;
            if (_values[node] != NoValue) longest = i + 1;
        }
        return longest;
    }
}
