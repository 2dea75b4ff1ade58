using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace Kernels.Bindings.Generator;

/// <summary>
/// Reads the declaration shapes kernels.h promises: <c>API ret name(params);</c> (may span lines),
/// <c>typedef enum tag { A = 1, ... } name;</c>, <c>typedef struct tag { T field; T array[N]; } name;</c>, integer <c>#define PREFIX_NAME 123</c>, and skips
/// include guards, other directives and <c>extern "C" { }</c>. Anything else at top level is reported,
/// never skipped silently.
/// </summary>
internal sealed class HeaderParser
{
    private static readonly Regex IntegerDefine = new(
        @"^#\s*define\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s+\(?\s*(?<value>-?\s*(?:0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*)\s*\)?$",
        RegexOptions.Compiled);

    private readonly HeaderText _text;
    private readonly List<Token> _tokens;
    private readonly HeaderModel _model;
    // Enums and structs: the header's own type names, usable in later declarations.
    private readonly HashSet<string> _typeNames = new();
    private readonly HashSet<string> _declaredNames = new();
    private int _position;

    private HeaderParser(HeaderText text, HeaderModel model)
    {
        _text = text;
        _tokens = HeaderTokenizer.Tokenize(text.Code);
        _model = model;
    }

    public static HeaderModel Parse(string path, string source)
    {
        var problems = new List<HeaderProblem>();
        var options = BindingOptions.Read(path, source.Split('\n'), problems);
        var model = new HeaderModel(options);
        model.Problems.AddRange(problems);
        var parser = new HeaderParser(HeaderText.Parse(source), model);
        parser.ReadConstants();
        parser.ReadDeclarations();
        return model;
    }

    private BindingOptions Options => _model.Options;

    private void ReadConstants()
    {
        foreach (var directive in _text.Directives)
        {
            var match = IntegerDefine.Match(directive.Text);
            if (!match.Success || !match.Groups["name"].Value.StartsWith(Options.ConstantPrefix))
                continue;
            string name = match.Groups["name"].Value;
            if (TryParseInteger(match.Groups["value"].Value.Replace(" ", ""), out long value))
            {
                if (Declare(name, directive.Offset, name.Length, directive.Line))
                    _model.Constants.Add(new NativeConstant(name, value));
            }
            else
                Report(BindingDiagnostics.UnparsableDeclaration, directive.Offset, directive.Text.Length,
                    $"'{directive.Text}' (the value does not fit in 64 bits)");
        }
    }

    private void ReadDeclarations()
    {
        int externDepth = 0;
        while (_position < _tokens.Count)
        {
            var token = _tokens[_position];
            if (token.Is("extern") && Peek(1).Is("\"C\""))
            {
                _position += 2;
                if (Peek(0).Is("{"))
                {
                    _position++;
                    externDepth++;
                }
            }
            else if (token.Is("}") && externDepth > 0)
            {
                _position++;
                externDepth--;
            }
            else if (token.Is(";"))
                _position++;
            else if (token.Is(Options.ExportMacro))
                ReadFunction();
            else if (token.Is("typedef") && Peek(1).Is("enum"))
                ReadEnum();
            else if (token.Is("typedef") && Peek(1).Is("struct"))
                ReadStruct();
            else
            {
                int end = StatementEnd(_position);
                Report(BindingDiagnostics.UnparsableDeclaration, token.Offset, SpanLength(_position, end),
                    $"'{Spell(_position, end)}' is not a function marked {Options.ExportMacro}, a typedef enum, a typedef struct or a directive");
                _position = end + 1;
            }
        }
    }

