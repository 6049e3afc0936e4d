namespace Stage.Inference.Text;

/// <summary>A growable byte array that can be cleared and truncated, reused across encodes.</summary>
public sealed class ByteBuffer(int capacity = 256)
{
    byte[] _data = new byte[Math.Max(capacity, 16)];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _data.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public void Truncate(int length) => Length = Math.Min(Length, length);

    public void Append(byte value)
    {
        if (Length == _data.Length) Grow(1);
        _data[Length++] = value;
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (Length + bytes.Length > _data.Length) Grow(bytes.Length);
        bytes.CopyTo(_data.AsSpan(Length));
        Length += bytes.Length;
    }

    void Grow(int extra) => Array.Resize(ref _data, Math.Max(_data.Length * 2, Length + extra));
}
