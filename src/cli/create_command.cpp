// ezioctl create: a .torrent of a partition or an image, from partclone's
// list of used blocks, from the data itself, or from a filesystem that
// partclone reads here.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "common/hex.hpp"
#include "chunk/layout.hpp"
#include "torrent/chunk_maker.hpp"
#include "torrent/companion.hpp"
#include "torrent/image_layout.hpp"
#include "torrent/partclone_info.hpp"
#include "torrent/piece_hasher.hpp"
#include "torrent/torrent_builder.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::cli {

namespace {

struct CreateOptions {
	std::string output;
	std::string from_info;   // partclone's torrent.info
	std::string image;       // every byte of an image or device
	std::string data;        // the allocated ranges of a sparse image
	std::string filesystem;  // the used blocks of a filesystem, via partclone
	std::string fs_type;
	std::string name;
	int piece_length = 16 << 20;
	int threads = 0;
	bool chunked = false;
	std::int64_t window = 0;  // 0: torrent::auto_window
	int level = 0;      // 0: chunk::default_zstd_level, or store_zstd_level with --store
	std::string store;  // --chunked: the directory to write the chunk store into
	std::vector<std::string> trackers;
	std::string creator = "ezioctl";
};

// Progress on stderr: redrawn in place on a terminal, a line every 10 %
// otherwise.
class HashProgress {
public:
	explicit HashProgress(char const* what = "hashing", char const* unit = "pieces")
		: m_tty(::isatty(2) != 0), m_start(std::chrono::steady_clock::now()), m_what(what), m_unit(unit)
	{}

	void operator()(int done, int total, std::int64_t bytes_per_piece)
	{
		double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
		double const rate = seconds > 0 ? double(done) * double(bytes_per_piece) / seconds : 0;
		int const percent = total > 0 ? done * 100 / total : 100;
		std::string const line = fmt::format("{}: {}/{} {} ({}%), {}/s", m_what, done, total, m_unit, percent,
			human_bytes(rate));
		if (m_tty) {
			std::fprintf(stderr, "\r%s\x1b[K%s", line.c_str(), done == total ? "\n" : "");
		} else if (percent / 10 != m_last_decile || done == total) {
			m_last_decile = percent / 10;
			std::fprintf(stderr, "%s\n", line.c_str());
		}
	}

private:
	bool m_tty;
	std::chrono::steady_clock::time_point m_start;
	char const* m_what;
	char const* m_unit;
	int m_last_decile = -1;
};

Status write_file(std::string const& path, std::string const& bytes)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out.write(bytes.data(), std::streamsize(bytes.size()));
	out.close();
	if (!out) return Error{fmt::format("cannot write '{}'", path), Errc::io};
	return Ok{};
}

std::string default_name(std::string const& path)
{
	std::string const base = std::filesystem::path(path).filename().string();
	return base.empty() ? "image" : base;
}

// The used blocks (and, from partclone, their hashes) that --from-info or
// --filesystem name.
Expected<torrent::PartcloneInfo> used_blocks(CreateOptions const& o)
{
	if (o.from_info.empty()) return torrent::filesystem_extents(o.filesystem, o.fs_type);
	std::ifstream in(o.from_info, std::ios::binary);
	if (!in) return Error{fmt::format("cannot read '{}'", o.from_info), Errc::io};
	auto info = torrent::parse_partclone_info(std::string(std::istreambuf_iterator<char>(in), {}));
	if (!info) return Error{fmt::format("{}: {}", o.from_info, info.error()), Errc::invalid_argument};
	if (o.name.empty())
		return Error{"--name is required with --from-info (the partition's name, e.g. sda1)", Errc::invalid_argument};
	return info;
}

