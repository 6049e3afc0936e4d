using System.Diagnostics;

namespace Stage.Shared.Tests;

/// <summary>Runs tests/interop/interop.mjs (the @msgpack/msgpack side of the interop tests) under node.</summary>
static class Node
{
    public static string InteropFolder => Path.Combine(RepositoryRoot.Path, "tests", "interop");

    public static byte[] Run(string mode, byte[] stdin)
    {
        if (!Directory.Exists(Path.Combine(InteropFolder, "node_modules", "@msgpack", "msgpack")))
            throw new InvalidOperationException($"@msgpack/msgpack is not installed; run: npm ci --prefix {InteropFolder}");
        var start = new ProcessStartInfo("node", ["interop.mjs", mode])
        {
            WorkingDirectory = InteropFolder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(60_000)) { process.Kill(); throw new TimeoutException($"node interop.mjs {mode} did not finish"); }
        copyOut.Wait();
        if (process.ExitCode != 0) throw new InvalidOperationException($"node interop.mjs {mode} failed: {stderr.Result}");
        return stdout.ToArray();
    }
}
