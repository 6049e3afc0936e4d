using Stage.Engine.Jobs;
using Stage.Inference.Generation;
using Stage.Shared.Audio;

namespace Stage.Engine.Cli;

/// <summary><c>stage-engine generate</c>: one stem (or several variations) from the command line.</summary>
public static class GenerateCommand
{
    public static readonly Command Definition = new(
        "generate",
        "generate a stem with a STAGE model (the product's main job)",
        "generate --model DIR --out STEM.wav [--context MIX.wav] [--context-mode mixture|click|both] [--bpm 120] " +
        "[--meter 4/4] [--click-offset SECONDS] (--bars N | --seconds S) [--prompt TEXT] [--seed N] [--top-k K] " +
        "[--temperature T] [--guidance G] [--variations N] [--codes-out CODES.json] [--sample-rate HZ] [--channels 1|2] " +
        DeviceOptions.Usage,
        """
        Generates a drum or bass stem that fits the context, with the model in DIR (model.safetensors,
        spiece.model, and config.json unless it has the released sizes), and writes it as a 32-bit float WAV (atomically: temporary file + rename).

          --context MIX.wav     the session's audio (any rate/channels; mixed to mono, resampled to 32 kHz).
                                Only the first 10 s are heard (STAGE's longest training context).
          --context-mode M      mixture (default with --context), click (default without), or both (mixture
                                plus click, summed). A silent mixture (peak below -60 dBFS) is an error.
          --bpm, --meter        tempo in quarter notes per minute (20-400) and meter (default 120, 4/4); the click
                                ticks each beat of the meter (eighths in 6/8), doubled and clipped on downbeats.
          --click-offset S      seconds from the context's start to the first bar line (default 0).
          --bars N              stem length in bars; the WAV is trimmed to exactly N bars at the output rate.
          --seconds S           stem length in seconds: exactly round(S x 50) model frames, delivered whole.
                                Either way at most 60 s.
          --prompt TEXT         text description (default: none, the null condition).
          --seed N              random seed (default 42); variation v uses seed + v - 1.
          --top-k K             sample among the K most likely tokens (default 250; 1 = greedy).
          --temperature T       softmax temperature (default 1).
          --guidance G          classifier-free guidance scale (default 3).
          --variations N        N candidates (1-8), written as STEM.wav, STEM-2.wav, STEM-3.wav, ...
          --codes-out FILE      also write the generated codes: one JSON object per variation and line,
                                {"frames": F, "codebooks": 4, "codes": [[...] x4]}.
          --sample-rate HZ      output rate (default 32000, the model's own).
          --channels 1|2        mono, or the mono stem duplicated to stereo (default 1).
        """ + "\n" + DeviceOptions.Help + "\n" + """

        A progress bar goes to stderr; Ctrl+C cancels cleanly (no partial WAV is left).
        Exit codes: 0 done, 1 failed, 2 bad command line or input, 130 cancelled.
        """,
        Run);

    static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var parsed = GenerateArguments.Parse(args);
        var request = parsed.Request;
        try
        {
            if (parsed.ContextPath is { } contextPath)
            {
                float[] audio;
                WavFormat format;
                try
                {
                    audio = WavReader.ReadInterleaved(contextPath, out format);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new StemInputException($"cannot read the context WAV {contextPath}: {e.Message}");
                }
                request = request with { ContextAudio = audio, ContextSampleRate = format.SampleRate, ContextChannels = format.ChannelCount };
            }
            var context = StemJob.PrepareContext(request);
            var model = LoadModel(request.ModelFolder);
            var selection = parsed.Device.Choose();
            stderr.WriteLine(selection.Message);
            using var device = selection.Device;
            using var generator = new StageGenerator(device);
            using var progress = new ProgressBar(stderr);
            var variations = StemJob.Run(model, generator, request, context, progress, cancel);
            progress.Finish();

            if (parsed.CodesPath is { } codesPath)
            {
                using var codes = new StreamWriter(codesPath);
                foreach (var v in variations) codes.WriteLine(CodesJson.Line(v.Codes));
            }
            foreach (var v in variations)
                stdout.WriteLine($"{v.WavPath}\t{v.Frames} frames\tseed {v.Seed}");
            return 0;
        }
        catch (Exception e) when (e is StemInputException or WavFormatException or ModelLoadException)
        {
            stderr.WriteLine($"stage-engine generate: {e.Message}");
            return 2;
        }
        catch (StemOutputException e)
        {
            stderr.WriteLine($"stage-engine generate: {e.Message}");
            return 1;
        }
    }

    static StageModel LoadModel(string folder)
    {
        string full = Path.GetFullPath(folder);
        var missing = InstalledModel.MissingFiles(full);
        if (missing.Count > 0)
            throw new ModelLoadException($"no complete STAGE model at {full}: {string.Join(", ", missing)} missing (expected {InstalledModel.Expected})");
        try
        {
            return StageModel.Load(full);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or ArgumentException or UnauthorizedAccessException
                                   or Stage.Inference.Checkpoints.CheckpointException)
        {
            throw new ModelLoadException($"cannot load the STAGE model at {full}: {e.Message}");
        }
    }

    sealed class ModelLoadException(string message) : Exception(message);
}
