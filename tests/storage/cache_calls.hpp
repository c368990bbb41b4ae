// libtorrent's hash and read calls into a PieceCache, run to completion:
// what the cache tests share.
#pragma once

#include <memory>
#include <string>

#include "storage/piece_cache.hpp"

namespace ezio::storage::testing {

inline void run_all(Completions& out)
{
	for (auto& c : out) c();
	out.clear();
}

inline lt::sha1_hash hash_piece(PieceCache& cache, std::shared_ptr<RawStorage> const& storage, Completions& out,
	int piece, lt::storage_error* error = nullptr)
{
	lt::sha1_hash result;
	cache.hash(storage, lt::piece_index_t{piece},
		[&](lt::piece_index_t, lt::sha1_hash const& h, lt::storage_error const& e) {
			result = h;
			if (error) *error = e;
		},
		out);
	run_all(out);
	return result;
}

inline std::string read_range(PieceCache& cache, std::shared_ptr<RawStorage> const& storage, Completions& out,
	int piece, int start, int length, lt::storage_error* error = nullptr)
{
	std::string result;
	cache.read(storage, lt::peer_request{lt::piece_index_t{piece}, start, length},
		[&](lt::disk_buffer_holder h, lt::storage_error const& e) {
			if (h) result.assign(h.data(), std::size_t(length));
			if (error) *error = e;
		},
		out);
	run_all(out);
	return result;
}

}  // namespace ezio::storage::testing
