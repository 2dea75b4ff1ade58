using System.Collections.Generic;
using System.Linq;

namespace Kernels.Bindings.Generator;

/// <summary>
/// Maps a C type to its blittable C# form. Only fixed-size types are mapped: a type whose size
/// differs between platforms (long) or that needs marshalling (bool) has no entry, so a header using it
/// fails the build instead of binding wrongly. The header's own enums and structs (blittable by
/// construction: scalar fields and fixed-size scalar arrays) map to their own names.
/// </summary>
internal static class CTypeMapper
{
    private static readonly Dictionary<string, string> Scalars = new()
    {
        ["void"] = "void",
        ["int8_t"] = "sbyte",
        ["uint8_t"] = "byte",
        ["int16_t"] = "short",
        ["uint16_t"] = "ushort",
        ["int32_t"] = "int",
        ["uint32_t"] = "uint",
        ["int64_t"] = "long",
        ["uint64_t"] = "ulong",
        ["int"] = "int",
        ["unsigned"] = "uint",
        ["unsigned int"] = "uint",
        ["size_t"] = "nuint",
        ["ptrdiff_t"] = "nint",
        ["intptr_t"] = "nint",
        ["uintptr_t"] = "nuint",
        ["float"] = "float",
        ["double"] = "double",
        // Strings cross the ABI as UTF-8 bytes; the managed side decodes them.
        ["char"] = "byte",
    };

    /// <summary>C# types a <c>fixed</c> buffer may hold: the primitive scalars (no pointers, enums or structs).</summary>
    public static bool IsFixedBufferElement(string type) =>
        type is "sbyte" or "byte" or "short" or "ushort" or "int" or "uint" or "long" or "ulong" or "float" or "double";

    /// <summary>Words that name a type, never a parameter.</summary>
    public static bool IsTypeKeyword(string word) =>
        word is "void" or "char" or "short" or "int" or "long" or "float" or "double" or "signed" or "unsigned"
            or "const" or "volatile";

    /// <summary>The C# type, or null with <paramref name="reason"/> saying why not.</summary>
    public static string? Map(IReadOnlyList<Token> type, ISet<string> headerTypes, bool isReturn, out string reason)
    {
        reason = "";
        var words = new List<string>();
        int pointerDepth = 0;
        foreach (var token in type)
        {
            if (token.Is("const") || token.Is("volatile"))
                continue;
            if (token.Is("*"))
                pointerDepth++;
            else if (token.Kind == TokenKind.Identifier && pointerDepth == 0)
                words.Add(token.Text);
            else
            {
                reason = $"'{Spell(type)}' ('{token.Text}' is not part of a supported type)";
                return null;
            }
        }

        string baseName = string.Join(" ", words);
        string? mapped = headerTypes.Contains(baseName) ? baseName
            : Scalars.TryGetValue(baseName, out var scalar) ? scalar
            : null;
        if (mapped == null)
        {
            reason = words.Count == 0 ? $"'{Spell(type)}' (no type)" : $"'{Spell(type)}' ('{baseName}' is not a mapped type)";
            return null;
        }
        if (pointerDepth == 0 && baseName == "void" && !isReturn)
        {
            reason = "'void' is not a parameter type";
            return null;
        }
        if (pointerDepth == 0 && baseName == "char")
        {
            reason = "'char' by value (only char pointers are mapped, as UTF-8 bytes)";
            return null;
        }
        return mapped + new string('*', pointerDepth);
    }

    public static string Spell(IEnumerable<Token> tokens) =>
        string.Join(" ", tokens.Select(t => t.Text)).Replace(" *", "*");
}