// Fills the spec's extents and hashes from the chosen source.
Status describe_source(CreateOptions const& o, torrent::TorrentSpec& spec)
{
	auto hash = [&](std::string const& path) -> Status {
		if (o.chunked) return Ok{};  // chunks are hashed as they are made
		HashProgress progress;
		torrent::HashOptions options;
		options.threads = o.threads;
		options.progress = [&](int done, int total) { progress(done, total, o.piece_length); };
		auto hashes = torrent::hash_extents(path, spec.extents, o.piece_length, options);
		if (!hashes) return hashes.error_value();
		spec.piece_hashes = std::move(hashes.value());
		return Ok{};
	};

	if (!o.from_info.empty() || !o.filesystem.empty()) {
		auto info = used_blocks(o);
		if (!info) return info.error_value();
		spec.name = o.name.empty() ? default_name(o.filesystem) : o.name;
		spec.extents = std::move(info->extents);
		spec.piece_hashes = std::move(info->piece_hashes);
		return Ok{};
	}
	if (!o.data.empty()) {
		auto extents = torrent::data_extents(o.data);
		if (!extents) return extents.error_value();
		spec.name = o.name.empty() ? default_name(o.data) : o.name;
		spec.extents = std::move(extents.value());
		return hash(o.data);
	}
	auto const size = torrent::image_size(o.image);
	if (!size) return size.error_value();
	if (*size == 0) return Error{fmt::format("'{}' is empty", o.image), Errc::invalid_argument};
	// One extent covering the whole image. Without a name it is the
	// original EZIO's single file "0000000000000000"; with one, the
	// partition layout "<name>/<offset>", so the name shows everywhere.
	spec.name = o.name.empty() ? "image" : o.name;
	spec.single_file = o.name.empty();
	spec.extents = {{0, *size}};
	return hash(o.image);
}

// With a `store` directory (made if need be), `options` also write each
// chunk there as it is made. `store` must outlive the making.
Status write_chunks_to(std::string const& store, torrent::ChunkOptions& options)
{
	if (store.empty()) return Ok{};
	std::error_code ec;
	std::filesystem::create_directories(store, ec);
	if (ec) return Error{fmt::format("cannot make the chunk store '{}': {}", store, ec.message()), Errc::io};
	options.store = [&store](chunk::Chunk const& c, std::span<char const> stored) {
		return torrent::store_chunk(store, c, stored);
	};
	return Ok{};
}

// --chunked: the same extents, cut into windows and compressed.
int run_create_chunked(CreateOptions const& o, torrent::TorrentSpec const& spec)
{
	std::string const& path = !o.filesystem.empty() ? o.filesystem : !o.data.empty() ? o.data : o.image;
	if (path.empty())
		return fail("--chunked reads the data itself: use it with --filesystem, --data or --image, not --from-info");
	HashProgress progress("compressing", "chunks");
	torrent::ChunkOptions options;
	options.window = o.window != 0 ? o.window : torrent::auto_window(spec.extents);
	options.level = o.level != 0 ? o.level : o.store.empty() ? chunk::default_zstd_level : chunk::store_zstd_level;
	options.threads = o.threads;
	options.progress = [&](int done, int total) { progress(done, total, options.window); };
	// The chunk store is the torrent's files as -F mode reads them:
	// DIR/<name>/<chunk file>, so `ezio -F` seeds it as it is.
	std::string const store = o.store.empty() ? std::string() : o.store + "/" + spec.name;
	if (auto const made = write_chunks_to(store, options); !made) return fail(made.error());
	auto const start = std::chrono::steady_clock::now();
	auto layout = torrent::make_chunks(path, spec.extents, options);
	if (!layout) return fail(layout.error());
	double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	auto const bytes = torrent::build_chunked_torrent({spec.name, spec.trackers, spec.creator}, *layout);
	if (!bytes) return fail(bytes.error());
	if (auto const written = write_file(o.output, *bytes); !written) return fail(written.error());

	std::int64_t const raw = layout->raw_bytes();
	std::int64_t const stored = layout->stored_bytes();
	std::printf("%s: '%s', chunked: %zu chunks of %s windows, %s of data stored as %s (%.2fx, zstd level %d), "
		"made in %.1f s\n", o.output.c_str(), spec.name.c_str(), layout->chunks.size(),
		human_bytes(double(layout->window)).c_str(), human_bytes(double(raw)).c_str(), human_bytes(double(stored)).c_str(),
		stored > 0 ? double(raw) / double(stored) : 0.0, layout->zstd_level, seconds);
	if (!store.empty())
		std::printf("chunk store: %s (seed it with 'ezio -F' and 'ezioctl add --seed %s %s')\n", store.c_str(),
			o.output.c_str(), o.store.c_str());
	return 0;
}

