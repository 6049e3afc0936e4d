using System.Globalization;
using Stage.Inference.Checkpoints;
using Stage.Inference.Gpu;
using Stage.Inference.Kernels;

namespace Stage.Inference.Models.Lm;

/// <summary>
/// The LM's matrices as a load at bf16 or int8 stores them, kept next to the checkpoint
/// (<c>model.lm-bf16.safetensors</c>, <c>model.lm-int8.safetensors</c>) after the first load and used where they are
/// mapped on every later one: no float32 read, no rounding, no fresh pages to zero (those were 1.6 s of a 3.3 s bf16
/// load). The file is a safetensors file of its own names (<see cref="MatrixName"/>; an int8 matrix has its row scales
/// beside it), stamped with the checkpoint's length and modification time; a file from another checkpoint, of another
/// precision or cut short is not used, and the next load writes it again.
/// </summary>
public static unsafe class ConvertedLm
{
    public const string Format = "stage-converted-lm/1";

    internal static string MatrixName(int layer, string matrix) => $"layers.{layer}.{matrix}";
    internal const string HeadsName = "heads";
    static string ScalesName(string matrix) => matrix + ".scales";

    /// <summary>Tensors in the file of an LM of <paramref name="layers"/> layers: eight matrices a layer and the heads, int8 with their scales.</summary>
    internal static int TensorCount(int layers, WeightPrecision precision) => (8 * layers + 1) * (precision == WeightPrecision.Int8 ? 2 : 1);

    /// <summary>Whether an LM stored at <paramref name="precision"/> is converted at all (float32 is the checkpoint as it is).</summary>
    public static bool Applies(WeightPrecision precision) => precision is WeightPrecision.BFloat16 or WeightPrecision.Int8;

    /// <summary>Where the converted matrices of <paramref name="checkpointPath"/> at <paramref name="precision"/> are kept.</summary>
    public static string PathFor(string checkpointPath, WeightPrecision precision) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpointPath))!,
            $"{Path.GetFileNameWithoutExtension(checkpointPath)}.lm-{WeightPrecisions.Name(precision)}.safetensors");

    /// <summary>
    /// The converted file of <paramref name="checkpointPath"/> at <paramref name="precision"/>, mapped, when one made from
    /// this checkpoint is there; otherwise null, and <paramref name="why"/> says what was wrong with the one there (empty when there is none).
    /// </summary>
    public static SafetensorsFile? TryOpen(string checkpointPath, WeightPrecision precision, out string why)
    {
        string path = PathFor(checkpointPath, precision);
        if (!File.Exists(path))
        {
            why = "";
            return null;
        }
        SafetensorsFile file;
        try { file = SafetensorsFile.Open(path); }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            why = e.Message;
            return null;
        }
        var metadata = file.Metadata;
        string? stale =
            metadata.GetValueOrDefault("format") != Format ? $"{path} is not a {Format} file"
            : metadata.GetValueOrDefault("precision") != WeightPrecisions.Name(precision) ? $"{path} holds {metadata.GetValueOrDefault("precision")} matrices, not {WeightPrecisions.Name(precision)}"
            : metadata.GetValueOrDefault("source") != Stamp(checkpointPath) ? $"{path} was made from another {Path.GetFileName(checkpointPath)}"
            : null;
        if (stale is not null)
        {
            file.Dispose();
            why = stale;
            return null;
        }
        why = "";
        return file;
    }

    /// <summary>
    /// The checkpoint as the converted file records it: length, last write, and a hash of 16 pieces of 4 KiB spread over
    /// it, so a checkpoint of the same size copied in with its time kept (two fine-tunes of one architecture) is told apart.
    /// </summary>
    static string Stamp(string checkpointPath)
    {
        var source = new FileInfo(checkpointPath);
        const int Pieces = 16, Piece = 4096;
        var samples = new byte[Pieces * Piece];
        using (var handle = File.OpenHandle(checkpointPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete))
            for (int i = 0; i < Pieces; i++)
                _ = RandomAccess.Read(handle, samples.AsSpan(i * Piece, Piece), source.Length / Pieces * i);   // a short file leaves zeros, the same each time
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(samples.AsSpan(0, Pieces * Piece)));
        return string.Create(CultureInfo.InvariantCulture, $"{source.Length} bytes, written {source.LastWriteTimeUtc.Ticks}, sampled {hash}");
    }

    /// <summary>A stored matrix where the file is mapped, checked to be <c>[rows, cols]</c> of <paramref name="precision"/>.</summary>
    internal static RowWeights Matrix(SafetensorsFile file, string name, int rows, int cols, WeightPrecision precision)
    {
        var values = file.Entry(name);
        switch (precision)
        {
            case WeightPrecision.BFloat16:
                Check(file, values, "BF16", [rows, cols]);
                return new RowWeights(file, (ushort*)file.DataPointer(values), rows, cols);
            case WeightPrecision.Int8:
                Check(file, values, "I8", [rows, cols]);
                var scales = file.Entry(ScalesName(name));
                Check(file, scales, "F32", [rows]);
                return new RowWeights(file, (sbyte*)file.DataPointer(values), (float*)file.DataPointer(scales), rows, cols);
            default:
                throw new ArgumentException($"only bf16 and int8 matrices are converted, not {WeightPrecisions.Name(precision)}", nameof(precision));
        }
    }

    static void Check(SafetensorsFile file, TensorEntry e, string dtype, int[] shape)
    {
        if (e.DType != dtype || !e.Shape.AsSpan().SequenceEqual(shape))
            throw new CheckpointException($"{file.Path}: tensor '{e.Name}' is {e.DType} {e.ShapeText}, expected {dtype} {Tensors.Tensor.ShapeText(shape)}");
    }

    /// <summary>Writes <paramref name="lm"/>'s matrices, as stored, for the next load of <paramref name="checkpointPath"/> at its precision.</summary>
    public static void Write(MusicGenLm lm, string checkpointPath)
    {
        var precision = lm.Precision;
        if (!Applies(precision)) throw new ArgumentException($"an LM stored as {WeightPrecisions.Name(precision)} is not converted", nameof(lm));
        var writer = new SafetensorsWriter();
        writer.Metadata("format", Format);
        writer.Metadata("precision", WeightPrecisions.Name(precision));
        writer.Metadata("source", Stamp(checkpointPath));
        foreach (var (name, m) in lm.Matrices())
        {
            if (precision == WeightPrecision.BFloat16) writer.Add(name, "BF16", [m.Rows, m.Cols], m.BFloat16, 2L * m.Rows * m.Cols);
            else
            {
                writer.Add(name, "I8", [m.Rows, m.Cols], m.Int8, (long)m.Rows * m.Cols);
                writer.Add(ScalesName(name), "F32", [m.Rows], m.Scales, 4L * m.Rows);
            }
        }
        writer.Write(PathFor(checkpointPath, precision));
        GC.KeepAlive(lm);   // its matrices' memory was written through raw pointers
    }
}
