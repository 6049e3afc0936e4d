using Stage.Inference.Kernels;
using Stage.Inference.Generation;

namespace Stage.Inference.Tests.Generation;

public class OverlappedStemDecoderTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Pieces_come_in_order_cover_the_stem_and_equal_the_inline_decoder_s(bool ownThread)
    {
        const int total = 120;
        int generatingThread = Environment.CurrentManagedThreadId;
        var frames = new LocalFrames(total, lookahead: 4);
        using var decoder = new OverlappedStemDecoder(new StreamingStemDecoder(frames), ownThread);
        Assert.Equal(ownThread, decoder.OnOwnThread);
        var streamed = new List<float>();
        void Take()
        {
            while (decoder.TryTakePiece(out var piece))
            {
                Assert.Equal(streamed.Count, piece.StartSample);
                streamed.AddRange(piece.Samples);
            }
        }
        for (int t = 0; t < total; t++)
        {
            Span<int> frame = [t, 7, 8, t % 13];
            decoder.Add(frame);
            frame.Fill(-1);   // the caller's buffer is reused at once (the generator's is)
            Take();
        }
        decoder.Finish();
        Take();
        Assert.Equal(total * 640, streamed.Count);
        Assert.Equal(ownThread, frames.DecodedOn != generatingThread);
        Assert.Equal(decoder.Audio, streamed.ToArray());
        for (int t = 0; t < total; t++) Assert.Equal(LocalFrames.Sample([t, 7, 8, t % 13], 9), streamed[t * 640 + 9]);
    }

    [Fact]
    public void A_failed_piece_decode_is_rethrown_on_the_generating_thread()
    {
        var decoder = new OverlappedStemDecoder(new StreamingStemDecoder(
            new LocalFrames(60, onDecode: () => throw new InvalidDataException("EnCodec failed on piece 1"))), ownThread: true);
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            for (int t = 0; t < 60; t++) decoder.Add([t, 1, 2, 3]);
            decoder.Finish();
        });
        Assert.Contains("piece 1", e.Message);
        decoder.Dispose();
    }

    [Fact]
    public async Task Disposing_mid_stem_stops_the_decode_thread()
    {
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var decoder = new OverlappedStemDecoder(new StreamingStemDecoder(new LocalFrames(500, onDecode: () =>
        {
            started.Set();
            release.Wait(TimeSpan.FromSeconds(10));
        })), ownThread: true);
        for (int t = 0; t < 100; t++) decoder.Add([t, 1, 2, 3]);
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        var disposing = Task.Run(decoder.Dispose);
        release.Set();   // the piece in progress finishes; no further piece starts
        await disposing.WaitAsync(TimeSpan.FromSeconds(10));   // throws TimeoutException if Dispose hangs
        Assert.Throws<ObjectDisposedException>(() => decoder.Add([0, 1, 2, 3]));
        Assert.Throws<InvalidOperationException>(() => decoder.Audio);
    }

    [Fact]
    public void A_thread_of_its_own_only_where_a_logical_processor_is_free_of_kernels()
    {
        int saved = KernelThreads.Count;
        try
        {
            KernelThreads.Count = Environment.ProcessorCount;
            Assert.False(OverlappedStemDecoder.WorthAThread(CpuBackend.Instance));
            if (Environment.ProcessorCount > 1)
            {
                KernelThreads.Count = Environment.ProcessorCount - 1;
                Assert.True(OverlappedStemDecoder.WorthAThread(CpuBackend.Instance));
            }
        }
        finally { KernelThreads.Count = saved; }
    }
}
