#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace heapy::commands {

// A file written in big chunks by a thread of its own (the kernel's copy of one chunk overlaps
// the making of the next), deleted again unless finish() succeeds.
class ExportFile {
  public:
    // Creates (or truncates) `path`; throws heapy::Error naming the path and the reason.
    explicit ExportFile(std::string path);
    ExportFile(const ExportFile&) = delete;
    ExportFile& operator=(const ExportFile&) = delete;
    ~ExportFile();

    // Hands `text` over to be written and leaves `text` empty (with a spare buffer's capacity).
    // Waits while the previous chunk is still being written. Throws heapy::Error once a write
    // failed.
    void write(std::string& text);
    // Writes what is left and closes the file; throws heapy::Error if it could not.
    void finish();

  private:
    void run(); // the writer thread
    void stop_writer();
    [[noreturn]] void fail(int error) const;

    std::string path_;
    int fd_ = -1;
    bool regular_ = false; // deleted on failure only if a regular file (never /dev/null...)
    bool finished_ = false;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<std::string> pending_; // the chunk to write next
    std::string spare_;                  // a written chunk's buffer, to be filled again
    bool closing_ = false;
    int error_ = 0; // errno of the first failed write
    std::thread writer_;
};

} // namespace heapy::commands
