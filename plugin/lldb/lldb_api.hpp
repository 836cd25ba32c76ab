#pragma once
// lldb's SB API. It declares its classes without a visibility attribute; they live in liblldb, and
// the plugin is built with hidden visibility.
#pragma GCC visibility push(default)
#include <lldb/API/LLDB.h>
#pragma GCC visibility pop
