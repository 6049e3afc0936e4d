using System.Runtime.ExceptionServices;

namespace Stage.Inference.Kernels;

/// <summary>Work split into independent chunks; <see cref="RunChunk"/> may run on any worker.</summary>
public interface IChunkedWork
{
    void RunChunk(int chunk, int worker);
}

/// <summary>
/// A fixed set of threads that run the chunks of one <see cref="IChunkedWork"/> at a time; the calling
/// thread joins in as worker 0 and chunks are handed out by an atomic counter, so a slow core simply takes
/// fewer. On a busy machine a woken helper may not get a core for milliseconds: once the caller has run out
/// of chunks it withdraws every helper that has not started yet instead of waiting for it, and waits only
/// for chunks actually in progress. Dispatch allocates nothing, which keeps a decode step allocation-free.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    const int Idle = 0, Signaled = 1, Running = 2, Withdrawn = 3;

    static readonly Lazy<WorkerPool> s_shared = new(() => new WorkerPool(KernelThreads.Count));

    /// <summary>One pool per process, sized by <see cref="KernelThreads.Count"/> when first used.</summary>
    public static WorkerPool Shared => s_shared.Value;

    readonly Thread[] _helpers;
    readonly ManualResetEventSlim[] _go;
    readonly int[] _state;
    readonly ManualResetEventSlim _done = new(false);
    readonly object _dispatch = new();
    IChunkedWork? _work;
    int _chunks, _next, _running;
    volatile bool _disposed;
    Exception? _failure;

    public WorkerPool(int workers)
    {
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "at least one worker");
        Workers = workers;
        _helpers = new Thread[workers - 1];
        _go = new ManualResetEventSlim[workers - 1];
        _state = new int[workers - 1];
        for (int i = 0; i < _helpers.Length; i++)
        {
            _go[i] = new ManualResetEventSlim(false);
            int helper = i;
            _helpers[i] = new Thread(() => HelperLoop(helper)) { IsBackground = true, Name = $"stage-worker-{i + 1}" };
            _helpers[i].Start();
        }
    }

    /// <summary>Threads that may run chunks, the caller included.</summary>
    public int Workers { get; }

    /// <summary>Runs chunks <c>0 .. chunks−1</c> and returns when all have finished (rethrowing the first failure).</summary>
    public void Run(IChunkedWork work, int chunks)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (chunks <= 0) return;
        if (chunks == 1 || _helpers.Length == 0)
        {
            for (int c = 0; c < chunks; c++) work.RunChunk(c, 0);
            return;
        }
        lock (_dispatch) // one job at a time; concurrent callers queue here
        {
            _work = work;
            _chunks = chunks;
            _next = 0;
            _failure = null;
            int helpers = Math.Min(_helpers.Length, chunks - 1);
            _running = helpers;
            _done.Reset();
            for (int i = 0; i < helpers; i++)
            {
                Volatile.Write(ref _state[i], Signaled);
                _go[i].Set();
            }
            RunChunks(0);
            for (int i = 0; i < helpers; i++)
                if (Interlocked.CompareExchange(ref _state[i], Withdrawn, Signaled) == Signaled)
                    FinishHelper();
            // The helpers' last chunks are usually microseconds from done: watch before sleeping, as the helpers do.
            long until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            while (!_done.IsSet && System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(8);
            _done.Wait();
            _work = null;
            if (_failure is { } failure) ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    void RunChunks(int worker)
    {
        var work = _work!;
        try
        {
            for (int c = Interlocked.Increment(ref _next) - 1; c < _chunks; c = Interlocked.Increment(ref _next) - 1)
                work.RunChunk(c, worker);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            Volatile.Write(ref _next, int.MaxValue / 2); // stop handing out chunks
        }
    }

    void FinishHelper()
    {
        if (Interlocked.Decrement(ref _running) == 0) _done.Set();
    }

    /// <summary>
    /// How long a helper that has just finished watches for the next job before it sleeps. A decode step hands out about
    /// 200 jobs, each a few tens of microseconds after the last; a helper woken from sleep arrives that late, and the
    /// caller has meanwhile done its share alone. Past this, an idle engine's helpers sleep as before.
    /// </summary>
    static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 10_000;   // 100 µs

    void HelperLoop(int helper)
    {
        var go = _go[helper];
        while (true)
        {
            long until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _state[helper]) != Signaled && !_disposed && System.Diagnostics.Stopwatch.GetTimestamp() < until)
                Thread.SpinWait(8);
            // Seen while spinning, the job's wake-up is left set: the next Wait returns at once and finds nothing to do.
            if (Volatile.Read(ref _state[helper]) != Signaled)
            {
                go.Wait();
                go.Reset();
            }
            if (_disposed) return;
            // Withdrawn (the caller finished without us) or a stale wake-up: nothing to do.
            if (Interlocked.CompareExchange(ref _state[helper], Running, Signaled) != Signaled) continue;
            RunChunks(helper + 1);
            Volatile.Write(ref _state[helper], Idle);
            FinishHelper();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var go in _go) go.Set();
        foreach (var t in _helpers) t.Join();
        foreach (var go in _go) go.Dispose();
        _done.Dispose();
    }
}
