#pragma once

#include "core/commands/frontend.hpp"
#include "core/report/paging.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace heapy::commands {

// What render_page(source, first, kAllLines, top) prints, followed by `notes`, made a few
// thousand lines at a time (one when FrontEnd::paged): each piece goes to FrontEnd::write when the
// front end takes output as it is made, else into the text returned. Between pieces it reports
// progress and checks for Ctrl-C (throwing Interrupted). `next` is kept at the first line not yet
// written, where `more` goes on after an interrupt or after the reader stopped (OutputStopped is
// thrown).
std::string write_lines(const report::PageSource& source, size_t first, bool top,
                        std::string_view notes, const FrontEnd& frontend, size_t& next);

} // namespace heapy::commands
