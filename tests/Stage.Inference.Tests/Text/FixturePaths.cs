namespace Stage.Inference.Tests.Text;

/// <summary>Finds the project's copy of the stage-tiny fixture by walking up from the test binaries.</summary>
static class FixturePaths
{
    public static string StageTiny { get; } = Find();

    public static string File(string name) => Path.Combine(StageTiny, name);

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", "stage-tiny");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/stage-tiny not found above {AppContext.BaseDirectory}");
    }
}
