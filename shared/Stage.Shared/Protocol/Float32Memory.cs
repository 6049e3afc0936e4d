using System.Buffers;
using System.Runtime.InteropServices;

namespace Stage.Shared.Protocol;

/// <summary>
/// Views little-endian float32 bytes (an audio bin inside a received frame) as <see cref="ReadOnlyMemory{T}"/>
/// of floats, so decoded messages can hold audio without copying it out of the frame.
/// </summary>
sealed class Float32Memory : MemoryManager<float>
{
    readonly ReadOnlyMemory<byte> _bytes;

    Float32Memory(ReadOnlyMemory<byte> bytes) => _bytes = bytes;

    public static ReadOnlyMemory<float> Over(ReadOnlyMemory<byte> bytes) =>
        bytes.IsEmpty ? ReadOnlyMemory<float>.Empty : new Float32Memory(bytes).Memory;

    // Unaligned float loads are fine on every platform .NET runs on; MemoryMarshal.Cast permits them.
    public override Span<float> GetSpan() => MemoryMarshal.Cast<byte, float>(MemoryMarshal.AsMemory(_bytes).Span);

    public override MemoryHandle Pin(int elementIndex = 0) =>
        MemoryMarshal.AsMemory(_bytes)[(elementIndex * sizeof(float))..].Pin();

    public override void Unpin() { }

    protected override void Dispose(bool disposing) { }
}
