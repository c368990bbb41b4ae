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
#include "torrent/image_layout.hpp"
#include "torrent/partclone_info.hpp"
#include "torrent/piece_hasher.hpp"
#include "torrent/torrent_builder.hpp"

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
	std::vector<std::string> trackers;
	std::string creator = "ezioctl";
};

// Progress on stderr: redrawn in place on a terminal, a line every 10 %
// otherwise.
class HashProgress {
public:
	HashProgress() : m_tty(::isatty(2) != 0), m_start(std::chrono::steady_clock::now()) {}

	void operator()(int done, int total, std::int64_t bytes_per_piece)
	{
		double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
		double const rate = seconds > 0 ? double(done) * double(bytes_per_piece) / seconds : 0;
		int const percent = total > 0 ? done * 100 / total : 100;
		std::string const line = fmt::format("hashing: {}/{} pieces ({}%), {}/s", done, total, percent, human_bytes(rate));
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
	int m_last_decile = -1;
};

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

int run_create(CreateOptions const& o)
{
	torrent::TorrentSpec spec;
	spec.piece_length = o.piece_length;
	spec.trackers = o.trackers;
	spec.creator = o.creator;
	if (auto const s = describe_source(o, spec); !s) return fail(s.error());

	auto const bytes = torrent::build_torrent(spec);
	if (!bytes) return fail(bytes.error());
	std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
	out.write(bytes->data(), std::streamsize(bytes->size()));
	out.close();
	if (!out) return fail(fmt::format("cannot write '{}'", o.output));

	std::int64_t used = 0;
	for (auto const& e : spec.extents) used += e.length;
	std::printf("%s: '%s', %zu extents, %zu pieces of %s, %s of data\n", o.output.c_str(), spec.name.c_str(),
		spec.extents.size(), spec.piece_hashes.size(), human_bytes(double(spec.piece_length)).c_str(),
		human_bytes(double(used)).c_str());
	return 0;
}

}  // namespace

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
	sub->add_option("--threads", o->threads, "Hashing threads (default: one per core)")->check(CLI::NonNegativeNumber);
	sub->callback([o, &globals] { globals.exit_code = run_create(*o); });
}

}  // namespace ezio::cli
