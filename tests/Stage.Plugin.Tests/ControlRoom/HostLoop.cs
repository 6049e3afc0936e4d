using System.Collections.Concurrent;
using System.Diagnostics;
using Stage.Plugin.Tests.Host;

namespace Stage.Plugin.Tests.ControlRoom;

/// <summary>
/// A DAW's audio thread for one hosted Stage: plays the song forward at <see cref="Speed"/>× real time in
/// 480-sample blocks, the input a 100 Hz sine (its period divides a bar, so every captured bar is the same),
/// and runs the test's commands between blocks. Notes when the stem is first heard.
/// </summary>
sealed class HostLoop : IDisposable
{
    public const double Rate = 48000, Tempo = 120;
    const int Block = 480;

    readonly HostedStage stage;
    readonly Thread thread;
    readonly ConcurrentQueue<Action> commands = new();
    volatile bool stopping;
    long sample;
    long watchFrom;
    long heardAt;

    public double Speed { get; set; } = 4;

    public HostLoop(HostedStage stage)
    {
        this.stage = stage;
        thread = new Thread(Run) { IsBackground = true, Name = "test host audio" };
        thread.Start();
    }

    public static float Input(long sample) => 0.25f * MathF.Sin(2 * MathF.PI * (sample % 480) / 480f);

    /// <summary>From now on, the first block whose output differs from its input is "the stem heard".</summary>
    public void WatchForStem()
    {
        Interlocked.Exchange(ref heardAt, 0);
        Interlocked.Exchange(ref watchFrom, Stopwatch.GetTimestamp());
    }

    /// <summary>When the stem was first heard after <see cref="WatchForStem"/>, in seconds, or null.</summary>
    public double? StemHeardAfter
    {
        get
        {
            long heard = Interlocked.Read(ref heardAt), from = Interlocked.Read(ref watchFrom);
            return heard == 0 ? null : Stopwatch.GetElapsedTime(from, heard).TotalSeconds;
        }
    }

    /// <summary>Runs <paramref name="action"/> on the audio thread between two blocks and returns its result.</summary>
    public T Run<T>(Func<HostedStage, T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        commands.Enqueue(() =>
        {
            try { done.SetResult(action(stage)); }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task.Wait(TimeSpan.FromSeconds(30)) ? done.Task.Result : throw new TimeoutException("the host loop did not run the command");
    }

    void Run()
    {
        var clock = Stopwatch.StartNew();
        double played = 0;
        var inL = new float[Block];
        var inR = new float[Block];
        while (!stopping)
        {
            while (commands.TryDequeue(out var command)) command();
            for (int i = 0; i < Block; i++) inL[i] = inR[i] = Input(sample + i);
            var (outL, _) = stage.Process(inL, inR, new HostTransport(sample, Tempo, SampleRate: Rate));
            if (Interlocked.Read(ref watchFrom) != 0 && Interlocked.Read(ref heardAt) == 0)
                for (int i = 0; i < Block; i++)
                    if (Math.Abs(outL[i] - inL[i]) > 1e-4f) { Interlocked.Exchange(ref heardAt, Stopwatch.GetTimestamp()); break; }
            sample += Block;
            played += Block / Rate;
            double ahead = played / Speed - clock.Elapsed.TotalSeconds;
            if (ahead > 0.001) Thread.Sleep(TimeSpan.FromSeconds(ahead));
        }
    }

    public void Dispose()
    {
        stopping = true;
        thread.Join(TimeSpan.FromSeconds(5));
    }
}
