namespace Digest.Steps;

/// <summary>What starts a step.</summary>
public enum StepTrigger
{
    /// <summary>A schedule (NCRONTAB, 6 fields) read from an app setting.</summary>
    Timer,

    /// <summary>A message on a Storage queue whose name is read from an app setting.</summary>
    Queue,
}

/// <summary>One step of Digest, as every host runs it.</summary>
/// <param name="Name">The function's name in every host.</param>
/// <param name="Trigger">What starts it.</param>
/// <param name="Setting">The app setting with its schedule or its queue's name (<c>Schedules:SnapshotDigests</c>;
/// <c>Schedules__SnapshotDigests</c> as an environment variable).</param>
/// <param name="Service">The shared/ class whose one method the step calls.</param>
/// <param name="Method">That method.</param>
public sealed record DigestStep(string Name, StepTrigger Trigger, string Setting, Type Service, string Method)
{
    /// <summary>The trigger attribute's argument: the setting between percent signs, which the host resolves.</summary>
    public string Expression => $"%{Setting}%";
}
