using System.Runtime.ExceptionServices;

namespace Stage.Inference.Kernels;

/// <summary>Work split into independent chunks; <see cref="RunChunk"/> may run on any worker.</summary>
public interface IChunkedWork
{
    void RunChunk(int chunk, int worker);
}

/// <summary>
/// A fixed set of threads that run the chunks of one <see cref="IChunkedWork"/> at a time; the calling
/// thread joins in as worker 0 and chunks are handed out by an atomic counter (so a slow core, common on a
/// shared machine, simply takes fewer). Dispatch allocates nothing, which keeps a decode step allocation-free.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    static readonly Lazy<WorkerPool> s_shared = new(() => new WorkerPool(Environment.ProcessorCount));

    /// <summary>One pool per process sized to the core count.</summary>
    public static WorkerPool Shared => s_shared.Value;

    readonly Thread[] _helpers;
    readonly ManualResetEventSlim[] _go;
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
        for (int i = 0; i < _helpers.Length; i++)
        {
            _go[i] = new ManualResetEventSlim(false);
            int worker = i + 1;
            _helpers[i] = new Thread(() => HelperLoop(worker)) { IsBackground = true, Name = $"stage-worker-{worker}" };
            _helpers[i].Start();
        }
    }

    /// <summary>Threads that run chunks, the caller included.</summary>
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
        lock (_dispatch) // one job at a time; nested or concurrent callers queue here
        {
            _work = work;
            _chunks = chunks;
            _next = 0;
            _failure = null;
            int helpers = Math.Min(_helpers.Length, chunks - 1);
            _running = helpers;
            _done.Reset();
            for (int i = 0; i < helpers; i++) _go[i].Set();
            RunChunks(0);
            if (helpers > 0) _done.Wait();
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

    void HelperLoop(int worker)
    {
        var go = _go[worker - 1];
        while (true)
        {
            go.Wait();
            go.Reset();
            if (_disposed) return;
            RunChunks(worker);
            if (Interlocked.Decrement(ref _running) == 0) _done.Set();
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
