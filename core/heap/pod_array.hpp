#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace heapy::heap {

// A growable array of plain structs for the graph's big tables. Grows with realloc, which moves
// a large block by remapping its pages (mremap) instead of copying it: appending tens of millions
// of entries neither copies them over and over nor holds the old and the new block at once.
template <typename T> class PodArray {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

  public:
    PodArray() = default;
    PodArray(const PodArray&) = delete;
    PodArray& operator=(const PodArray&) = delete;
    PodArray(PodArray&& other) noexcept { swap(other); }
    PodArray& operator=(PodArray&& other) noexcept {
        PodArray moved(std::move(other));
        swap(moved);
        return *this;
    }
    ~PodArray() { std::free(data_); }

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T* begin() { return data_; }
    T* end() { return data_ + size_; }
    const T* begin() const { return data_; }
    const T* end() const { return data_ + size_; }
    T& operator[](size_t i) { return data_[i]; }
    const T& operator[](size_t i) const { return data_[i]; }
    T& back() { return data_[size_ - 1]; }
    const T& back() const { return data_[size_ - 1]; }

    void push_back(const T& value) {
        if (size_ == capacity_) grow(size_ + 1);
        data_[size_++] = value;
    }
    template <typename... Args> T& emplace_back(Args&&... args) {
        if (size_ == capacity_) grow(size_ + 1);
        return *new (data_ + size_++) T(std::forward<Args>(args)...);
    }
    void resize(size_t size, const T& value = T()) {
        reserve(size);
        for (size_t i = size_; i < size; ++i) data_[i] = value;
        size_ = size;
    }
    void reserve(size_t capacity) {
        if (capacity > capacity_) reallocate(capacity);
    }

  private:
    void grow(size_t needed) {
        size_t capacity = capacity_ < 1024 ? 1024 : capacity_ + capacity_ / 2;
        reallocate(capacity < needed ? needed : capacity);
    }
    void reallocate(size_t capacity) {
        void* moved = std::realloc(data_, capacity * sizeof(T));
        if (!moved) throw std::bad_alloc();
        data_ = static_cast<T*>(moved);
        capacity_ = capacity;
    }
    void swap(PodArray& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(capacity_, other.capacity_);
    }

    T* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
};

} // namespace heapy::heap
