namespace Stage.Inference.Kernels;

/// <summary>
/// How many threads the CPU kernels split work across. Kernels split per call into a handful of
/// coarse tasks (row blocks × column groups), never per element, and run them on
/// <see cref="WorkerPool.Shared"/>: no allocation-heavy task machinery per call, and on a busy
/// machine the caller does not wait for a helper thread the OS has not scheduled yet — which
/// matters for long chains of small calls such as the LSTM's 500 recurrent steps.
/// </summary>
public static class KernelThreads
{
    static int _count = PhysicalCores();

    /// <summary>
    /// The machine's physical cores (Linux: distinct sibling sets in /sys; elsewhere the logical processor count):
    /// a second hardware thread on a core adds no load/store bandwidth, which is what a decode step is bound by.
    /// </summary>
    public static int PhysicalCores()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var cores = new HashSet<string>();
                foreach (var cpu in Directory.EnumerateDirectories("/sys/devices/system/cpu", "cpu*"))
                {
                    string siblings = Path.Combine(cpu, "topology", "thread_siblings_list");
                    if (File.Exists(siblings)) cores.Add(File.ReadAllText(siblings).Trim());
                }
                if (cores.Count > 0) return Math.Min(cores.Count, Environment.ProcessorCount);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return Environment.ProcessorCount;
    }

    [ThreadStatic] static bool t_insideTask;

    /// <summary>
    /// Worker count (default: the physical cores; `--threads N` on the engine's commands). 1 runs every kernel on the calling thread.
    /// <see cref="WorkerPool.Shared"/> is sized from it when first used; later changes can only lower
    /// the parallelism (to 1).
    /// </summary>
    public static int Count
    {
        get => _count;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _count = value;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> with every kernel it calls on this thread alone, leaving the pool to another job
    /// (pieces of a stem decoded while the LM, on the pool, generates the next frames).
    /// </summary>
    public static void OnThisThread(Action body)
    {
        bool outer = t_insideTask;
        t_insideTask = true;
        try { body(); }
        finally { t_insideTask = outer; }
    }

    /// <summary>Runs body(0..count-1), in parallel when it pays off. A call from inside a task runs inline.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || _count == 1 || t_insideTask)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        WorkerPool.Shared.Run(new Tasks(body), count);
    }

    sealed class Tasks(Action<int> body) : IChunkedWork
    {
        public void RunChunk(int chunk, int worker)
        {
            bool outer = t_insideTask;
            t_insideTask = true;
            try { body(chunk); }
            finally { t_insideTask = outer; }
        }
    }
}
