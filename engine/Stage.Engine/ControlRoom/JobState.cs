namespace Stage.Engine.ControlRoom;

/// <summary>Where an instance's latest request is, as its card shows it.</summary>
enum JobState { Idle, Generating, Done, Failed, Cancelled }
