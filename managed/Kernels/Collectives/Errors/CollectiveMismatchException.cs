namespace Kernels.Collectives;

/// <summary>
/// The ranks called a collective with different arguments (collective, element type, op, count, root, algorithm,
/// buffer kind). Every rank of the collective throws it, with the same message, before any data is read; the
/// communicator stays usable. For Send/Recv both sides throw it.
/// </summary>
public sealed class CollectiveMismatchException : CollectiveException
{
    /// <summary>Creates the exception naming the field and the ranks that differ from the reference rank.</summary>
    public CollectiveMismatchException(string operation, string field, IReadOnlyList<int> ranks, string details)
        : base($"{operation}: ranks disagree on {field}: {details}.")
    {
        Operation = operation;
        Field = field;
        Ranks = ranks;
    }

    /// <summary>The collective being matched.</summary>
    public string Operation { get; }

    /// <summary>The first field found to differ, e.g. "Count" or "ElementType".</summary>
    public string Field { get; }

    /// <summary>The ranks whose value differs from the lowest rank's, ascending.</summary>
    public IReadOnlyList<int> Ranks { get; }
}
