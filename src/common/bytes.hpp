// A byte buffer whose resize() leaves the new bytes as they are instead of
// zeroing them, for buffers that are always written whole before they are
// read (a chunk's stored and raw bytes). Zeroing 4 MiB per chunk, on pages
// often fresh from the kernel, was a fifth of a chunked deploy's CPU
// (bench/results/chunked-history.md, "The chunk store").
#pragma once

#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace ezio {

template <typename T>
class UninitializedAllocator : public std::allocator<T> {
public:
	template <typename U>
	struct rebind {
		using other = UninitializedAllocator<U>;
	};

	UninitializedAllocator() = default;
	template <typename U>
	UninitializedAllocator(UninitializedAllocator<U> const&) noexcept
	{}

	// Value-initialisation (what resize() asks for) becomes default
	// initialisation: nothing, for char.
	template <typename U>
	void construct(U* p) noexcept
	{
		::new (static_cast<void*>(p)) U;
	}
	template <typename U, typename... Args>
	void construct(U* p, Args&&... args)
	{
		::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
	}
};

using Bytes = std::vector<char, UninitializedAllocator<char>>;

}  // namespace ezio
