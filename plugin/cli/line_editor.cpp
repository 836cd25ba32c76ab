#include "plugin/cli/line_editor.hpp"

#include "core/commands/completion.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <editline/readline.h>
#include <sstream>
#include <system_error>
#include <vector>

namespace heapy::cli {

namespace {

constexpr int kHistoryLines = 1000;

// The candidates of the completion in progress, handed to libedit one at a time.
std::vector<std::string> g_candidates;

char* next_candidate(const char*, int state) {
    static size_t next = 0;
    if (state == 0) next = 0;
    if (next >= g_candidates.size()) return nullptr;
    return strdup(g_candidates[next++].c_str());
}

char** complete_word(const char* text, int start, int) {
    rl_attempted_completion_over = 1; // no file names
    std::vector<std::string> words;
    std::istringstream before(std::string(rl_line_buffer, size_t(start)));
    for (std::string word; before >> word;) words.push_back(word);
    if (!words.empty() && words.front() == "heapy") words.erase(words.begin());
    // Only the last command of the line (`heap; row 0`).
    for (size_t i = words.size(); i-- > 0;)
        if (words[i] == ";") {
            words.erase(words.begin(), words.begin() + std::ptrdiff_t(i) + 1);
            break;
        }
    g_candidates = commands::complete(words, text);
    return rl_completion_matches(text, next_candidate);
}

} // namespace

std::filesystem::path history_file() {
    const char* state = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    std::filesystem::path dir;
    if (state && *state)
        dir = state;
    else if (home && *home)
        dir = std::filesystem::path(home) / ".local" / "state";
    else
        return {};
    return dir / "heapy" / "history";
}

LineEditor::LineEditor(std::filesystem::path history) : history_(std::move(history)) {
    rl_readline_name = "heapy";
    rl_instream = stdin;
    rl_outstream = stderr; // the prompt and the echo are not the commands' output
    rl_catch_signals = 0;  // the command's SIGINT handler sees Ctrl-C
    rl_attempted_completion_function = complete_word;
    using_history();
    stifle_history(kHistoryLines);
    if (!history_.empty()) {
        std::error_code ignored;
        std::filesystem::create_directories(history_.parent_path(), ignored);
        read_history(history_.c_str());
    }
}

LineEditor::~LineEditor() {
    if (!history_.empty()) write_history(history_.c_str());
}

LineEditor::Status LineEditor::read(const char* prompt, std::string& line, bool (*interrupted)()) {
    char* got = readline(prompt);
    if (!got) return interrupted() ? Status::interrupted : Status::end;
    line = got;
    std::free(got);
    const HIST_ENTRY* last =
        history_length > 0 ? history_get(history_base + history_length - 1) : nullptr;
    const bool blank = line.find_first_not_of(" \t") == std::string::npos;
    if (!blank && !(last && line == last->line)) {
        add_history(line.c_str());
        if (!history_.empty()) write_history(history_.c_str());
    }
    return Status::line;
}

} // namespace heapy::cli