    /// <summary><c>API return-type name ( params ) ;</c></summary>
    private void ReadFunction()
    {
        int start = _position;
        int end = StatementEnd(start);
        int open = IndexOf("(", start + 1, end);
        int close = open < 0 ? -1 : MatchingClose(open, end);
        if (open < 0 || close < 0 || close != end - 1 || open - 1 <= start + 1 || _tokens[open - 1].Kind != TokenKind.Identifier)
        {
            Report(BindingDiagnostics.UnparsableDeclaration, _tokens[start].Offset, SpanLength(start, end),
                $"'{Spell(start, end)}' (expected {Options.ExportMacro} <return type> <name>(<parameters>);)");
            _position = end + 1;
            return;
        }
        _position = end + 1;

        var nameToken = _tokens[open - 1];
        int line = _text.LineOf(_tokens[start].Offset);
        var returnType = CTypeMapper.Map(Slice(start + 1, open - 1), _typeNames, isReturn: true, out string reason);
        bool ok = returnType != null;
        if (!ok)
            Report(BindingDiagnostics.UnmappableType, nameToken.Offset, nameToken.Text.Length, $"return type of {nameToken.Text}: {reason}");

        var parameters = new List<NativeParameter>();
        var parameterTokens = SplitParameters(open + 1, close);
        bool isVoidList = parameterTokens.Count == 1 && parameterTokens[0].Count == 1 && parameterTokens[0][0].Is("void");
        for (int i = 0; i < parameterTokens.Count && !isVoidList; i++)
        {
            var parameter = ReadParameter(nameToken.Text, i, parameterTokens[i], nameToken);
            if (parameter == null) ok = false;
            else parameters.Add(parameter);
        }

        if (!nameToken.Text.StartsWith(Options.Prefix))
        {
            Report(BindingDiagnostics.MissingPrefix, nameToken.Offset, nameToken.Text.Length,
                $"exported function '{nameToken.Text}' does not start with the prefix '{Options.Prefix}'");
            ok = false;
        }
        if (ok && Declare(nameToken.Text, nameToken.Offset, nameToken.Text.Length, line))
            _model.Functions.Add(new NativeFunction(nameToken.Text, returnType!, parameters, line));
    }

    private NativeParameter? ReadParameter(string function, int index, List<Token> tokens, Token fallbackLocation)
    {
        var location = tokens.Count > 0 ? tokens[0] : fallbackLocation;
        // The last word is the parameter's name unless it is part of the type (an unnamed parameter).
        bool hasName = tokens.Count >= 2
            && tokens[tokens.Count - 1].Kind == TokenKind.Identifier
            && !CTypeMapper.IsTypeKeyword(tokens[tokens.Count - 1].Text)
            && tokens.Take(tokens.Count - 1).Any(t => t.Kind == TokenKind.Identifier && !t.Is("const") && !t.Is("volatile"));
        var type = hasName ? tokens.Take(tokens.Count - 1).ToList() : tokens;
        string name = hasName ? tokens[tokens.Count - 1].Text : "arg" + index;

        var mapped = CTypeMapper.Map(type, _typeNames, isReturn: false, out string reason);
        if (mapped == null)
        {
            Report(BindingDiagnostics.UnmappableType, location.Offset, SpanLength(tokens), $"parameter {index + 1} of {function}: {reason}");
            return null;
        }
        return new NativeParameter(mapped, name);
    }

    /// <summary><c>typedef enum [tag] { NAME [= value], ... } name ;</c></summary>
    private void ReadEnum()
    {
        int start = _position;
        int end = StatementEnd(start);
        _position = end + 1;
        int open = IndexOf("{", start, end);
        int close = open < 0 ? -1 : IndexOf("}", open, end);
        bool shapeOk = open >= 0 && close >= 0 && close + 2 == end && _tokens[close + 1].Kind == TokenKind.Identifier
            && (open == start + 2 || (open == start + 3 && _tokens[start + 2].Kind == TokenKind.Identifier));
        if (!shapeOk)
        {
            Report(BindingDiagnostics.UnparsableDeclaration, _tokens[start].Offset, SpanLength(start, end),
                $"'{Spell(start, end)}' (expected typedef enum <tag> {{ <NAME> = <value>, ... }} <name>;)");
            return;
        }

        var nameToken = _tokens[close + 1];
        var members = new List<NativeEnumMember>();
        long next = 0;
        bool ok = true;
        foreach (var member in SplitOnCommas(open + 1, close))
        {
            if (member.Count == 0)
                continue; // the trailing comma after the last member
            if (member[0].Kind != TokenKind.Identifier || (member.Count > 1 && (!member[1].Is("=") || member.Count == 2)))
            {
                Report(BindingDiagnostics.UnparsableDeclaration, member[0].Offset, SpanLength(member),
                    $"enum member '{CTypeMapper.Spell(member)}' in {nameToken.Text} (expected <NAME> or <NAME> = <integer>)");
                ok = false;
                continue;
            }
            long value = next;
            string literal = member.Count > 1 ? string.Concat(member.Skip(2).Select(t => t.Text)) : "";
            bool parsed = member.Count == 1 || TryParseInteger(literal, out value);
            if (!parsed || value < int.MinValue || value > int.MaxValue)
            {
                var valueTokens = member.Count > 1 ? member.Skip(2).ToList() : member;
                string spelled = member.Count > 1 ? literal : $"{value} (previous + 1)";
                Report(BindingDiagnostics.InvalidEnumValue, valueTokens[0].Offset, SpanLength(valueTokens),
                    $"{member[0].Text} = {spelled} in {nameToken.Text} (expected an integer literal that fits in int)");
                ok = false;
                continue;
            }
            members.Add(new NativeEnumMember(member[0].Text, value));
            next = value + 1;
        }
        // Registered even when a member failed, so functions using the enum do not add a second error.
        _typeNames.Add(nameToken.Text);
        if (ok && Declare(nameToken.Text, nameToken.Offset, nameToken.Text.Length, _text.LineOf(nameToken.Offset)))
            _model.Enums.Add(new NativeEnum(nameToken.Text, members));
    }

