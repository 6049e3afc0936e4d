using System.Buffers;
using System.Buffers.Binary;
using NAudio.Wave;

namespace Stage.Shared.Audio;

/// <summary>
/// Writes a WAV file piece by piece, atomically: NAudio's <see cref="WaveFileWriter"/> writes the RIFF container
/// (fmt, fact for float, data, sizes and the pad byte) into a hidden temporary file in the destination's folder,
/// and only <see cref="Commit"/> finishes it, flushes it to disk and renames it over the destination. A writer
/// disposed without a commit (an error, a cancelled job) deletes its temporary file, so a half-written stem never
/// appears under the real name.
/// </summary>
/// <remarks>Integer PCM is written with format code 1 and float with code 3 (plus a fact chunk), which every reader
/// understands for mono and stereo. The samples are encoded here, not by NAudio's <c>WriteSample</c>: it truncates
/// toward zero (16-bit scaled by 32767, 24- and 32-bit through a float product), up to one step off, where Stage
/// rounds to the nearest step. Float samples outside ±1 are clipped when written as integers; NaN becomes 0.</remarks>
public sealed class WavWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly WaveFileWriter _container;
    private readonly string _tempPath;
    private readonly int _bytesPerSample;
    private long _frames;
    private bool _committed;
    private bool _disposed;

    public WavWriter(string path, int sampleRate, int channelCount, WavSampleFormat format)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (channelCount < 1 || channelCount > WavReader.MaxChannels)
            throw new ArgumentOutOfRangeException(nameof(channelCount), channelCount, $"Channel count must be 1 to {WavReader.MaxChannels}.");
        if (sampleRate < WavReader.MinSampleRate || sampleRate > WavReader.MaxSampleRate)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, $"Sample rate must be {WavReader.MinSampleRate} to {WavReader.MaxSampleRate} Hz.");
        _bytesPerSample = format.BytesPerSample();
        Path = System.IO.Path.GetFullPath(path);
        SampleRate = sampleRate;
        ChannelCount = channelCount;
        SampleFormat = format;

        var folder = System.IO.Path.GetDirectoryName(Path)!;
        _tempPath = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
        _file = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 1 << 16);
        _container = new WaveFileWriter(_file, WaveFormatOf(format, sampleRate, channelCount));
    }

    /// <summary>The final path the file appears at on <see cref="Commit"/>.</summary>
    public string Path { get; }

    public int SampleRate { get; }

    public int ChannelCount { get; }

    public WavSampleFormat SampleFormat { get; }

    public long FramesWritten => _frames;

    /// <summary>Writes a whole buffer to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, AudioBuffer audio, WavSampleFormat format)
    {
        using var writer = new WavWriter(path, audio.SampleRate, audio.ChannelCount, format);
        writer.Write(audio.Channels, 0, audio.FrameCount);
        writer.Commit();
    }

    /// <summary>Appends interleaved frames.</summary>
    public void Write(ReadOnlySpan<float> interleaved)
    {
        CheckOpen();
        if (interleaved.Length % ChannelCount != 0)
            throw new ArgumentException($"{interleaved.Length} samples are not a whole number of {ChannelCount}-channel frames.", nameof(interleaved));
        // The RIFF size fields are 32-bit: the whole file (header included, at most 58 bytes) must stay under 4 GiB.
        if ((_frames * ChannelCount + interleaved.Length) * _bytesPerSample + 58 > uint.MaxValue)
            throw new InvalidOperationException($"{Path}: {(_frames * ChannelCount + interleaved.Length) * _bytesPerSample} bytes of audio exceed the 4 GiB a WAV file can hold.");
        var bytes = ArrayPool<byte>.Shared.Rent(Math.Min(interleaved.Length, 1 << 14) * _bytesPerSample);
        try
        {
            while (!interleaved.IsEmpty)
            {
                var count = Math.Min(interleaved.Length, 1 << 14);
                count -= count % ChannelCount;
                var encoded = bytes.AsSpan(0, count * _bytesPerSample);
                Encode(interleaved[..count], SampleFormat, encoded);
                _container.Write(encoded);
                _frames += count / ChannelCount;
                interleaved = interleaved[count..];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Appends <paramref name="frames"/> frames of planar channels, starting at <paramref name="offset"/>.</summary>
    public void Write(IReadOnlyList<float[]> planar, int offset, int frames)
    {
        if (planar.Count != ChannelCount)
            throw new ArgumentException($"Got {planar.Count} channels, the file has {ChannelCount}.", nameof(planar));
        const int Block = 4096;
        var interleaved = ArrayPool<float>.Shared.Rent(Block * ChannelCount);
        try
        {
            for (var done = 0; done < frames; done += Block)
            {
                var count = Math.Min(Block, frames - done);
                Interleaving.Interleave(planar, offset + done, count, interleaved);
                Write(interleaved.AsSpan(0, count * ChannelCount));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(interleaved);
        }
    }

    /// <summary>Finishes the header, flushes to disk and renames the file into place (replacing an existing one).</summary>
    public void Commit()
    {
        CheckOpen();
        _container.Dispose(); // writes the sizes, the fact count and the pad byte; leaves our stream open
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        File.Move(_tempPath, Path, overwrite: true);
        _committed = true;
    }

    /// <summary>Closes the writer; without a prior <see cref="Commit"/> the temporary file is deleted.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!_committed)
        {
            // The container is not finished: its header would only go into a file that is about to be deleted.
            _file.Dispose();
            try
            {
                File.Delete(_tempPath);
            }
            catch (IOException)
            {
                // Best effort: a leftover hidden .tmp file is harmless and never mistaken for a stem.
            }
        }
    }

    private void CheckOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
            throw new InvalidOperationException($"{Path} is already committed.");
    }

    private static WaveFormat WaveFormatOf(WavSampleFormat format, int sampleRate, int channelCount) => format switch
    {
        WavSampleFormat.Float32 or WavSampleFormat.Float64 => WaveFormat.CreateCustomFormat(WaveFormatEncoding.IeeeFloat, sampleRate, channelCount,
            sampleRate * channelCount * format.BytesPerSample(), channelCount * format.BytesPerSample(), 8 * format.BytesPerSample()),
        _ => new WaveFormat(sampleRate, 8 * format.BytesPerSample(), channelCount),
    };

    /// <summary>float32 at full scale ±1 to little-endian stored samples.</summary>
    internal static void Encode(ReadOnlySpan<float> samples, WavSampleFormat format, Span<byte> bytes)
    {
        switch (format)
        {
            case WavSampleFormat.Pcm16:
                for (var i = 0; i < samples.Length; i++)
                    BinaryPrimitives.WriteInt16LittleEndian(bytes[(2 * i)..], (short)Quantize(samples[i], 32768.0));
                break;
            case WavSampleFormat.Pcm24:
                for (int i = 0, b = 0; i < samples.Length; i++, b += 3)
                {
                    var v = Quantize(samples[i], 8388608.0);
                    bytes[b] = (byte)v;
                    bytes[b + 1] = (byte)(v >> 8);
                    bytes[b + 2] = (byte)(v >> 16);
                }
                break;
            case WavSampleFormat.Pcm32:
                for (var i = 0; i < samples.Length; i++)
                    BinaryPrimitives.WriteInt32LittleEndian(bytes[(4 * i)..], (int)Quantize(samples[i], 2147483648.0));
                break;
            case WavSampleFormat.Float32:
                for (var i = 0; i < samples.Length; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(bytes[(4 * i)..], samples[i]);
                break;
            case WavSampleFormat.Float64:
                for (var i = 0; i < samples.Length; i++)
                    BinaryPrimitives.WriteDoubleLittleEndian(bytes[(8 * i)..], samples[i]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown WAV sample format.");
        }
    }

    /// <summary>Round to nearest, clipped to the integer range [−fullScale, fullScale − 1]; NaN → 0.</summary>
    private static long Quantize(float sample, double fullScale)
    {
        if (float.IsNaN(sample))
            return 0;
        var scaled = Math.Round(sample * fullScale, MidpointRounding.ToEven);
        return (long)Math.Clamp(scaled, -fullScale, fullScale - 1);
    }
}
