#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace heapy::heap {

// The analyzer's big tables (tens of millions of entries) are written once, page by page: with
// 4 KiB pages the kernel's fault per page costs about as much as filling it. Where transparent
// huge pages are enabled only on request (Debian's default, `madvise`), asking for them makes one
// fault per 2 MiB, and fewer TLB misses for random access. Nothing else changes: where they are
// off, or the kernel has none to give, the pages stay small. 2 MiB is the huge page of 4 KiB-page
// kernels (x86-64, most AArch64 ones); on 16 or 64 KiB-page kernels (huge pages of 32 or 512 MiB)
// the advice is a harmless no-op, and 2 MiB is still a whole number of pages.
inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// The page size of this machine (4 KiB on x86-64; 4, 16 or 64 KiB on AArch64).
inline size_t system_page_size() {
    static const size_t page = [] {
        const long p = ::sysconf(_SC_PAGESIZE);
        return p > 0 ? static_cast<size_t>(p) : size_t{4096};
    }();
    return page;
}

// Asks for huge pages over the whole 2 MiB steps inside [data, data + bytes); a hint only.
inline void advise_huge_pages(void* data, size_t bytes) {
    const auto begin = reinterpret_cast<uintptr_t>(data);
    const uintptr_t first = (begin + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
    const uintptr_t last = (begin + bytes) & ~(kHugePageBytes - 1);
    if (last > first) (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

// An allocator for big std::vectors: blocks of 4 MiB and more are mapped on 2 MiB boundaries and
// advised as above; smaller ones come from operator new.
template <class T> class HugePageAllocator {
  public:
    using value_type = T;

    HugePageAllocator() = default;
    template <class U> HugePageAllocator(const HugePageAllocator<U>&) {}

    T* allocate(size_t n) {
        if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
        const size_t bytes = n * sizeof(T);
        if (bytes < kMappedBytes) return static_cast<T*>(::operator new(bytes));
        const size_t mapped = rounded(bytes);
        void* range = mmap(nullptr, mapped + kHugePageBytes, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (range == MAP_FAILED) throw std::bad_alloc();
        // Keeps the 2 MiB-aligned part, returning the rest.
        const auto start = reinterpret_cast<uintptr_t>(range);
        const uintptr_t aligned = (start + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
        if (aligned != start) munmap(range, aligned - start);
        const uintptr_t end = start + mapped + kHugePageBytes;
        if (end != aligned + mapped)
            munmap(reinterpret_cast<void*>(aligned + mapped), end - aligned - mapped);
        advise_huge_pages(reinterpret_cast<void*>(aligned), mapped);
        return reinterpret_cast<T*>(aligned);
    }

    void deallocate(T* data, size_t n) noexcept {
        const size_t bytes = n * sizeof(T);
        if (bytes < kMappedBytes)
            ::operator delete(data);
        else
            munmap(data, rounded(bytes));
    }

    template <class U> bool operator==(const HugePageAllocator<U>&) const { return true; }

  private:
    static constexpr size_t kMappedBytes = 2 * kHugePageBytes;
    static size_t rounded(size_t bytes) {
        return (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
    }
};

// A std::vector for tables of millions of entries.
template <class T> using BigVector = std::vector<T, HugePageAllocator<T>>;

} // namespace heapy::heap
