// ezioctl verify: checks a target's covered extents against the torrent's
// piece hashes, after a deployment or before resuming one.
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "chunk/layout.hpp"
#include "cli/commands.hpp"
#include "storage/extent_map.hpp"
#include "torrent/chunk_maker.hpp"
#include "torrent/piece_hasher.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::cli {

namespace {

struct VerifyOptions {
	std::string torrent_file;
	std::string target;
	int threads = 0;
};

// "3, 7-9, 12" for sorted piece numbers.
std::string ranges(std::vector<int> const& pieces)
{
	std::string out;
	for (std::size_t i = 0; i < pieces.size();) {
		std::size_t j = i;
		while (j + 1 < pieces.size() && pieces[j + 1] == pieces[j] + 1) ++j;
		if (!out.empty()) out += ", ";
		out += j == i ? std::to_string(pieces[i]) : fmt::format("{}-{}", pieces[i], pieces[j]);
		i = j + 1;
	}
	return out;
}

// Prints the verdict; exit 1 if any of the `total` items (pieces, or chunks
// of a chunked torrent) does not match.
int report(VerifyOptions const& o, std::string const& name, char const* what, Expected<std::vector<int>> const& bad,
	std::size_t total)
{
	if (!bad) return fail(bad.error());
	if (bad->empty()) {
		std::printf("%s: all %zu %s of '%s' match\n", o.target.c_str(), total, what, name.c_str());
		return 0;
	}
	std::printf("%s: %zu of %zu %s of '%s' do not match: %s\n", o.target.c_str(), bad->size(), total, what,
		name.c_str(), ranges(*bad).c_str());
	return 1;
}

int run_verify(VerifyOptions const& o)
{
	std::ifstream in(o.torrent_file, std::ios::binary);
	if (!in) return fail(fmt::format("cannot read '{}'", o.torrent_file));
	auto const ti = torrent::load_torrent(std::string(std::istreambuf_iterator<char>(in), {}));
	if (!ti) return fail(fmt::format("{}: {}", o.torrent_file, ti.error()));
	auto const chunked = chunk::read_layout(**ti);
	if (!chunked) return fail(fmt::format("{}: {}", o.torrent_file, chunked.error()));
	if (chunked->has_value()) return report(o, (*ti)->name(), "chunks",
		torrent::verify_chunks(o.target, **chunked, o.threads), (*chunked)->chunks.size());

	lt::file_storage const& files = (*ti)->files();
	auto const layout = storage::ExtentMap::build(files);
	if (!layout) return fail(fmt::format("{}: {}", o.torrent_file, layout.error()));

	std::vector<torrent::Extent> extents;
	for (lt::file_index_t const f : files.file_range())
		extents.push_back(torrent::Extent{layout->file_offset(f).value(), files.file_size(f)});

	torrent::HashOptions options;
	options.threads = o.threads;
	auto const hashes = torrent::hash_extents(o.target, extents, files.piece_length(), options);
	if (!hashes) return fail(hashes.error());

	std::vector<int> bad;
	for (int p = 0; p < int(hashes->size()); ++p)
		if ((*hashes)[std::size_t(p)] != (*ti)->hash_for_piece(lt::piece_index_t{p})) bad.push_back(p);
	return report(o, (*ti)->name(), "pieces", bad, hashes->size());
}

}  // namespace

void add_verify_command(CLI::App& app, Globals& g)
{
	auto o = std::make_shared<VerifyOptions>();
	CLI::App* sub = app.add_subcommand("verify",
		"Check a target's covered extents against the torrent's piece hashes, or a chunked torrent's chunk "
		"digests (exit 1 if any differs)");
	sub->add_option("torrent", o->torrent_file, "The .torrent file")->required();
	sub->add_option("target", o->target, "Block device or image file the torrent was deployed to")->required();
	sub->add_option("--threads", o->threads, "Hashing threads (default: one per core)")->check(CLI::NonNegativeNumber);
	sub->callback([o, &g] { g.exit_code = run_verify(*o); });
}

}  // namespace ezio::cli
