namespace Stage.Tests;

/// <summary>
/// The checkout the tests run from (the folder holding Stage.Plugin.sln): tests read their fixtures
/// from the clone itself, never from outside it. Linked into every test project.
/// </summary>
static class RepositoryRoot
{
    public static string Path { get; } = Find();

    /// <summary>tests/fixtures/stage-tiny: a tiny STAGE model and the goldens the reference implementation made with it.</summary>
    public static string TinyFixture => System.IO.Path.Combine(Path, "tests", "fixtures", "stage-tiny");

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Stage.Plugin.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no Stage.Plugin.sln above {AppContext.BaseDirectory}");
    }
}