int run_create(CreateOptions const& o)
{
	torrent::TorrentSpec spec;
	spec.piece_length = o.piece_length;
	spec.trackers = o.trackers;
	spec.creator = o.creator;
	if (o.chunked && !o.from_info.empty())
		return fail("--chunked reads the data itself: use it with --filesystem, --data or --image, not --from-info");
	if (!o.store.empty() && !o.chunked) return fail("--store writes the chunks of a chunked torrent: add --chunked");
	if (auto const s = describe_source(o, spec); !s) return fail(s.error());
	if (o.chunked) return run_create_chunked(o, spec);

	auto const bytes = torrent::build_torrent(spec);
	if (!bytes) return fail(bytes.error());
	if (auto const written = write_file(o.output, *bytes); !written) return fail(written.error());

	std::int64_t used = 0;
	for (auto const& e : spec.extents) used += e.length;
	std::printf("%s: '%s', %zu extents, %zu pieces of %s, %s of data\n", o.output.c_str(), spec.name.c_str(),
		spec.extents.size(), spec.piece_hashes.size(), human_bytes(double(spec.piece_length)).c_str(),
		human_bytes(double(used)).c_str());
	return 0;
}

struct CompanionOptions {
	std::string torrent;  // T, a Clonezilla-layout torrent
	std::string source;   // T's bytes: a btzone directory, an image or a device
	std::string output;
	std::string store;
	int threads = 0;
};

// ezioctl companion: C(T), as an EZIO seeder makes it (docs/format.md,
// "The companion transfer").
int run_companion(CompanionOptions const& o)
{
	std::ifstream in(o.torrent, std::ios::binary);
	if (!in) return fail(fmt::format("cannot read '{}'", o.torrent));
	auto const t = torrent::load_torrent(std::string(std::istreambuf_iterator<char>(in), {}));
	if (!t) return fail(fmt::format("{}: {}", o.torrent, t.error()));
	auto read = torrent::source_reader(**t, o.source);
	if (!read) return fail(read.error());
	auto const extents = torrent::extents_of(**t);
	if (!extents) return fail(fmt::format("{}: {}", o.torrent, extents.error()));

	HashProgress progress("compressing", "chunks");
	torrent::ChunkOptions options;
	options.threads = o.threads;
	std::int64_t const window = torrent::auto_window(*extents);
	options.progress = [&](int done, int total) { progress(done, total, window); };
	std::string const store = o.store.empty() ? std::string() : o.store + "/" + (*t)->name();
	if (auto const made = write_chunks_to(store, options); !made) return fail(made.error());
	auto const start = std::chrono::steady_clock::now();
	auto const companion = torrent::make_companion(**t, *read, options);
	if (!companion) return fail(companion.error());
	double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	if (auto const written = write_file(o.output, companion->torrent); !written) return fail(written.error());

	std::int64_t const raw = companion->layout.raw_bytes();
	std::int64_t const stored = companion->layout.stored_bytes();
	std::printf("%s: the companion of %s (%s): %zu chunks, %s of data stored as %s (%.2fx), made in %.1f s; "
		"info-hash %s\n", o.output.c_str(), o.torrent.c_str(), to_hex((*t)->info_hashes().v1).c_str(),
		companion->layout.chunks.size(), human_bytes(double(raw)).c_str(), human_bytes(double(stored)).c_str(),
		stored > 0 ? double(raw) / double(stored) : 0.0, seconds, to_hex(companion->info_hash).c_str());
	if (!store.empty()) std::printf("chunk store: %s\n", store.c_str());
	return 0;
}

}  // namespace