    /// <summary><c>typedef struct [tag] { type name; type name[N]; ... } name ;</c> with mapped, non-pointer array element types.</summary>
    private void ReadStruct()
    {
        int start = _position;
        int end = StatementEnd(start);
        _position = end + 1;
        int open = IndexOf("{", start, end);
        int close = -1;
        for (int i = end; i > open && open >= 0; i--)
            if (_tokens[i].Is("}")) { close = i; break; }
        bool shapeOk = open >= 0 && close >= 0 && close + 2 == end && _tokens[close + 1].Kind == TokenKind.Identifier
            && (open == start + 2 || (open == start + 3 && _tokens[start + 2].Kind == TokenKind.Identifier));
        if (!shapeOk)
        {
            Report(BindingDiagnostics.UnparsableDeclaration, _tokens[start].Offset, SpanLength(start, end),
                $"'{Spell(start, end)}' (expected typedef struct <tag> {{ <type> <field>; <type> <field>[<count>]; }} <name>;)");
            return;
        }

        var nameToken = _tokens[close + 1];
        var fields = new List<NativeField>();
        bool ok = true;
        int fieldStart = open + 1;
        for (int i = open + 1; i < close; i++)
        {
            if (!_tokens[i].Is(";"))
                continue;
            var field = ReadField(nameToken.Text, Slice(fieldStart, i));
            if (field == null) ok = false;
            else fields.Add(field);
            fieldStart = i + 1;
        }
        if (fieldStart < close || fields.Count == 0 && ok)
        {
            Report(BindingDiagnostics.UnparsableDeclaration, _tokens[open].Offset, SpanLength(open, close),
                $"struct {nameToken.Text} (expected fields ending in ';', at least one)");
            ok = false;
        }
        _typeNames.Add(nameToken.Text);
        if (ok && Declare(nameToken.Text, nameToken.Offset, nameToken.Text.Length, _text.LineOf(nameToken.Offset)))
            _model.Structs.Add(new NativeStruct(nameToken.Text, fields));
    }

    /// <summary><c>type name</c> or <c>type name [ N ]</c>; arrays hold scalars (C# fixed buffers), never pointers.</summary>
    private NativeField? ReadField(string structName, List<Token> tokens)
    {
        int arrayLength = 0;
        var declarator = tokens;
        if (tokens.Count >= 4 && tokens[tokens.Count - 1].Is("]") && tokens[tokens.Count - 3].Is("["))
        {
            string count = tokens[tokens.Count - 2].Text;
            if (!TryParseInteger(count, out long length) || length < 1 || length > int.MaxValue)
            {
                Report(BindingDiagnostics.UnparsableDeclaration, tokens[0].Offset, SpanLength(tokens),
                    $"field '{CTypeMapper.Spell(tokens)}' of {structName} (the array length must be a positive integer literal)");
                return null;
            }
            arrayLength = (int)length;
            declarator = tokens.Take(tokens.Count - 3).ToList();
        }
        if (declarator.Count < 2 || declarator[declarator.Count - 1].Kind != TokenKind.Identifier
            || CTypeMapper.IsTypeKeyword(declarator[declarator.Count - 1].Text))
        {
            var location = tokens.Count > 0 ? tokens[0] : _tokens[_position - 1];
            Report(BindingDiagnostics.UnparsableDeclaration, location.Offset, SpanLength(tokens),
                $"field '{CTypeMapper.Spell(tokens)}' of {structName} (expected <type> <name> or <type> <name>[<count>])");
            return null;
        }
        var typeTokens = declarator.Take(declarator.Count - 1).ToList();
        // char by value is a byte inside a struct (the C# fixed buffer of an opaque id), unlike a parameter.
        bool isChar = typeTokens.Count(t => !t.Is("const") && !t.Is("volatile")) == 1 && typeTokens.Any(t => t.Is("char"));
        string reason = "";
        string? mapped = isChar ? "byte" : CTypeMapper.Map(typeTokens, _typeNames, isReturn: false, out reason);
        if (mapped == null || (arrayLength > 0 && !CTypeMapper.IsFixedBufferElement(mapped)))
        {
            Report(BindingDiagnostics.UnmappableType, declarator[0].Offset, SpanLength(declarator),
                $"field {declarator[declarator.Count - 1].Text} of {structName}: " +
                (mapped == null ? reason : $"'{mapped}' cannot be a fixed-size array element (only scalars can)"));
            return null;
        }
        return new NativeField(mapped, declarator[declarator.Count - 1].Text, arrayLength);
    }

