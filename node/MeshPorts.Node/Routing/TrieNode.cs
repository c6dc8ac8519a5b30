namespace MeshPorts.Node.Routing;

/// <summary>
/// An immutable node of the path-compressed binary trie behind <see cref="AllowedIpsTable{T}"/>.
/// A node stands for the prefix (<see cref="Bits"/>, <see cref="Length"/>); its children extend it
/// and differ at bit <see cref="Length"/>. Nodes without an owner exist only where two branches
/// split, so the depth is bounded by the number of distinct prefix lengths on a path, not by 128.
/// Every change returns a new root and shares all untouched subtrees with the old one.
/// </summary>
internal sealed class TrieNode<T>
    where T : class
{
    private TrieNode(UInt128 bits, int length, T? owner, TrieNode<T>? zero, TrieNode<T>? one)
    {
        Bits = bits;
        Length = length;
        Owner = owner;
        Zero = zero;
        One = one;
    }

    public UInt128 Bits { get; }

    public int Length { get; }

    public T? Owner { get; }

    public TrieNode<T>? Zero { get; }

    public TrieNode<T>? One { get; }

    public static T? Lookup(TrieNode<T>? node, UInt128 address)
    {
        T? best = null;
        while (node is not null && ((address ^ node.Bits) & IpPrefix.Mask(node.Length)) == UInt128.Zero)
        {
            if (node.Owner is not null)
            {
                best = node.Owner;
            }

            if (node.Length == 128)
            {
                break;
            }

            node = BitAt(address, node.Length) ? node.One : node.Zero;
        }

        return best;
    }

    /// <summary>The owner of exactly this prefix, or null.</summary>
    public static T? Find(TrieNode<T>? node, UInt128 bits, int length)
    {
        while (node is not null && node.Length <= length && ((bits ^ node.Bits) & IpPrefix.Mask(node.Length)) == UInt128.Zero)
        {
            if (node.Length == length)
            {
                return node.Owner;
            }

            node = BitAt(bits, node.Length) ? node.One : node.Zero;
        }

        return null;
    }

    public static TrieNode<T> Insert(TrieNode<T>? node, UInt128 bits, int length, T owner)
    {
        if (node is null)
        {
            return new TrieNode<T>(bits, length, owner, null, null);
        }

        var common = Math.Min(Math.Min(CommonPrefixLength(node.Bits, bits), node.Length), length);
        if (common == node.Length)
        {
            if (length == node.Length)
            {
                return new TrieNode<T>(node.Bits, node.Length, owner, node.Zero, node.One);
            }

            // The new prefix extends this node: descend on its next bit.
            return BitAt(bits, node.Length)
                ? new TrieNode<T>(node.Bits, node.Length, node.Owner, node.Zero, Insert(node.One, bits, length, owner))
                : new TrieNode<T>(node.Bits, node.Length, node.Owner, Insert(node.Zero, bits, length, owner), node.One);
        }

        if (common == length)
        {
            // The new prefix is a proper prefix of this node: it becomes the parent.
            return BitAt(node.Bits, length)
                ? new TrieNode<T>(bits, length, owner, null, node)
                : new TrieNode<T>(bits, length, owner, node, null);
        }

        // They diverge below both lengths: an ownerless branch node at the first differing bit.
        var leaf = new TrieNode<T>(bits, length, owner, null, null);
        var branchBits = bits & IpPrefix.Mask(common);
        return BitAt(bits, common)
            ? new TrieNode<T>(branchBits, common, null, node, leaf)
            : new TrieNode<T>(branchBits, common, null, leaf, node);
    }

    /// <summary>Removes the owner of exactly this prefix (whoever it is) and re-compresses the path.</summary>
    public static TrieNode<T>? Remove(TrieNode<T>? node, UInt128 bits, int length)
    {
        if (node is null || node.Length > length || ((bits ^ node.Bits) & IpPrefix.Mask(node.Length)) != UInt128.Zero)
        {
            return node;
        }

        if (node.Length == length)
        {
            return node.Owner is null ? node : Compress(node.Bits, node.Length, null, node.Zero, node.One);
        }

        if (BitAt(bits, node.Length))
        {
            var one = Remove(node.One, bits, length);
            return ReferenceEquals(one, node.One) ? node : Compress(node.Bits, node.Length, node.Owner, node.Zero, one);
        }

        var zero = Remove(node.Zero, bits, length);
        return ReferenceEquals(zero, node.Zero) ? node : Compress(node.Bits, node.Length, node.Owner, zero, node.One);
    }

    // An ownerless node with fewer than two children carries no information: splice it out.
    private static TrieNode<T>? Compress(UInt128 bits, int length, T? owner, TrieNode<T>? zero, TrieNode<T>? one)
    {
        if (owner is null)
        {
            if (zero is null)
            {
                return one;
            }

            if (one is null)
            {
                return zero;
            }
        }

        return new TrieNode<T>(bits, length, owner, zero, one);
    }

    private static bool BitAt(UInt128 bits, int index) => ((bits >> (127 - index)) & UInt128.One) != UInt128.Zero;

    private static int CommonPrefixLength(UInt128 a, UInt128 b) => (int)UInt128.LeadingZeroCount(a ^ b);
}
