using System.Text.Json;
using Stage.Inference.Checkpoints;
using Stage.Inference.Models.EnCodec;
using Stage.Shared.Audio;
using Stage.Shared.Audio.Resampling;

namespace Stage.Engine.Cli;

/// <summary>
/// `stage-engine codec encode IN.wav --model DIR --out codes.json` and
/// `stage-engine codec decode codes.json --model DIR --out OUT.wav`: the model folder's EnCodec on its own.
/// </summary>
public static class CodecCommand
{
    public static readonly Command Definition = new(
        "codec",
        "EnCodec: audio file -> codes JSON, codes JSON -> audio file",
        "codec encode IN.wav --model DIR --out codes.json | codec decode codes.json --model DIR --out OUT.wav",
        """
        encode  reads a WAV (PCM 16/24/32-bit or float, any rate and channel count), mixes it to mono,
                resamples it to 32 kHz and writes its EnCodec codes as
                {"frames": F, "codebooks": 4, "codes": [[F ints] x 4]} (50 frames per second).
        decode  reads such a codes file and writes the decoded audio: float32 mono 32 kHz WAV,
                640 samples per frame.
        --model DIR   model folder (model.safetensors, optional config.json)
        --out PATH    output file
        """,
        Run);

    static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        if (args.Length == 0 || args[0] is not ("encode" or "decode"))
            throw new UsageException("expected 'encode' or 'decode'");
        string mode = args[0];
        string? input = null, model = null, output = null;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model": model = Value(args, ref i); break;
                case "--out": output = Value(args, ref i); break;
                default:
                    if (args[i].StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unknown option '{args[i]}'");
                    if (input is not null) throw new UsageException($"unexpected argument '{args[i]}'");
                    input = args[i];
                    break;
            }
        }
        if (input is null) throw new UsageException($"missing the input file to {mode}");
        if (model is null) throw new UsageException("missing --model DIR");
        if (output is null) throw new UsageException("missing --out PATH");

        try
        {
            cancel.ThrowIfCancellationRequested();
            var folder = ModelFolder.Open(model);
            var codec = EncodecModel.Load(folder);
            cancel.ThrowIfCancellationRequested();
            if (mode == "encode")
            {
                var audio = ReadMono(input, codec.SampleRate);
                var codes = codec.Encode(audio);
                WriteCodes(output, codes);
                stdout.WriteLine($"{input}: {audio.Length} samples at {codec.SampleRate} Hz -> {codes.Frames} frames x {codes.Codebooks} codebooks -> {output}");
            }
            else
            {
                var codes = ReadCodes(input, codec.Codebooks, codec.Config.Bins);
                var audio = codec.Decode(codes);
                WavWriter.Write(output, new AudioBuffer([audio], codec.SampleRate), WavSampleFormat.Float32);
                stdout.WriteLine($"{input}: {codes.Frames} frames -> {audio.Length} samples at {codec.SampleRate} Hz -> {output}");
            }
            return 0;
        }
        catch (Exception e) when (e is CheckpointException or WavFormatException or CodesFileException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"stage-engine codec {mode}: {e.Message}");
            return 1;
        }
    }

    static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length) throw new UsageException($"{args[i]} needs a value");
        return args[++i];
    }

    /// <summary>The file mixed to mono (channel mean) and resampled to the codec's rate.</summary>
    static float[] ReadMono(string path, int sampleRate)
    {
        var buffer = WavReader.Read(path);
        var mono = buffer.ChannelCount == 1 ? buffer : ChannelMix.ToMono(buffer);
        var samples = mono.Channel(0);
        return mono.SampleRate == sampleRate ? samples : SampleRateConverter.Resample(samples, mono.SampleRate, sampleRate);
    }

    sealed class CodesFileException(string message) : Exception(message);

    public static void WriteCodes(string path, CodeMatrix codes)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteNumber("frames", codes.Frames);
        json.WriteNumber("codebooks", codes.Codebooks);
        json.WriteStartArray("codes");
        for (int q = 0; q < codes.Codebooks; q++)
        {
            json.WriteStartArray();
            foreach (int code in codes.Codebook(q)) json.WriteNumberValue(code);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Reads a codes file written by encode (or by anyone following its format), checking every field.</summary>
    public static CodeMatrix ReadCodes(string path, int codebooks, int bins)
    {
        if (!File.Exists(path)) throw new CodesFileException($"{path}: file not found");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new CodesFileException($"{path}: not valid JSON ({e.Message})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CodesFileException($"{path}: expected a JSON object with frames, codebooks and codes");
            int frames = Integer(root, "frames", path);
            int fileCodebooks = Integer(root, "codebooks", path);
            if (fileCodebooks != codebooks) throw new CodesFileException($"{path}: {fileCodebooks} codebooks, the model uses {codebooks}");
            if (!root.TryGetProperty("codes", out var rows) || rows.ValueKind != JsonValueKind.Array)
                throw new CodesFileException($"{path}: missing \"codes\" array");
            if (rows.GetArrayLength() != codebooks) throw new CodesFileException($"{path}: \"codes\" has {rows.GetArrayLength()} rows, expected {codebooks}");
            var matrix = new CodeMatrix(codebooks, frames);
            int q = 0;
            foreach (var row in rows.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != frames)
                    throw new CodesFileException($"{path}: codes row {q} must be an array of {frames} integers");
                int t = 0;
                foreach (var v in row.EnumerateArray())
                {
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int code))
                        throw new CodesFileException($"{path}: codes[{q}][{t}] is not an integer");
                    if (code < 0 || code >= bins) throw new CodesFileException($"{path}: codes[{q}][{t}] = {code} is outside [0, {bins})");
                    matrix[q, t++] = code;
                }
                q++;
            }
            return matrix;
        }
    }

    static int Integer(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int value) || value < 0)
            throw new CodesFileException($"{path}: \"{name}\" must be a non-negative integer");
        return value;
    }
}