    private static bool TryParseInteger(string literal, out long value)
    {
        value = 0;
        string text = literal.TrimEnd('u', 'U', 'l', 'L');
        bool negative = text.StartsWith("-");
        if (negative) text = text.Substring(1);
        bool isHex = text.StartsWith("0x") || text.StartsWith("0X");
        bool parsed = isHex
            ? long.TryParse(text.Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : text.Length > 0 && text.All(char.IsDigit) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (negative) value = -value;
        return parsed;
    }

    private bool Declare(string name, int offset, int length, int line)
    {
        if (_declaredNames.Add(name))
            return true;
        _model.Problems.Add(new HeaderProblem(BindingDiagnostics.DuplicateName, offset, length, line, $"'{name}' is declared twice"));
        return false;
    }

    private void Report(DiagnosticDescriptor descriptor, int offset, int length, string detail) =>
        _model.Problems.Add(new HeaderProblem(descriptor, offset, length, _text.LineOf(offset), detail));

    private Token Peek(int ahead) =>
        _position + ahead < _tokens.Count ? _tokens[_position + ahead] : new Token(TokenKind.Punctuation, "", _text.Code.Length);

    /// <summary>Index of the ';' ending the statement at <paramref name="start"/> (braces nest), or the last token.</summary>
    private int StatementEnd(int start)
    {
        int depth = 0;
        for (int i = start; i < _tokens.Count; i++)
        {
            if (_tokens[i].Is("{") || _tokens[i].Is("(")) depth++;
            else if (_tokens[i].Is("}") || _tokens[i].Is(")")) depth--;
            else if (_tokens[i].Is(";") && depth <= 0) return i;
        }
        return _tokens.Count - 1;
    }

    private int IndexOf(string text, int from, int to)
    {
        for (int i = from; i <= to; i++)
            if (_tokens[i].Is(text)) return i;
        return -1;
    }

    private int MatchingClose(int open, int to)
    {
        int depth = 0;
        for (int i = open; i <= to; i++)
        {
            if (_tokens[i].Is("(")) depth++;
            else if (_tokens[i].Is(")") && --depth == 0) return i;
        }
        return -1;
    }

    /// <summary>Parameters between the parentheses; a nested '(' (function pointer) stays inside one parameter.</summary>
    private List<List<Token>> SplitParameters(int from, int to)
    {
        var result = SplitOnCommas(from, to);
        return result.Count == 1 && result[0].Count == 0 ? new List<List<Token>>() : result;
    }

    private List<List<Token>> SplitOnCommas(int from, int to)
    {
        var parts = new List<List<Token>> { new() };
        int depth = 0;
        for (int i = from; i < to; i++)
        {
            var token = _tokens[i];
            if (token.Is("(")) depth++;
            else if (token.Is(")")) depth--;
            if (token.Is(",") && depth == 0)
                parts.Add(new List<Token>());
            else
                parts[parts.Count - 1].Add(token);
        }
        return parts;
    }

    private List<Token> Slice(int from, int to) => _tokens.Skip(from).Take(to - from).ToList();

    private string Spell(int from, int to) => CTypeMapper.Spell(_tokens.Skip(from).Take(to - from + 1));

    private int SpanLength(int from, int to) =>
        _tokens[to].Offset + _tokens[to].Text.Length - _tokens[from].Offset;

    private static int SpanLength(List<Token> tokens) =>
        tokens.Count == 0 ? 0 : tokens[tokens.Count - 1].Offset + tokens[tokens.Count - 1].Text.Length - tokens[0].Offset;
}
