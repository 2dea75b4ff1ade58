using System.Collections.Generic;
using System.Text;

namespace Kernels.Bindings.Generator;

/// <summary>
/// A header split into declarations and preprocessor directives. Comments and directives are
/// blanked with spaces (newlines kept) rather than removed, so every offset in <see cref="Code"/>
/// is the same offset in the original file and diagnostics point at the real line.
/// </summary>
internal sealed class HeaderText
{
    private readonly int[] _lineStarts;

    private HeaderText(string code, List<Directive> directives, int[] lineStarts)
    {
        Code = code;
        Directives = directives;
        _lineStarts = lineStarts;
    }

    public string Code { get; }
    public IReadOnlyList<Directive> Directives { get; }

    public static HeaderText Parse(string source)
    {
        char[] code = source.ToCharArray();
        BlankComments(code);
        var directives = ExtractDirectives(code);
        return new HeaderText(new string(code), directives, LineStarts(source));
    }

    /// <summary>1-based line of an offset.</summary>
    public int LineOf(int offset)
    {
        int index = System.Array.BinarySearch(_lineStarts, offset);
        return (index >= 0 ? index : ~index - 1) + 1;
    }

    private static void BlankComments(char[] text)
    {
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '"' || c == '\'')
                i = SkipLiteral(text, i);
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
                while (i < text.Length && text[i] != '\n') Blank(text, i++);
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                Blank(text, i++);
                Blank(text, i++);
                while (i < text.Length && !(text[i] == '*' && i + 1 < text.Length && text[i + 1] == '/')) Blank(text, i++);
                for (int end = 0; end < 2 && i < text.Length; end++) Blank(text, i++);
            }
            else
                i++;
        }
    }

    private static int SkipLiteral(char[] text, int start)
    {
        char quote = text[start];
        int i = start + 1;
        while (i < text.Length && text[i] != quote && text[i] != '\n')
            i += text[i] == '\\' ? 2 : 1;
        return i + 1;
    }

    private static void Blank(char[] text, int i)
    {
        if (text[i] != '\n' && text[i] != '\r') text[i] = ' ';
    }

    /// <summary>Takes out every line that starts with '#' (with its backslash continuations).</summary>
    private static List<Directive> ExtractDirectives(char[] code)
    {
        var directives = new List<Directive>();
        int line = 1;
        int lineStart = 0;
        while (lineStart < code.Length)
        {
            int first = lineStart;
            while (first < code.Length && (code[first] == ' ' || code[first] == '\t')) first++;
            if (first < code.Length && code[first] == '#')
            {
                int startLine = line;
                var text = new StringBuilder();
                int i = first;
                while (i < code.Length)
                {
                    if (code[i] == '\n')
                    {
                        line++;
                        if (!EndsWithContinuation(text)) break;
                        text.Length = TrimContinuation(text);
                        text.Append(' ');
                        i++;
                        continue;
                    }
                    text.Append(code[i]);
                    Blank(code, i);
                    i++;
                }
                directives.Add(new Directive(text.ToString().Trim(), first, startLine));
                lineStart = i + 1;
                continue;
            }
            while (lineStart < code.Length && code[lineStart] != '\n') lineStart++;
            lineStart++;
            line++;
        }
        return directives;
    }

    private static bool EndsWithContinuation(StringBuilder text)
    {
        int i = text.Length - 1;
        while (i >= 0 && (text[i] == '\r' || text[i] == ' ' || text[i] == '\t')) i--;
        return i >= 0 && text[i] == '\\';
    }

    private static int TrimContinuation(StringBuilder text)
    {
        int i = text.Length - 1;
        while (text[i] != '\\') i--;
        return i;
    }

    private static int[] LineStarts(string source)
    {
        var starts = new List<int> { 0 };
        for (int i = 0; i < source.Length; i++)
            if (source[i] == '\n') starts.Add(i + 1);
        return starts.ToArray();
    }
}

/// <summary>One preprocessor directive, continuations joined, comments removed.</summary>
internal sealed class Directive
{
    public Directive(string text, int offset, int line)
    {
        Text = text;
        Offset = offset;
        Line = line;
    }

    public string Text { get; }
    public int Offset { get; }
    public int Line { get; }
}
