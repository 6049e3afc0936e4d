using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using MessagePack;

namespace Stage.Shared.Protocol;

/// <summary>
/// Writes a frame payload with MessagePack-CSharp's <see cref="MessagePackWriter"/>, which always picks the
/// smallest encoding the spec allows. No reflection: callers write each field explicitly. Strings are
/// encoded strictly (a lone surrogate throws, where the library would write U+FFFD), and float32 samples
/// go out as one bin of little-endian floats, the layout <see cref="PayloadReader"/> views in place.
/// The library buffers: call <see cref="Flush"/> when done.
/// </summary>
public ref struct PayloadWriter(IBufferWriter<byte> output)
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    MessagePackWriter _writer = new(output);

    /// <summary>Commits what was written to the output.</summary>
    public void Flush() => _writer.Flush();

    public void WriteNil() => _writer.WriteNil();

    public void Write(bool value) => _writer.Write(value);

    public void Write(int value) => _writer.Write(value);

    public void Write(long value) => _writer.Write(value);

    public void Write(ulong value) => _writer.Write(value);

    public void Write(float value) => _writer.Write(value);

    public void Write(double value) => _writer.Write(value);

    /// <summary>Writes a str, or nil for null. Lone surrogates throw rather than being silently replaced.</summary>
    public void Write(string? value)
    {
        if (value is null) { WriteNil(); return; }
        Write(value.AsSpan());
    }

    public void Write(ReadOnlySpan<char> value)
    {
        int byteCount = StrictUtf8.GetByteCount(value);
        _writer.WriteStringHeader(byteCount);
        StrictUtf8.GetBytes(value, _writer.GetSpan(byteCount));
        _writer.Advance(byteCount);
    }

    /// <summary>Writes an already UTF-8 encoded str (e.g. a u8 literal key).</summary>
    public void WriteUtf8(ReadOnlySpan<byte> utf8) => _writer.WriteString(utf8);

    public void Write(ReadOnlySpan<byte> binary) => _writer.Write(binary);

    /// <summary>Writes float32 samples as one bin of little-endian IEEE floats.</summary>
    public void Write(ReadOnlySpan<float> samples)
    {
        int byteCount = checked(samples.Length * sizeof(float));
        _writer.WriteBinHeader(byteCount);
        if (BitConverter.IsLittleEndian)
        {
            _writer.WriteRaw(MemoryMarshal.AsBytes(samples));
            return;
        }
        var span = _writer.GetSpan(byteCount);
        for (int i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(span[(i * sizeof(float))..], samples[i]);
        _writer.Advance(byteCount);
    }

    public void WriteArrayHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _writer.WriteArrayHeader(count);
    }

    public void WriteMapHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _writer.WriteMapHeader(count);
    }
}
