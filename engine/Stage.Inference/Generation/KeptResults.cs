using System.Diagnostics.CodeAnalysis;

namespace Stage.Inference.Generation;

/// <summary>
/// The results of the last few inputs, the most recently used first: what a producer's next take repeats (the same bars,
/// the same prompt) is found here instead of computed again. Thread-safe.
/// </summary>
sealed class KeptResults<TInput, TResult>(int capacity)
{
    readonly List<(TInput Input, TResult Result)> _kept = [];

    /// <summary>The result kept for the first input that <paramref name="matches"/>, which becomes the most recently used.</summary>
    public bool TryFind(Func<TInput, bool> matches, [MaybeNullWhen(false)] out TResult result)
    {
        lock (_kept)
        {
            int found = _kept.FindIndex(kept => matches(kept.Input));
            if (found < 0)
            {
                result = default;
                return false;
            }
            var kept = _kept[found];
            _kept.RemoveAt(found);
            _kept.Insert(0, kept);
            result = kept.Result;
            return true;
        }
    }

    /// <summary>Keeps a result, letting the least recently used go beyond the capacity.</summary>
    public void Keep(TInput input, TResult result)
    {
        lock (_kept)
        {
            _kept.Insert(0, (input, result));
            if (_kept.Count > capacity) _kept.RemoveAt(capacity);
        }
    }
}
