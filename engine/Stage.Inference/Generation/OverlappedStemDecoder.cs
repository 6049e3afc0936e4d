using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Stage.Inference.Kernels;

namespace Stage.Inference.Generation;

/// <summary>
/// A <see cref="StreamingStemDecoder"/> that decodes its pieces on a thread of its own while the LM generates the next
/// frames, so streaming costs the LM's thread nothing but a copy of four codes per frame. The generating thread adds
/// frames and takes the decoded pieces (it pushes them on, so listeners keep seeing one thread).
/// </summary>
/// <remarks>
/// The decode thread runs its kernels on itself alone (<see cref="KernelThreads.OnThisThread"/>) instead of queueing
/// on the pool the LM's every layer uses. It pays only where a logical processor is left over from the kernels'
/// threads (<see cref="WorthAThread"/>): on a machine whose every core runs the LM, a third thread preempts one of the
/// LM's mid-chunk and each such stall holds up a whole layer, so the pieces are decoded in <see cref="Add"/> on the
/// caller's thread with both cores instead (measured on 2 cores: a job 26.5 s beside the LM, 22–24 s inline). With the
/// codec on a device the pieces are decoded inline too: one accelerator stream serves both.
/// </remarks>
public sealed class OverlappedStemDecoder : IDisposable
{
    readonly StreamingStemDecoder _decoder;
    readonly BlockingCollection<int[]>? _frames;
    readonly ConcurrentQueue<StemPiece> _pieces = new();
    readonly Thread? _thread;
    readonly CancellationTokenSource _stop = new();
    volatile ExceptionDispatchInfo? _failure;
    bool _finished, _disposed;

    /// <param name="ownThread">Decode on a thread of its own (the codec runs on the CPU) or inline in <see cref="Add"/>.</param>
    public OverlappedStemDecoder(StreamingStemDecoder decoder, bool ownThread)
    {
        _decoder = decoder ?? throw new ArgumentNullException(nameof(decoder));
        if (!ownThread) return;
        _frames = new BlockingCollection<int[]>();
        _thread = new Thread(DecodeLoop) { IsBackground = true, Name = "stage-piece-decoder" };
        _thread.Start();
    }

    /// <summary>Whether pieces should be decoded on a thread of their own: EnCodec on the CPU, and a logical processor left over from the kernels' threads.</summary>
    public static bool WorthAThread(IComputeBackend codecBackend) =>
        codecBackend is CpuBackend && KernelThreads.Count < Environment.ProcessorCount;

    /// <summary>Whether pieces are decoded on a thread of their own.</summary>
    public bool OnOwnThread => _thread is not null;

    /// <summary>Appends the next frame's four codes (copied).</summary>
    public void Add(ReadOnlySpan<int> frameCodes)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _failure?.Throw();
        if (_frames is null)
        {
            _decoder.Add(frameCodes);
            DecodeReadyPieces();
            return;
        }
        if (frameCodes.Length != _decoder.Codebooks) throw new ArgumentException($"a frame has {_decoder.Codebooks} codes, got {frameCodes.Length}");
        _frames.Add(frameCodes.ToArray());
    }

    /// <summary>The next decoded piece, in order, if one is ready.</summary>
    public bool TryTakePiece(out StemPiece piece) => _pieces.TryDequeue(out piece);

    /// <summary>
    /// Every frame has been added: waits until the decode thread has decoded the last piece (take them with
    /// <see cref="TryTakePiece"/>) and rethrows its failure, if it had one.
    /// </summary>
    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        if (_frames is not null)
        {
            _frames.CompleteAdding();
            _thread!.Join();
        }
        _failure?.Throw();
        DecodeReadyPieces();
    }

    /// <summary>The whole stem, for the WAV (after <see cref="Finish"/>): the streamed pieces end to end.</summary>
    public float[] Audio => _finished ? _decoder.Audio : throw new InvalidOperationException("finish the streamed pieces before taking the whole stem");

    /// <summary>Stops the decode thread without waiting for the pieces still to come (a cancelled or failed job).</summary>
    public void Dispose()
    {
        if (_frames is null || _thread is null || _disposed) return;
        _disposed = true;
        if (!_finished)
        {
            _finished = true;
            _stop.Cancel();
            _frames.CompleteAdding();
            _thread.Join();
        }
        _frames.Dispose();
        _stop.Dispose();
    }

    /// <summary>Decodes every piece whose frames are there (stopping early when disposed).</summary>
    void DecodeReadyPieces()
    {
        while (!_stop.IsCancellationRequested && _decoder.TryDecodePiece(out var piece)) _pieces.Enqueue(piece);
    }

    void DecodeLoop()
    {
        try
        {
            KernelThreads.OnThisThread(() =>
            {
                foreach (var frame in _frames!.GetConsumingEnumerable(_stop.Token))
                {
                    _decoder.Add(frame);
                    DecodeReadyPieces();
                }
            });
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (Exception e)
        {
            _failure = ExceptionDispatchInfo.Capture(e);   // Add and Finish rethrow it on the generating thread
        }
    }
}
