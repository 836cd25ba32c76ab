#include "core/commands/commands.hpp"

#include <algorithm>

namespace heapy::commands {

namespace {

// The classifiers' names (classify::classifier_names), what --by KIND and `by KIND` take.
std::vector<std::string_view> classifier_choices() {
    static const std::string names = classify::classifier_names();
    std::vector<std::string_view> out;
    for (std::string_view rest = names; !rest.empty();) {
        const size_t comma = rest.find(", ");
        out.push_back(rest.substr(0, comma));
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 2);
    }
    return out;
}

const OptionSpec kByOption = {"by", true, classifier_choices()};
const std::vector<OptionSpec> kShowOptions = {kByOption, {"all", false}, {"json", false}};

} // namespace

const std::vector<CommandSpec>& command_table() {
    static const std::vector<CommandSpec> table = {
        {"heap",
         {},
         "Show the reachable heap, partitioned as hpy().heap() would.",
         "heapy heap [--by KIND] [--all] [--json]",
         "Walks every object reachable from the interpreters, their modules and every thread's "
         "frames,\n"
         "makes it the current set and prints heapy's partition table (10 rows; 'heapy more' shows "
         "more).\n"
         "  --by KIND   clodo (class or dict owner; the default), type, class, size, module, "
         "unity,\n"
         "              via (how referrers refer to it), rcs (kinds of referrers), idset, id,\n"
         "              prod (the line that allocated it: needs tracemalloc, see 'heapy help "
         "where')\n"
         "  --all       print every row\n"
         "  --json      print one line of JSON with every row\n"
         "Example:\n"
         "  (gdb) heapy heap --by type",
         kShowOptions,
         cmd_heap},
        {"by",
         {},
         "Classify the current set by another equivalence relation.",
         "heapy by KIND [--all] [--json]",
         "KIND is one of clodo, type, class, size, module, unity, via, rcs, idset, id, prod.\n"
         "Example:\n"
         "  (gdb) heapy heap\n"
         "  (gdb) heapy by via",
         {{"all", false}, {"json", false}},
         cmd_by,
         true},
        {"row",
         {},
         "Make row N of the last table the current set (heapy's h[N]).",
         "heapy row N [--by KIND] [--json]",
         "The table is the last one shown: a partition, an identity table ('by id'), or 'top's.\n"
         "Like heapy's h[N], which leaves h as it was, the row's own table does not replace it:\n"
         "'row 1' next is h[1] of the same table (with --by it does replace it).\n"
         "Example:\n"
         "  (gdb) heapy heap\n"
         "  (gdb) heapy row 0          # the objects of the first row\n"
         "  (gdb) heapy by id",
         kShowOptions,
         cmd_row,
         true},
        {"select",
         {},
         "Narrow the current set to one kind of the last table, by name.",
         "heapy select KIND-NAME [--by KIND] [--json]",
         "Example:\n"
         "  (gdb) heapy heap\n"
         "  (gdb) heapy select \"dict of __main__.Foo\"",
         kShowOptions,
         cmd_select,
         true},
        {"iso",
         {},
         "Make the given objects the current set (heapy's hp.iso).",
         "heapy iso ADDR... [--by KIND] [--json]",
         "ADDR is an object's address (id()), e.g. 0x7f3a5c1d2e40.\n"
         "Example:\n"
         "  (gdb) heapy iso 0x7f3a5c1d2e40 0x7f3a5c1d2f00",
         kShowOptions,
         cmd_iso,
         true},
        {"referrers",
         {},
         "Make the objects that refer to the current set the current set.",
         "heapy referrers [--by KIND] [--all] [--json]",
         "Example:\n"
         "  (gdb) heapy iso 0x7f3a5c1d2e40\n"
         "  (gdb) heapy referrers",
         kShowOptions,
         cmd_referrers},
        {"referents",
         {},
         "Make the objects the current set refers to the current set.",
         "heapy referents [--by KIND] [--all] [--json]",
         "Example:\n"
         "  (gdb) heapy iso 0x7f3a5c1d2e40\n"
         "  (gdb) heapy referents",
         kShowOptions,
         cmd_referents},
        {"heapu",
         {},
         "Show the GC objects the root does not reach (hp.heapu()).",
         "heapy heapu [--garbage | --held] [--by KIND] [--all] [--json]",
         "Objects on the GC lists that nothing reachable refers to, and what only they reach. A "
         "core is\n"
         "taken without a collection, so this includes cyclic garbage the next collection would "
         "free\n"
         "(--garbage) besides objects held from outside the Python heap: leaked references, C "
         "statics\n"
         "(--held). Classified by type, as heapy prints heapu. --json adds \"garbage\" and "
         "\"held\",\n"
         "each {\"count\", \"size\"}.\n"
         "Example:\n"
         "  (gdb) heapy heapu --held",
         {kByOption, {"all", false}, {"json", false}, {"garbage", false}, {"held", false}},
         cmd_heapu},
        {"leaks",
         {},
         "Show objects alive that nothing refers to and no GC list has.",
         "heapy leaks [--by KIND] [--all] [--json]",
         "Searches every block of the allocators (pymalloc's pools and glibc malloc's heaps, or\n"
         "mimalloc's heaps in free-threaded builds) for objects that are alive (a reference count\n"
         "of at least one) but that neither the root reaches nor a GC list holds: strs, ints,\n"
         "floats, bytes and untracked tuples a C extension leaked with a missing Py_DECREF, which\n"
         "'heapy heapu' cannot see, and what only they reach. 'heapy by via' and 'heapy shpaths'\n"
         "then show that nothing refers to them. Classified by type, as heapu. --json adds\n"
         "\"leaked\" {\"count\", \"size\"} and \"searched\", what the search looked into.\n"
         "Not leaked: what C statics, the interpreter and thread states (but their free lists),\n"
         "the callers' C stack frames and the type cache hold. On 3.9, whose free lists heapy\n"
         "does not place, the states are not searched: what only they hold is listed too.\n"
         "Example:\n"
         "  (gdb) heapy leaks\n"
         "  (gdb) heapy leaks --by size",
         {kByOption, {"all", false}, {"json", false}},
         cmd_leaks},
        {"more",
         {},
         "Show the next page of the last listing (heapy's _.more).",
         "heapy more [--json]",
         "With --json the rows carry their \"index\" in the table.\n"
         "Example:\n  (gdb) heapy heap\n  (gdb) heapy more",
         {{"json", false}},
         cmd_more},
        {"all",
         {},
         "Show the whole of the last listing (heapy's _.all).",
         "heapy all [--json]",
         "Example:\n  (gdb) heapy heap\n  (gdb) heapy all",
         {{"json", false}},
         cmd_all},
        {"shpaths",
         {"sp"},
         "Show the shortest paths from the root to the current set or ADDR.",
         "heapy shpaths [ADDR] [--limit N] [--all] [--json]",
         "Paths in heapy's notation, e.g. hp.Root.i0_modules['__main__'].__dict__['cache'][3].\n"
         "Without ADDR: paths to the objects of the current set that are nearest to the root.\n"
         "Every shortest path is counted; only the ones printed are built.\n"
         "  --limit N   print N paths per page (default 10; 'heapy more' continues)\n"
         "  --all       print every path\n"
         "  --json      {\"paths\": [...], \"total\": N}, at most 10000 paths\n"
         "Example:\n"
         "  (gdb) heapy sp 0x7f3a5c1d2e40",
         {{"limit", true}, {"all", false}, {"json", false}},
         cmd_shpaths,
         true},
        {"rp",
         {},
         "Show the reference pattern of the current set (heapy's .rp).",
         "heapy rp [--depth N] [--all] [--json]",
         "A tree of the current set's referrers, their referrers and so on, grouped by kind.\n"
         "Markers: [^ N] the set of line N again, [R] no referrers (the root), [S] a module, "
         "class,\n"
         "their dicts, code or frames (not followed), [-] followed, [+] deeper than --depth.\n"
         "  --depth N   how many levels (default 7)\n"
         "  --all       print every line ('heapy more' shows the next 10)\n"
         "  --json      every line, at most 10000\n"
         "Example:\n"
         "  (gdb) heapy iso 0x7f3a5c1d2e40\n"
         "  (gdb) heapy rp",
         {{"depth", true}, {"all", false}, {"json", false}},
         cmd_rp},
        {"dominos",
         {},
         "Make what the current set dominates the current set (.dominos).",
         "heapy dominos [--by KIND] [--all] [--json]",
         "The objects that would be freed with the current set: reachable from it, but not from "
         "the root\n"
         "without passing through it (the set itself included).\n"
         "Example:\n"
         "  (gdb) heapy iso 0x7f3a5c1d2e40\n"
         "  (gdb) heapy dominos",
         kShowOptions,
         cmd_dominos},
        {"domisize",
         {},
         "Print the retained size of the current set (heapy's .domisize).",
         "heapy domisize [--json]",
         "The total size of 'heapy dominos': what freeing the current set would free.\n"
         "Example:\n"
         "  (gdb) heapy select list\n"
         "  (gdb) heapy domisize",
         {{"json", false}},
         cmd_domisize},
        {"top",
         {},
         "List the objects that retain the most memory, with their paths.",
         "heapy top [N] [--by retained|size|prod] [--kinds] [--json]",
         "Computes the dominator tree of the reachable heap once per session and lists the N "
         "objects\n"
         "(default 10) with the largest retained size: their own size plus everything only they "
         "keep\n"
         "alive. Weak references keep nothing alive.\n"
         "  --by size   order by own size instead\n"
         "  --kinds     sum retained sizes by kind, over the objects no other object of the kind "
         "retains\n"
         "  --by prod   the same by the line that allocated each object (needs tracemalloc)\n"
         "Example:\n"
         "  (gdb) heapy top 5",
         {{"by", true, {"retained", "size", "prod"}}, {"kinds", false}, {"json", false}},
         cmd_top,
         true},
        {"setref",
         {},
         "Set a reference point: later 'heap' shows only newer objects.",
         "heapy setref [--clear] [--json]",
         "Records the objects of the reachable heap now. In a live process that then runs and "
         "stops\n"
         "again, 'heapy heap' shows only the objects that were not there at setref, and 'heapy "
         "heapu'\n"
         "the difference. --clear removes the reference point.\n"
         "Example:\n"
         "  (gdb) heapy setref\n"
         "  (gdb) continue\n"
         "  ^C\n"
         "  (gdb) heapy heap",
         {{"clear", false}, {"json", false}},
         cmd_setref},
        {"dump",
         {},
         "Append the last table to FILE in guppy's Stat dump format.",
         "heapy dump FILE [--json]",
         "Without a table shown first, the reachable heap by Clodo is written.\n"
         "  --json   print {\"file\", \"rows\", \"count\", \"size\"}\n"
         "Example:\n  (gdb) heapy heap\n  (gdb) heapy dump before.stat",
         {{"json", false}},
         cmd_dump,
         true},
        {"load",
         {},
         "Show a Stat dump written by 'heapy dump' or guppy's .dump().",
         "heapy load FILE [--all] [--json]",
         "It needs no target: no core or process loaded in a debugger, no --core or --pid.\n"
         "Example:\n  (gdb) heapy load before.stat",
         {{"all", false}, {"json", false}},
         cmd_load,
         true,
         false},
        {"diff",
         {},
         "Show the last table minus a saved one (heapy's diff).",
         "heapy diff FILE [--all] [--json]",
         "Without a table shown first, the reachable heap is classified as the saved one was.\n"
         "With the CLI this compares two cores of one program:\n"
         "  heapy --core core.1 dump a.stat\n"
         "  heapy --core core.2 diff a.stat",
         {{"all", false}, {"json", false}},
         cmd_diff,
         true},
        {"export",
         {},
         "Write every object and its references to FILE (JSON Lines, CSV).",
         "heapy export FILE [--format jsonl|csv] [--unreachable] [--json]",
         "One line per object of the reachable heap, in walk order: address, type, Clodo\n"
         "kind, size, the dict's owner, referents and their relations, the root's name for\n"
         "it; for DuckDB, pandas or scripts (README.md, 'Exporting the object graph',\n"
         "describes every field).\n"
         "  --format F      jsonl (JSON Lines) or csv; by default from FILE's extension\n"
         "                  (.jsonl, .ndjson, .json or .csv)\n"
         "  --unreachable   also the objects 'heapy heapu' shows (\"reachable\": false)\n"
         "  --json          print {\"file\", \"format\", \"objects\", \"references\"}\n"
         "A file left unfinished (an error, Ctrl-C) is deleted.\n"
         "Example:\n"
         "  (gdb) heapy export /tmp/heap.jsonl\n"
         "  $ duckdb -c \"SELECT type, count(*), sum(size) FROM read_json_auto(\n"
         "      '/tmp/heap.jsonl') GROUP BY type ORDER BY 3 DESC\"",
         {{"format", true, {"jsonl", "csv"}}, {"unreachable", false}, {"json", false}},
         cmd_export,
         true},
        {"stacks",
         {"bt"},
         "Show where each thread was: its Python frames, innermost first.",
         "heapy stacks [--locals N] [--all] [--json]",
         "Who holds the GIL, then for every interpreter and thread: the thread id (and native "
         "id),\n"
         "its threading.Thread name, what it was doing - running, in C code, waiting for the "
         "GIL,\n"
         "on a lock, sleeping, on I/O, ... as the interpreter and the kernel say (the system "
         "call\n"
         "it waits in, from the core's registers or /proc) - then each Python frame\n"
         "as a traceback names it: file, line and function (co_qualname from 3.11), and under it "
         "its\n"
         "local variables with their kind, size and retained size, those that retain most first. "
         "A\n"
         "chain of frames that cannot be read is shown as far as it goes, with the reason it "
         "stops.\n"
         "  --locals N  locals shown per frame (5; 0 for none); --json gives them all\n"
         "  --all       also the generators, coroutines and asyncio Tasks that are suspended:\n"
         "              each chain of coroutines awaiting one another once, innermost first,\n"
         "              and what the innermost awaits\n"
         "Example:\n"
         "  (gdb) heapy stacks --locals 3\n"
         "  (gdb) heapy bt --all",
         {{"locals", true}, {"all", false}, {"json", false}},
         cmd_stacks},
        {"where",
         {},
         "Show where objects were allocated (tracemalloc's traceback).",
         "heapy where ADDR... [--json]",
         "When the process ran with tracemalloc on (PYTHONTRACEMALLOC=N or tracemalloc.start(N)),\n"
         "the traceback tracemalloc recorded when each object was allocated, most recent call\n"
         "first: file and line, as tracemalloc.get_object_traceback() gives them. Without it, one\n"
         "line says how to turn it on next time. 3.12 and later; 3.9 to 3.11 when the executable\n"
         "has its symbol table (tracemalloc keeps its table in a static variable there).\n"
         "Example:\n"
         "  (gdb) heapy where 0x7f3a5c1d2e40",
         {{"json", false}},
         cmd_where,
         true},
        {"report",
         {},
         "Write an HTML page of where the memory is, to share and explore.",
         "heapy report FILE.html [--diff OLD.stat] [--detail N] [--json]",
         "One self-contained page (no network: scripts, styles and data inside) with the target,\n"
         "a chart of the dominator tree by kind sized by retained bytes (click a box to zoom in),\n"
         "the objects that retain most with their paths, the heap by Clodo and by type, heapu's\n"
         "garbage and held parts, and each thread's stack with the locals that retain most.\n"
         "  --diff OLD.stat  also what grew and shrank by kind since a 'heapy dump' of the\n"
         "                   same program\n"
         "  --detail N       boxes in the chart (5000); smaller kinds are folded into one box\n"
         "  --json           print {\"file\", \"bytes\", \"boxes\"}\n"
         "Example:\n"
         "  (gdb) heapy report /tmp/heap.html",
         {{"diff", true}, {"detail", true}, {"json", false}},
         cmd_report,
         true},
        {"info",
         {},
         "Show the Python runtime found in the target and how it was found.",
         "heapy info [--json]",
         "Prints the CPython version, where _PyRuntime is, the interpreters and threads, and the "
         "size of\n"
         "the reachable heap.\n"
         "Example:\n"
         "  (gdb) heapy info",
         {{"json", false}},
         cmd_info},
        {"_objects",
         {},
         "",
         "heapy _objects [--unreachable | --leaked]",
         "Lists every reachable object as 'address size kind' (for heapy's own tests).",
         {{"unreachable", false}, {"leaked", false}},
         cmd_objects},
        {"_wait",
         {},
         "",
         "heapy _wait SECONDS",
         "Waits, polling for Ctrl-C as a long command does (a tool for heapy's own tests).",
         {},
         cmd_wait,
         true},
    };
    return table;
}

namespace {

// The optimal string alignment distance: edits of one character, or two adjacent ones swapped.
size_t typing_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i)
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t change = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + change});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

} // namespace

std::string_view nearest_command(std::string_view name) {
    // Close enough: one mistake in a short word, two in a longer one.
    size_t nearest_distance = name.size() <= 3 ? 2 : 3;
    std::string_view nearest;
    for (const auto& spec : command_table()) {
        if (spec.summary.empty()) continue; // hidden
        std::vector<std::string_view> names{spec.name};
        names.insert(names.end(), spec.aliases.begin(), spec.aliases.end());
        for (std::string_view candidate : names)
            if (const size_t distance = typing_distance(name, candidate);
                distance < nearest_distance) {
                nearest = candidate;
                nearest_distance = distance;
            }
    }
    return nearest;
}

const CommandSpec* find_command(std::string_view name) {
    for (const auto& spec : command_table()) {
        if (spec.name == name) return &spec;
        for (auto alias : spec.aliases)
            if (alias == name) return &spec;
    }
    return nullptr;
}

} // namespace heapy::commands
