using System.Collections.Generic;

namespace Kernels.Bindings.Generator;

internal enum TokenKind
{
    Identifier,
    Number,
    String,
    Punctuation,
}

/// <summary>A token of the declaration text, with its offset in the original header.</summary>
internal readonly struct Token
{
    public Token(TokenKind kind, string text, int offset)
    {
        Kind = kind;
        Text = text;
        Offset = offset;
    }

    public TokenKind Kind { get; }
    public string Text { get; }
    public int Offset { get; }

    public bool Is(string text) => Text == text;
    public override string ToString() => Text;
}

/// <summary>Splits declaration text (comments and directives already blanked) into tokens.</summary>
internal static class HeaderTokenizer
{
    public static List<Token> Tokenize(string code)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < code.Length)
        {
            char c = code[i];
            int start = i;
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                while (i < code.Length && (char.IsLetterOrDigit(code[i]) || code[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Identifier, code.Substring(start, i - start), start));
            }
            else if (char.IsDigit(c))
            {
                // Hex digits, suffixes (u, l) and '.' stay in the token; the enum parser validates it.
                while (i < code.Length && (char.IsLetterOrDigit(code[i]) || code[i] == '_' || code[i] == '.')) i++;
                tokens.Add(new Token(TokenKind.Number, code.Substring(start, i - start), start));
            }
            else if (c == '"' || c == '\'')
            {
                i++;
                while (i < code.Length && code[i] != c && code[i] != '\n') i += code[i] == '\\' ? 2 : 1;
                i = System.Math.Min(i + 1, code.Length);
                tokens.Add(new Token(TokenKind.String, code.Substring(start, i - start), start));
            }
            else
            {
                i++;
                tokens.Add(new Token(TokenKind.Punctuation, c.ToString(), start));
            }
        }
        return tokens;
    }
}
