using System.Buffers.Binary;
using System.IO.Pipes;
using Stage.Shared.Protocol;

namespace Stage.Engine.Tests;

/// <summary>A pipe client that can send anything, for bad-input tests.</summary>
sealed class RawPipe : IAsyncDisposable
{
    readonly NamedPipeClientStream _pipe;

    RawPipe(NamedPipeClientStream pipe) => _pipe = pipe;

    public static async Task<RawPipe> ConnectAsync(string pipeName)
    {
        var pipe = new NamedPipeClientStream(".", pipeName, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        await pipe.ConnectAsync(10_000);
        return new RawPipe(pipe);
    }

    public async Task SendBytesAsync(byte[] bytes)
    {
        await _pipe.WriteAsync(bytes);
        await _pipe.FlushAsync();
    }

    public Task SendPayloadAsync(byte[] payload)
    {
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        payload.CopyTo(frame, 4);
        return SendBytesAsync(frame);
    }

    public Task SendAsync(ProtocolMessage message) => SendPayloadAsync(MessageCodec.Encode(message));

    public async Task HelloAsync()
    {
        await SendAsync(new Hello(Hello.CurrentProtocolVersion, "raw test pipe", "1"));
        Assert.IsType<Welcome>(await ReceiveAsync());
    }

    public async Task<ProtocolMessage?> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var payload = await Frame.ReadAsync(_pipe, timeout.Token);
        return payload is null ? null : MessageCodec.Decode(payload);
    }

    /// <summary>True once the engine has closed its end (a read sees the end of the stream).</summary>
    public async Task<bool> ClosedByEngineAsync()
    {
        try { return await ReceiveAsync() is null; }
        catch (IOException) { return true; }
    }

    public ValueTask DisposeAsync() => _pipe.DisposeAsync();
}
