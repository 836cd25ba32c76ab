# Helpers to write C++ test source.
def b(s):
    if isinstance(s, bytes):
        return s
    return s.encode('utf-8', 'surrogateescape')


def lit(s):
    """A C++ string literal (std::string_view-able) for str or bytes s."""
    data = b(s)
    ok = all(32 <= c < 127 or c == 10 for c in data)
    if ok and b')~"' not in data and b'\n' in data:
        return 'R"~(' + data.decode() + ')~"'
    out = ['"']
    for c in data:
        if c == 0x5C:
            out.append('\\\\')
        elif c == 0x22:
            out.append('\\"')
        elif c == 10:
            out.append('\\n')
        elif 32 <= c < 127:
            out.append(chr(c))
        else:
            out.append('\\%03o' % c)
    out.append('"')
    s = ''.join(out)
    if b'\0' in data:
        return 'std::string(%s, %d)' % (s, len(data))
    return s


def strlit(s):
    """As lit(), but always a std::string expression (embedded NULs kept)."""
    data = b(s)
    l = lit(s)
    if l.startswith('std::string('):
        return l
    return 'std::string(%s, %d)' % (l, len(data)) if b'\0' in data else 'std::string(%s)' % l


def vec(strings):
    return '{' + ', '.join(lit(x) for x in strings) + '}'
