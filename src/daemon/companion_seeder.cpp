#include "daemon/companion_seeder.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <libtorrent/extensions/ut_metadata.hpp>
#include <spdlog/spdlog.h>

#include "chunk/codec.hpp"
#include "common/env.hpp"
#include "common/hex.hpp"
#include "torrent/companion.hpp"
#include "torrent/torrent_file.hpp"

namespace ezio::daemon {
namespace {

constexpr char const torrent_file[] = "companion.torrent";

// The companion kept in `dir` for `t`, if it is whole, names t, covers its
// extents and was made by this zstd.
std::shared_ptr<lt::torrent_info const> load_cached(std::string const& dir, lt::torrent_info const& t)
{
	std::ifstream in(dir + "/" + torrent_file, std::ios::binary);
	if (!in) return nullptr;
	auto loaded = torrent::load_torrent(std::string(std::istreambuf_iterator<char>(in), {}));
	if (!loaded) return nullptr;
	auto layout = chunk::read_layout(**loaded);
	if (!layout || !layout->has_value() || (*layout)->codec_version != chunk::codec_version()) return nullptr;
	if (!torrent::check_companion(**layout, t)) return nullptr;
	return *loaded;
}

// Makes C(t) from `source` into `dir` (made anew): its chunk store and
// companion.torrent, synced.
Expected<std::shared_ptr<lt::torrent_info const>> make_into(std::string const& dir, lt::torrent_info const& t,
	std::string const& source, std::atomic<bool> const& stopping)
{
	std::error_code ec;
	std::filesystem::remove_all(dir, ec);
	std::string const store = dir + "/" + t.name();
	std::filesystem::create_directories(store, ec);
	if (ec) return Error{fmt::format("cannot make '{}': {}", store, ec.message()), Errc::io};
	auto btzone = torrent::btzone_reader(t, source);
	if (!btzone) return btzone.error_value();
	// A daemon that stops does not wait for a whole making.
	torrent::ReadAt const read = [&stopping, from = std::move(*btzone)](std::int64_t offset, std::int64_t length,
									char* out) -> Status {
		if (stopping.load(std::memory_order_relaxed)) return Error{"the daemon is stopping", Errc::failed_precondition};
		return from(offset, length, out);
	};
	torrent::ChunkOptions options;
	// One core: the seeder serves T meanwhile.
	options.threads = 1;
	options.store = [&store](chunk::Chunk const& c, std::span<char const> stored) {
		return torrent::store_chunk(store, c, stored);
	};
	auto made = torrent::make_companion(t, read, options);
	if (!made) return made.error_value();
	if (auto const written = Env::system().write_file(dir + "/" + torrent_file, made->torrent, true); !written)
		return written.error_value();
	if (auto const synced = Env::system().sync_directory(store); !synced) return synced.error_value();
	auto loaded = torrent::load_torrent(made->torrent);
	if (!loaded) return loaded.error_value();
	return std::shared_ptr<lt::torrent_info const>(*loaded);
}

}  // namespace

CompanionSeeder::CompanionSeeder(lt::session& session, std::string directory)
	: m_session(session), m_directory(std::move(directory))
{}

CompanionSeeder::~CompanionSeeder()
{
	stop();
}

void CompanionSeeder::stop()
{
	{
		MutexLock lock(m_mutex);
		m_stopping = true;
	}
	m_stop_making.store(true, std::memory_order_relaxed);
	m_worker.stop();
}

void CompanionSeeder::seed_companion_of(std::shared_ptr<lt::torrent_info const> t, std::string source,
	swarm::PeerPolicy policy, std::shared_ptr<swarm::CompanionLink> link)
{
	m_worker.post([this, t = std::move(t), source = std::move(source), policy = std::move(policy),
					  link = std::move(link)]() mutable {
		{
			MutexLock lock(m_mutex);
			if (m_stopping) return;
		}
		make_and_seed(t, source, std::move(policy), link);
	});
}

void CompanionSeeder::make_and_seed(std::shared_ptr<lt::torrent_info const> const& t, std::string const& source,
	swarm::PeerPolicy policy, std::shared_ptr<swarm::CompanionLink> const& link)
{
	std::string const hash = to_hex(t->info_hashes().v1);
	std::string const dir = m_directory + "/" + hash;
	auto const started = std::chrono::steady_clock::now();
	std::shared_ptr<lt::torrent_info const> c = load_cached(dir, *t);
	bool const cached = c != nullptr;
	if (!c) {
		std::string const making = dir + ".making";
		auto made = make_into(making, *t, source, m_stop_making);
		std::error_code ec;
		if (made) {
			std::filesystem::remove_all(dir, ec);
			std::filesystem::rename(making, dir, ec);
		}
		if (!made || ec) {
			spdlog::warn("torrent {} '{}': no companion, it travels as it is: {}", hash, t->name(),
				made ? fmt::format("cannot rename '{}': {}", making, ec.message()) : made.error());
			std::filesystem::remove_all(making, ec);
			link->decline();
			return;
		}
		(void)Env::system().sync_directory(m_directory);
		c = *made;
	}

	lt::add_torrent_params params;
	params.ti = std::make_shared<lt::torrent_info>(*c);
	params.save_path = dir;
	params.flags &= ~(lt::torrent_flags::auto_managed | lt::torrent_flags::paused);
	params.flags |= lt::torrent_flags::duplicate_is_error | lt::torrent_flags::disable_pex
		| lt::torrent_flags::seed_mode;
	policy.peers.clear();  // clients call us; C has no tracker and names no one
	// Every client of the lab fetches C's metadata from us first, over a
	// connection of its own that tells no peer count, so the room rule
	// would close it at a full torrent (16 clients, 6 slots: 4 of them
	// went on without C). No connection limit of its own; T's upload slots
	// still share the link.
	policy.max_connections = -1;
	policy.label = fmt::format("companion of torrent {} '{}'", hash, t->name());
	auto peers = std::make_shared<swarm::TorrentPeers>(policy, params);
	// Clients fetch C's metadata from us (they know only its info-hash).
	params.extensions.push_back(lt::create_ut_metadata_plugin);
	{
		MutexLock lock(m_mutex);
		if (m_stopping) return;
		if (m_paused.count(t->info_hashes().v1)) params.flags |= lt::torrent_flags::paused;
	}
	// Outside the lock: add_torrent waits for the network thread.
	lt::error_code ec;
	lt::torrent_handle handle = m_session.add_torrent(std::move(params), ec);
	if (ec) {
		spdlog::warn("torrent {} '{}': no companion, it travels as it is: libtorrent refused it: {}", hash, t->name(),
			ec.message());
		link->decline();
		return;
	}
	peers->attach(handle);
	MutexLock lock(m_mutex);
	// Paused meanwhile: C follows.
	if (m_paused.count(t->info_hashes().v1)) handle.pause();
	m_seeded[t->info_hashes().v1] = Seeded{handle, std::move(peers)};
	link->offer(c->info_hashes().v1);
	std::int64_t stored = 0;  // the chunks, without their pads
	for (lt::file_index_t const f : c->files().file_range())
		if (!c->files().pad_file_at(f)) stored += c->files().file_size(f);
	spdlog::info("torrent {} '{}': companion {} seeded ({} chunks, {} MiB; {} in {:.1f} s)", hash, t->name(),
		to_hex(c->info_hashes().v1), c->num_pieces(), stored >> 20, cached ? "found in the cache" : "made",
		std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void CompanionSeeder::set_paused(lt::sha1_hash const& t, bool paused)
{
	MutexLock lock(m_mutex);
	if (paused) m_paused.insert(t);
	else m_paused.erase(t);
	auto const it = m_seeded.find(t);
	if (it == m_seeded.end()) return;
	if (paused) it->second.handle.pause();
	else it->second.handle.resume();
}

}  // namespace ezio::daemon
