using System.Collections.Generic;

namespace Kernels.Bindings.Generator;

/// <summary>Everything the generator read from one header: what to emit and what it could not read.</summary>
internal sealed class HeaderModel
{
    public HeaderModel(BindingOptions options)
    {
        Options = options;
    }

    public BindingOptions Options { get; }
    public List<NativeEnum> Enums { get; } = new();
    public List<NativeStruct> Structs { get; } = new();
    public List<NativeConstant> Constants { get; } = new();
    public List<NativeFunction> Functions { get; } = new();
    public List<HeaderProblem> Problems { get; } = new();

    public bool IsEmpty => Enums.Count == 0 && Structs.Count == 0 && Constants.Count == 0 && Functions.Count == 0;
}

/// <summary>A <c>typedef enum name { ... } name;</c> with every member's value resolved.</summary>
internal sealed class NativeEnum
{
    public NativeEnum(string name, IReadOnlyList<NativeEnumMember> members)
    {
        Name = name;
        Members = members;
    }

    public string Name { get; }
    public IReadOnlyList<NativeEnumMember> Members { get; }
}

internal sealed class NativeEnumMember
{
    public NativeEnumMember(string name, long value)
    {
        Name = name;
        Value = value;
    }

    public string Name { get; }
    public long Value { get; }
}

/// <summary>
/// A <c>typedef struct name { ... } name;</c> whose fields are mapped scalars or fixed-size arrays of them, such as
/// ncclUniqueId (<c>char internal[128]</c>) or CUipcMemHandle: blittable, so it can cross the ABI by value.
/// </summary>
internal sealed class NativeStruct
{
    public NativeStruct(string name, IReadOnlyList<NativeField> fields)
    {
        Name = name;
        Fields = fields;
    }

    public string Name { get; }
    public IReadOnlyList<NativeField> Fields { get; }
}

/// <summary>A struct field: a C# type, its C name, and its element count when it is a fixed-size array (else 0).</summary>
internal sealed class NativeField
{
    public NativeField(string type, string name, int arrayLength)
    {
        Type = type;
        Name = name;
        ArrayLength = arrayLength;
    }

    public string Type { get; }
    public string Name { get; }
    public int ArrayLength { get; }
}

/// <summary>An integer <c>#define</c> such as KN_VERSION_MAJOR.</summary>
internal sealed class NativeConstant
{
    public NativeConstant(string name, long value)
    {
        Name = name;
        Value = value;
    }

    public string Name { get; }
    public long Value { get; }
}

/// <summary>One exported function, already mapped to C# types.</summary>
internal sealed class NativeFunction
{
    public NativeFunction(string name, string returnType, IReadOnlyList<NativeParameter> parameters, int line)
    {
        Name = name;
        ReturnType = returnType;
        Parameters = parameters;
        Line = line;
    }

    public string Name { get; }
    public string ReturnType { get; }
    public IReadOnlyList<NativeParameter> Parameters { get; }
    /// <summary>1-based header line, written next to the extern so a reader can find the C side.</summary>
    public int Line { get; }
}

internal sealed class NativeParameter
{
    public NativeParameter(string type, string name)
    {
        Type = type;
        Name = name;
    }

    public string Type { get; }
    public string Name { get; }
}
