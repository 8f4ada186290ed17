using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Digest.Rules;

/// <summary>A text field of a paper that a rule can search.</summary>
public enum PaperField
{
    /// <summary>The title (<c>title:</c>).</summary>
    Title,

    /// <summary>The abstract (<c>abstract:</c>).</summary>
    Abstract,

    /// <summary>The author names (<c>author:</c>); a phrase never spans two authors.</summary>
    Authors,
}

/// <summary>The comparison of a threshold such as <c>upvotes&gt;=20</c>.</summary>
public enum ComparisonOperator
{
    GreaterThanOrEqual,
    GreaterThan,
    LessThanOrEqual,
    LessThan,
    Equal,
}

/// <summary>
/// A node of a parsed rule. Nodes are immutable, compare by structure (<see cref="Equals(RuleNode?)"/>) and print
/// in the canonical rule syntax (<see cref="ToString"/>), which parses back to an equal node.
/// </summary>
public abstract class RuleNode : IEquatable<RuleNode>
{
    private protected RuleNode()
    {
    }

    /// <summary>Binding strength when printed: 0 for OR, 1 for AND, 2 for NOT and field scopes, 3 for terms.</summary>
    private protected abstract int Precedence { get; }

    public abstract bool Equals(RuleNode? other);

    public sealed override bool Equals(object? obj) => obj is RuleNode node && Equals(node);

    public abstract override int GetHashCode();

    /// <summary>The canonical rule syntax of this node.</summary>
    public sealed override string ToString()
    {
        var builder = new StringBuilder();
        Print(builder);
        return builder.ToString();
    }

    internal abstract void Print(StringBuilder builder);

    /// <summary>Prints <paramref name="node"/>, in parentheses when it binds less tightly than <paramref name="precedence"/>.</summary>
    private protected static void PrintOperand(StringBuilder builder, RuleNode node, int precedence)
    {
        if (node.Precedence < precedence)
        {
            builder.Append('(');
            node.Print(builder);
            builder.Append(')');
        }
        else
        {
            node.Print(builder);
        }
    }

