#include "chunk/codec.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <libtorrent/hasher.hpp>
#include <zstd.h>

namespace ezio::chunk {

namespace {

struct CCtxFree {
	void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
	void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* compressor(int level)
{
	thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> ctx(ZSTD_createCCtx());
	if (!ctx) return nullptr;
	// The pinned parameters (see codec.hpp): every call starts from them.
	ZSTD_CCtx_reset(ctx.get(), ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_contentSizeFlag, 1);
	ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_checksumFlag, 0);
	ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_dictIDFlag, 0);
	ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_nbWorkers, 0);
	return ctx.get();
}

ZSTD_DCtx* decompressor()
{
	thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> ctx(ZSTD_createDCtx());
	return ctx.get();
}

}  // namespace

std::string codec_version()
{
	return fmt::format("zstd {}", ZSTD_versionString());
}

Codec encode(std::span<char const> raw, int level, Bytes& out)
{
	out.resize(ZSTD_compressBound(raw.size()));
	ZSTD_CCtx* const ctx = compressor(level);
	std::size_t const n = ctx == nullptr ? 0 : ZSTD_compress2(ctx, out.data(), out.size(), raw.data(), raw.size());
	if (ctx != nullptr && !ZSTD_isError(n) && n < raw.size()) {
		out.resize(n);
		return Codec::zstd;
	}
	out.assign(raw.begin(), raw.end());
	return Codec::stored;
}

Status encode_as(Chunk const& chunk, int level, std::span<char const> raw, Bytes& out)
{
	if (chunk.codec == Codec::stored) {
		out.assign(raw.begin(), raw.end());
	} else if (encode(raw, level, out) != Codec::zstd) {
		return Error{"the data no longer compresses", Errc::internal};
	}
	if (std::int64_t(out.size()) != chunk.stored_length)
		return Error{fmt::format("it compresses to {} bytes here, the torrent says {}", out.size(), chunk.stored_length),
			Errc::internal};
	return Ok{};
}

Status decode(Chunk const& chunk, std::span<char const> stored, std::span<char> raw)
{
	if (std::int64_t(raw.size()) != chunk.raw_length || std::int64_t(stored.size()) != chunk.stored_length)
		return Error{"the buffers do not fit the chunk", Errc::internal};
	if (chunk.codec == Codec::stored) {
		std::memcpy(raw.data(), stored.data(), raw.size());
	} else {
		// The frame must say its size, and say the chunk's: a frame that
		// grows beyond the window is never decompressed.
		unsigned long long const size = ZSTD_getFrameContentSize(stored.data(), stored.size());
		if (size != static_cast<unsigned long long>(chunk.raw_length))
			return Error{fmt::format("its frame does not hold {} bytes", chunk.raw_length), Errc::invalid_argument};
		ZSTD_DCtx* const ctx = decompressor();
		if (ctx == nullptr) return Error{"no memory for a decompression context", Errc::internal};
		std::size_t const n = ZSTD_decompressDCtx(ctx, raw.data(), raw.size(), stored.data(), stored.size());
		if (ZSTD_isError(n)) return Error{fmt::format("zstd: {}", ZSTD_getErrorName(n)), Errc::invalid_argument};
		if (n != raw.size())
			return Error{fmt::format("it decompresses to {} bytes, not {}", n, raw.size()), Errc::invalid_argument};
	}
	if (sha256(raw) != chunk.sha256)
		return Error{"its data does not match the chunk's SHA-256", Errc::invalid_argument};
	return Ok{};
}

lt::sha256_hash sha256(std::span<char const> data)
{
	lt::hasher256 h;
	h.update(data.data(), int(data.size()));
	return h.final();
}

void hash_zeros(lt::hasher& h, std::int64_t count)
{
	static char const zeros[16 << 10] = {};
	for (std::int64_t left = count; left > 0; left -= std::int64_t(sizeof zeros))
		h.update(zeros, int(std::min<std::int64_t>(left, sizeof zeros)));
}

lt::sha1_hash piece_hash(std::span<char const> stored, std::int64_t piece_length)
{
	lt::hasher h(stored.data(), int(stored.size()));
	hash_zeros(h, piece_length - std::int64_t(stored.size()));
	return h.final();
}

namespace {

class ChunkErrorCategory final : public boost::system::error_category {
public:
	char const* name() const noexcept override { return "ezio chunk"; }
	std::string message(int) const override
	{
		return "the chunk does not decode to the length and SHA-256 that the torrent's chunk list gives it (the "
			"torrent's data and its chunk list disagree: make the torrent again with ezioctl create --chunked)";
	}
};

}  // namespace

lt::error_code chunk_mismatch_error()
{
	static ChunkErrorCategory const category;
	return lt::error_code(1, category);
}

}  // namespace ezio::chunk
