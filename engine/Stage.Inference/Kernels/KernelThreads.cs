namespace Stage.Inference.Kernels;

/// <summary>
/// How many threads the CPU kernels split work across. Kernels split per call into a handful of
/// coarse tasks (row blocks × column groups), never per element.
/// </summary>
public static class KernelThreads
{
    static int _count = Environment.ProcessorCount;
    static ParallelOptions _options = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary>Worker count (default: the processor count). 1 runs every kernel on the calling thread.</summary>
    public static int Count
    {
        get => _count;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _count = value;
            _options = new ParallelOptions { MaxDegreeOfParallelism = value };
        }
    }

    /// <summary>Runs body(0..count-1), in parallel when it pays off.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || _count == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, _options, body);
    }
}
