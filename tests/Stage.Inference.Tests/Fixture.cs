namespace Stage.Inference.Tests;

/// <summary>The stage-tiny golden fixture copied into the repository (tests/fixtures/stage-tiny).</summary>
static class Fixture
{
    public static string Directory => RepositoryRoot.TinyFixture;

    public static string Golden => Path.Combine(Directory, "golden.safetensors");
    public static string Model => Path.Combine(Directory, "model.safetensors");
}
