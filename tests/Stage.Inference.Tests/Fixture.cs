namespace Stage.Inference.Tests;

/// <summary>The stage-tiny golden fixture copied into the repository (tests/fixtures/stage-tiny).</summary>
static class Fixture
{
    public static string Directory { get; } = Find();

    public static string Golden => Path.Combine(Directory, "golden.safetensors");
    public static string Model => Path.Combine(Directory, "model.safetensors");

    static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "fixtures", "stage-tiny");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/stage-tiny not found above " + AppContext.BaseDirectory);
    }
}
