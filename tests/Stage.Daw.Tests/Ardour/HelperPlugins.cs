namespace Stage.Daw.Tests.Ardour;

// RawPlayer and RawRecorder, built from HelperPlugins/ with CMake once per test run.
public static class HelperPlugins
{
    private static readonly Lazy<string> bundles = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string RawPlayer => Path.Combine(bundles.Value, "RawPlayer.vst3");
    public static string RawRecorder => Path.Combine(bundles.Value, "RawRecorder.vst3");

    private static string Build()
    {
        string build = Path.Combine(RepositoryLayout.BuildOutput, "helper-plugins");
        var configure = ProcessRunner.Run("cmake",
            ["-S", RepositoryLayout.HelperPluginSources, "-B", build, "-DCMAKE_BUILD_TYPE=Release"], TimeSpan.FromMinutes(2));
        if (configure.ExitCode != 0) throw new InvalidOperationException(configure.Describe("cmake configure"));
        var compile = ProcessRunner.Run("cmake", ["--build", build, "-j2"], TimeSpan.FromMinutes(5));
        if (compile.ExitCode != 0) throw new InvalidOperationException(compile.Describe("cmake --build"));
        return Path.Combine(build, "bundles");
    }
}