    private protected static bool SequenceEquals(ImmutableArray<RuleNode> left, ImmutableArray<RuleNode> right)
    {
        if (left.Length != right.Length)
        {
            return false;
        }

        for (var i = 0; i < left.Length; i++)
        {
            if (!left[i].Equals(right[i]))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// A term: one word, a phrase of consecutive words, or either with a prefix wildcard on its last word
/// (<c>quantiz*</c>, <c>low-ra*</c>). Without a field scope above it, it searches title, abstract and authors.
/// </summary>
public sealed class TermNode : RuleNode
{
    internal TermNode(ImmutableArray<string> words, bool isPrefix)
    {
        Words = words;
        IsPrefix = isPrefix;
    }

    /// <summary>The normalized words, at least one (see <see cref="TextNormalizer"/>).</summary>
    public ImmutableArray<string> Words { get; }

    /// <summary>Whether the last word matches any word that starts with it.</summary>
    public bool IsPrefix { get; }

    /// <summary>Whether this is a phrase of two or more consecutive words.</summary>
    public bool IsPhrase => Words.Length > 1;

    private protected override int Precedence => 3;

    public override bool Equals(RuleNode? other) =>
        other is TermNode term && term.IsPrefix == IsPrefix && term.Words.SequenceEqual(Words, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(IsPrefix);
        foreach (var word in Words)
        {
            hash.Add(word, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    internal override void Print(StringBuilder builder)
    {
        if (IsPrefix)
        {
            // A quoted phrase cannot carry a wildcard; hyphens join the words into the same phrase.
            builder.AppendJoin('-', Words).Append('*');
        }
        else if (IsPhrase)
        {
            builder.Append('"').AppendJoin(' ', Words).Append('"');
        }
        else
        {
            builder.Append(Words[0]);
        }
    }
}

/// <summary>A numeric threshold on the paper's upvotes (<c>upvotes&gt;=20</c>).</summary>
public sealed class ThresholdNode : RuleNode
{
    internal ThresholdNode(ComparisonOperator comparison, int value)
    {
        Comparison = comparison;
        Value = value;
    }

    public ComparisonOperator Comparison { get; }

    public int Value { get; }

    private protected override int Precedence => 3;

    /// <summary>Whether a paper with <paramref name="upvotes"/> upvotes passes.</summary>
    public bool IsSatisfiedBy(int upvotes) => IsSatisfied(Comparison, Value, upvotes);

    internal static bool IsSatisfied(ComparisonOperator comparison, int value, int upvotes) => comparison switch
    {
        ComparisonOperator.GreaterThanOrEqual => upvotes >= value,
        ComparisonOperator.GreaterThan => upvotes > value,
        ComparisonOperator.LessThanOrEqual => upvotes <= value,
        ComparisonOperator.LessThan => upvotes < value,
        _ => upvotes == value,
    };

    internal static string Symbol(ComparisonOperator comparison) => comparison switch
    {
        ComparisonOperator.GreaterThanOrEqual => ">=",
        ComparisonOperator.GreaterThan => ">",
        ComparisonOperator.LessThanOrEqual => "<=",
        ComparisonOperator.LessThan => "<",
        _ => "=",
    };

    public override bool Equals(RuleNode? other) =>
        other is ThresholdNode threshold && threshold.Comparison == Comparison && threshold.Value == Value;

    public override int GetHashCode() => HashCode.Combine(Comparison, Value);

    internal override void Print(StringBuilder builder) =>
        builder.Append("upvotes").Append(Symbol(Comparison)).Append(Value.ToString(CultureInfo.InvariantCulture));
}

/// <summary><c>NOT x</c> or <c>-x</c>.</summary>
public sealed class NotNode : RuleNode
{
    internal NotNode(RuleNode operand) => Operand = operand;

    public RuleNode Operand { get; }

    private protected override int Precedence => 2;

    public override bool Equals(RuleNode? other) => other is NotNode not && not.Operand.Equals(Operand);

    public override int GetHashCode() => HashCode.Combine(nameof(NotNode), Operand);

    internal override void Print(StringBuilder builder)
    {
        builder.Append("NOT ");
        PrintOperand(builder, Operand, 2);
    }
}

/// <summary>A node of two or more operands of one operator, printed with that operator between them.</summary>
public abstract class CompoundNode : RuleNode
{
    private protected CompoundNode(ImmutableArray<RuleNode> operands) => Operands = operands;

    public ImmutableArray<RuleNode> Operands { get; }

    /// <summary>What stands between two operands when printed.</summary>
    private protected abstract string Separator { get; }

    public sealed override bool Equals(RuleNode? other) =>
        other is CompoundNode compound && compound.GetType() == GetType() && SequenceEquals(compound.Operands, Operands);

    public sealed override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(GetType().Name);
        foreach (var operand in Operands)
        {
            hash.Add(operand);
        }

        return hash.ToHashCode();
    }

    internal sealed override void Print(StringBuilder builder)
    {
        for (var i = 0; i < Operands.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(Separator);
            }

            PrintOperand(builder, Operands[i], Precedence + 1);
        }
    }
}

/// <summary>All operands must hold (<c>a AND b</c>, or just <c>a b</c>). Has at least two operands, none of them an <see cref="AndNode"/>.</summary>
public sealed class AndNode : CompoundNode
{
    internal AndNode(ImmutableArray<RuleNode> operands)
        : base(operands)
    {
    }

    private protected override int Precedence => 1;

    // The canonical form uses the implicit AND: it is the shortest, so printing never pushes a rule past the length limit.
    private protected override string Separator => " ";
}

/// <summary>Any operand may hold (<c>a OR b</c>). Has at least two operands, none of them an <see cref="OrNode"/>.</summary>
public sealed class OrNode : CompoundNode
{
    internal OrNode(ImmutableArray<RuleNode> operands)
        : base(operands)
    {
    }

    private protected override int Precedence => 0;

    private protected override string Separator => " OR ";
}

/// <summary>A field scope (<c>title:x</c>, <c>abstract:"a b"</c>, <c>author:(a OR b)</c>): the terms below search only that field.</summary>
public sealed class FieldScopeNode : RuleNode
{
    internal FieldScopeNode(PaperField field, RuleNode operand)
    {
        Field = field;
        Operand = operand;
    }

    public PaperField Field { get; }

    public RuleNode Operand { get; }

    private protected override int Precedence => 2;

    internal static string Name(PaperField field) => field switch
    {
        PaperField.Title => "title",
        PaperField.Abstract => "abstract",
        _ => "author",
    };

    public override bool Equals(RuleNode? other) =>
        other is FieldScopeNode scope && scope.Field == Field && scope.Operand.Equals(Operand);

    public override int GetHashCode() => HashCode.Combine(Field, Operand);

    internal override void Print(StringBuilder builder)
    {
        builder.Append(Name(Field)).Append(':');
        PrintOperand(builder, Operand, 2);
    }
}
