# Runs guppy3's own Part.py / OutputHandling.py (copied from the guppy3 repository) with the
# minimal glue they need, so expectations come from heapy's real formatting code.
import io, itertools, os, sys, textwrap, types
# Part.py and OutputHandling.py of a guppy3 checkout (git show HEAD:guppy/heapy/Part.py ...),
# copied into the directory named by GUPPY_SRC.
sys.path.insert(0, os.environ.get('GUPPY_SRC', '/tmp/guppy_src'))
import OutputHandling, Part


class FakeTime:
    now = 1795271536.458642
    def time(self):
        return self.now


class OH(OutputHandling._GLUECLAMP_):
    _hiding_tag_ = None
    itertools = itertools
    View = types.SimpleNamespace(enter=lambda f: f())
    _root = types.SimpleNamespace(io=io)
    max_more_lines = 10


class PM(Part._GLUECLAMP_):
    _hiding_tag_ = None
    line_length = 100
    wrap = staticmethod(textwrap.wrap)
    fill = staticmethod(textwrap.fill)
    time = FakeTime()
    OutputHandling = OH()
    SetFormat = Part.SetFormat
    IdFormat = Part.IdFormat
    DiffFormat = Part.DiffFormat
    Stat = Part.Stat

    # Use.load, list / iterator paths (copied logic)
    def load(self, fn, use_readline=0):
        if isinstance(fn, str):
            f = open(fn)
            def get_trows():
                pos = 0
                while 1:
                    f.seek(pos)
                    line = f.readline()
                    if not line:
                        break
                    pos = f.tell()
                    yield line
        elif hasattr(fn, '__iter__') and not hasattr(fn, '__next__'):
            def get_trows():
                return fn
        elif hasattr(fn, '__next__'):
            get_line = fn.readline if use_readline else fn.__next__
            trows = []
            line = get_line()
            if not line:
                raise StopIteration
            endline = '.end: %s' % line
            try:
                while line:
                    trows.append(line)
                    if line == endline:
                        break
                    line = get_line()
                else:
                    raise StopIteration
            except StopIteration:
                trows.append(endline)
            def get_trows():
                return trows
        a = next(iter(get_trows()))
        if not a.startswith('.loader:'):
            raise ValueError('Format error in %r: no initial .loader directive.' % fn)
        loader = a[a.index(':')+1:].strip()
        loader = getattr(self, loader)
        return loader(get_trows)

    def loadall(self, f):
        if isinstance(f, str):
            f = open(f)
        while True:
            try:
                yield self.load(f)
            except StopIteration:
                return


mod = PM()


def stat(fmt, count, size, kindheader, rows, kindname='', timemade=1795271536.458642,
         numrows=None, b_count=None, b_size=None):
    """A Stat loaded from trows; rows = [(count, size, name)] or [(size, name)] for IdFormat."""
    trows = ['.loader: _load_stat', '.format: %s' % fmt, '.timemade: %f' % timemade,
             '.count: %d' % count, '.size: %d' % size, '.kindname: %s' % kindname,
             '.kindheader: %s' % kindheader,
             '.numrows: %d' % (len(rows) if numrows is None else numrows)]
    if b_count is not None:
        trows += ['.b_count: %d' % b_count, '.b_size: %d' % b_size]
    for r in rows:
        trows.append('.r: ' + ' '.join(str(x) for x in r))
    return mod.load(trows)


def pages(st, n):
    """[top, more, more.more, ...] n pages, and all."""
    out = [repr(st)]
    m = st.more
    for _ in range(n - 1):
        out.append(repr(m))
        m = m.more
    return out


class FakeParent:
    def __init__(self, kindheader):
        self.set = None
        self.er = None
        self.kindheader = kindheader


def row_set(kindheader, rows, i):
    """heapy's h[i] (FastPartition) for a parent partition with rows [(count, size, name)]."""
    cum = 0
    prs = []
    for idx, (c, s, n) in enumerate(rows):
        cum += s
        prs.append(Part.PartRow(c, s, n, idx, cum, None, None))
    return repr(Part.FastPartition(mod, FakeParent(kindheader), prs[i]))


class Paths:
    """The printing half of Path.ShortestPaths (methods copied from Path.py)."""
    def __init__(self, texts):
        self.texts = texts
        self.numpaths = len(texts)
        self._hiding_tag_ = None
        mod.OutputHandling.setup_printing(self)

    def _oh_get_num_lines(self):
        return self.numpaths

    def _oh_get_line_iter(self):
        for i, t in enumerate(self.texts):
            yield '%2d: %s' % (i, t)

    def _oh_get_more_msg(self, start_lineno, end_lineno):
        nummore = self.numpaths-(end_lineno+1)
        return '<... %d more paths ...>' % nummore

    def _oh_get_empty_msg(self):
        if self.numpaths:
            return '<No more paths>'
        return None


def table(fmt_class, count, size, header, rows, kindname='', b_count=None, b_size=None):
    """A partition printed with heapy's real Format/Printer code: rows [(count, size, name)],
    index and cumulative computed like SetPartition does."""
    p = object.__new__(Part.SetPartition)
    p.mod = mod
    p._hiding_tag_ = None
    cum = 0
    prs = []
    for i, (c, s, n) in enumerate(rows):
        cum += s
        prs.append(Part.PartRow(c, s, n, i, cum, None, None))
    p.rows = prs
    p.count = count
    p.size = size
    p.kindheader = header
    p.kindname = kindname
    p.numrows = len(prs)
    p.timemade = FakeTime.now
    if b_count is not None:
        p.b_count = b_count
        p.b_size = b_size
    p.init_format(fmt_class)
    return p


def all_pages(obj, limit=6):
    """repr of the top page and of up to limit-1 `.more` pages (stops after an empty page)."""
    out = [repr(obj)]
    m = obj.more
    for _ in range(limit - 1):
        r = repr(m)
        out.append(r)
        if r == '' or r == '<No more paths>':
            break
        m = m.more
    return out