void add_companion_command(CLI::App& app, Globals& globals)
{
	auto o = std::make_shared<CompanionOptions>();
	CLI::App* sub = app.add_subcommand("companion",
		"Write the companion of a Clonezilla-layout torrent: the same used blocks, compressed (docs/format.md, "
		"'The companion transfer')");
	sub->add_option("torrent", o->torrent, "The Clonezilla-layout .torrent (partclone's, the original generator's)")
		->required();
	sub->add_option("source", o->source,
		"Its data: the btzone directory it is seeded from with 'ezio -F' (DIR/NAME/<32 hex digits>), or an image "
		"or device that holds its blocks")->required();
	sub->add_option("-o,--output", o->output, "Where to write the companion .torrent")->required();
	sub->add_option("--store", o->store, "Also write the compressed chunks into DIR/NAME/ (a chunk store)")
		->type_name("DIR");
	sub->add_option("--threads", o->threads, "Hashing and compressing threads (default: one per core)")
		->check(CLI::NonNegativeNumber);
	sub->callback([o, &globals] { globals.exit_code = run_companion(*o); });
}

void add_create_command(CLI::App& app, Globals& globals)
{
	auto o = std::make_shared<CreateOptions>();
	CLI::App* sub = app.add_subcommand("create", "Write a .torrent (v1) of a partition or an image");
	sub->add_option("-o,--output", o->output, "Where to write the .torrent")->required();
	auto* group = sub->add_option_group("source", "What the torrent covers (exactly one)");
	group->add_option("--from-info", o->from_info,
		"partclone's torrent.info ('partclone.<fs> -c -t -s DEV -O DIR -z 16777216'): used blocks only");
	group->add_option("--filesystem", o->filesystem,
		"A device or image whose filesystem partclone reads here: used blocks only");
	group->add_option("--data", o->data, "A sparse image file: its allocated ranges only (SEEK_DATA)");
	group->add_option("--image", o->image,
		"A whole image file or device: one extent; without -n the single file '0000000000000000'");
	group->require_option(1);
	sub->add_option("--fs", o->fs_type, "Filesystem type for --filesystem (ext4, ntfs, vfat, xfs, ...); default: blkid's");
	sub->add_option("-n,--name", o->name, "The torrent's name: the partition's, e.g. sda1 (default: the file's name)");
	sub->add_option("--piece-length", o->piece_length,
		"Piece length in bytes, a power of two (partclone's lists use 16 MiB)")->default_str("16777216");
	sub->add_option("-t,--tracker", o->trackers, "Tracker announce URL (repeatable)");
	sub->add_option("--creator", o->creator, "The 'created by' field")->default_str("ezioctl");
	sub->add_option("--threads", o->threads, "Hashing and compressing threads (default: one per core)")
		->check(CLI::NonNegativeNumber);
	sub->add_flag("--chunked", o->chunked,
		"Compressed on the wire: the used blocks cut into windows, each compressed with zstd (docs/format.md, "
		"'Chunked torrents'). Needs EZIO on every client; not for Clonezilla's partclone lists");
	sub->add_option("--window", o->window,
		"Window (and piece) size of a chunked torrent, a power of two from 65536 to 16777216 (default: 1 MiB, "
		"larger for images of more than 128 GiB used, so the torrent keeps to 131,072 chunks)")
		->default_str("1048576");
	sub->add_option("--level", o->level,
		"zstd level of a chunked torrent (default: 3; 6 with --store, which is made once and served as it is; "
		"a seeder without a store compresses every chunk it sends at this level)")
		->check(CLI::Range(chunk::min_zstd_level, chunk::max_zstd_level));
	sub->add_option("--store", o->store,
		"With --chunked: also write the compressed chunks into DIR/NAME/ (the chunk store), so a seeder serves "
		"them as they are: 'ezio -F' and 'ezioctl add --seed TORRENT DIR'")->type_name("DIR");
	sub->callback([o, &globals] { globals.exit_code = run_create(*o); });
}

}  // namespace ezio::cli
