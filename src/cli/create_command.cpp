// ezioctl create: a .torrent from partclone's torrent.info, or of a whole
// image or device.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "torrent/partclone_info.hpp"
#include "torrent/piece_hasher.hpp"
#include "torrent/torrent_builder.hpp"
#include "storage/target.hpp"

namespace ezio::cli {

namespace {

struct CreateOptions {
	std::string output;
	std::string from_info;
	std::string image;
	std::string name;
	int piece_length = 16 << 20;
	std::vector<std::string> trackers;
	std::string creator = "ezioctl";
};

std::string read_text(std::string const& path, std::string& error)
{
	std::ifstream in(path, std::ios::binary);
	if (!in) {
		error = fmt::format("cannot read '{}'", path);
		return {};
	}
	return std::string(std::istreambuf_iterator<char>(in), {});
}

int run_create(CreateOptions const& o)
{
	torrent::TorrentSpec spec;
	spec.piece_length = o.piece_length;
	spec.trackers = o.trackers;
	spec.creator = o.creator;

	if (!o.from_info.empty()) {
		std::string error;
		std::string const text = read_text(o.from_info, error);
		if (!error.empty()) return fail(error);
		auto info = torrent::parse_partclone_info(text);
		if (!info) return fail(fmt::format("{}: {}", o.from_info, info.error()));
		if (o.name.empty()) return fail("--name is required with --from-info (the partition's name, e.g. sda1)");
		spec.name = o.name;
		spec.extents = std::move(info->extents);
		spec.piece_hashes = std::move(info->piece_hashes);
	} else {
		// The size of a device or an image file, as the daemon will see it.
		auto target = storage::Target::open(o.image, storage::Target::Access::read_only);
		if (!target) return fail(target.error());
		std::int64_t const size = (*target)->size();
		if (size == 0) return fail(fmt::format("'{}' is empty", o.image));
		spec.name = o.name.empty() ? "image" : o.name;
		spec.single_file = true;
		spec.extents = {{0, size}};
		bool const tty = ::isatty(2);
		auto hashes = torrent::hash_extents(o.image, spec.extents, o.piece_length, [tty](int done, int total) {
			if (tty || done == total) std::fprintf(stderr, "\rhashing: %d/%d pieces%s", done, total, done == total ? "\n" : "");
		});
		if (!hashes) return fail(hashes.error());
		spec.piece_hashes = std::move(hashes.value());
	}

	auto const bytes = torrent::build_torrent(spec);
	if (!bytes) return fail(bytes.error());
	std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
	out.write(bytes->data(), std::streamsize(bytes->size()));
	out.close();
	if (!out) return fail(fmt::format("cannot write '{}'", o.output));
	std::int64_t used = 0;
	for (auto const& e : spec.extents) used += e.length;
	std::printf("%s: %zu extents, %zu pieces of %d KiB, %s bytes of data\n", o.output.c_str(), spec.extents.size(),
		spec.piece_hashes.size(), o.piece_length / 1024, std::to_string(used).c_str());
	return 0;
}

}  // namespace

void add_create_command(CLI::App& app, Globals& globals)
{
	auto o = std::make_shared<CreateOptions>();
	CLI::App* sub = app.add_subcommand("create", "Write a .torrent for a partition or an image");
	sub->add_option("-o,--output", o->output, "Where to write the .torrent")->required();
	auto* info = sub->add_option("--from-info", o->from_info,
		"partclone's torrent.info (from 'partclone.<fs> -c -t -s DEV -O DIR -z 16777216'): used blocks only");
	auto* image = sub->add_option("--image", o->image, "A whole image file or device, hashed here");
	info->excludes(image);
	sub->add_option("-n,--name", o->name, "The torrent's name: the partition's, e.g. sda1");
	sub->add_option("--piece-length", o->piece_length, "Piece length in bytes (a power of two; partclone uses 16 MiB)")
		->default_str("16777216");
	sub->add_option("-t,--tracker", o->trackers, "Tracker announce URL (repeatable)");
	sub->add_option("--creator", o->creator, "The 'created by' field")->default_str("ezioctl");
	sub->callback([o, &globals, info, image] {
		if (info->count() == 0 && image->count() == 0) {
			globals.exit_code = fail("create needs --from-info FILE or --image PATH");
			return;
		}
		globals.exit_code = run_create(*o);
	});
}

}  // namespace ezio::cli
