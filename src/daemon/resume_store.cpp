#include "daemon/resume_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/write_resume_data.hpp>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"

namespace ezio::daemon {

namespace {

// A record is a few bytes per piece; anything far larger is not one.
constexpr std::uintmax_t max_record_bytes = 16 << 20;

std::optional<std::string> read_file(std::string const& path)
{
	std::error_code ec;
	auto const size = std::filesystem::file_size(path, ec);
	if (ec) return std::nullopt;
	if (size > max_record_bytes) {
		spdlog::warn("ignoring resume record '{}': {} bytes is too large for one", path, size);
		return std::nullopt;
	}
	std::ifstream in(path, std::ios::binary);
	if (!in) return std::nullopt;
	return std::string((std::istreambuf_iterator<char>(in)), {});
}

// The boot a stamp names ("boot=ID;...").
std::string_view boot_of(std::string_view stamp)
{
	if (!stamp.starts_with("boot=")) return {};
	stamp.remove_prefix(5);
	return stamp.substr(0, stamp.find(';'));
}

std::string why_not_trusted(std::string const& recorded, std::string const& now)
{
	if (recorded.empty()) return "the record carries no write stamp";
	if (now.empty()) return "the target's write stamp cannot be read";
	if (boot_of(recorded) != boot_of(now)) return "the record is from another boot";
	return "the target was written after the record";
}

}  // namespace

std::optional<ParsedRecord> parse_record(std::string_view data, std::optional<lt::sha1_hash> const& info_hash,
	int num_pieces)
{
	lt::error_code ec;
	int error_pos = 0;
	lt::bdecode_node const root = lt::bdecode(data, ec, &error_pos, 100, 1'000'000);
	if (ec || root.type() != lt::bdecode_node::dict_t) return std::nullopt;

	ParsedRecord record;
	lt::string_view const hash = root.dict_find_string_value("info-hash");
	if (hash.size() != std::size_t(lt::sha1_hash::size())) return std::nullopt;
	record.info_hash = lt::sha1_hash(hash.data());
	if (info_hash && record.info_hash != *info_hash) return std::nullopt;

	std::int64_t const device = root.dict_find_int_value("ezio-target-device", -1);
	std::int64_t const inode = root.dict_find_int_value("ezio-target-inode", -1);
	record.target.size = root.dict_find_int_value("ezio-target-size", -1);
	record.target.path = std::string(root.dict_find_string_value("ezio-target-path"));
	if (device < 0 || inode < 0 || record.target.size < 0 || record.target.path.empty()) return std::nullopt;
	record.target.device = std::uint64_t(device);
	record.target.inode = std::uint64_t(inode);
	record.stamp = std::string(root.dict_find_string_value("ezio-stamp"));
	if (num_pieces < 0) return record;

	// libtorrent's resume format: one byte per piece, bit 0 set if we have it.
	lt::string_view const pieces = root.dict_find_string_value("pieces");
	if (pieces.size() > std::size_t(num_pieces)) return std::nullopt;  // another torrent's layout
	record.have.resize(num_pieces, false);
	for (std::size_t i = 0; i < pieces.size(); ++i)
		if (pieces[i] & 1) record.have.set_bit(lt::piece_index_t(int(i)));
	return record;
}

ResumeStore::ResumeStore(std::string directory, Env& env) : m_directory(std::move(directory)), m_env(env)
{
	if (m_directory.empty()) return;
	std::error_code ec;
	std::filesystem::create_directories(m_directory, ec);
	if (ec) {
		spdlog::warn("cannot create the state directory '{}' ({}); progress will not survive a restart", m_directory,
			ec.message());
		m_directory.clear();
		return;
	}
	std::string const lock = m_directory + "/lock";
	m_lock_fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (m_lock_fd < 0) {
		spdlog::warn("cannot open '{}' ({}); progress will not survive a restart", lock, std::strerror(errno));
		m_directory.clear();
		return;
	}
	if (::flock(m_lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int const err = errno;
		::close(m_lock_fd);
		m_lock_fd = -1;
		if (err == EWOULDBLOCK)
			throw std::runtime_error(fmt::format("the state directory '{}' is in use by another ezio daemon; give "
				"each daemon its own --state-dir", m_directory));
		throw std::runtime_error(fmt::format("cannot lock '{}': {}", lock, std::strerror(err)));
	}
}

ResumeStore::~ResumeStore()
{
	if (m_lock_fd >= 0) ::close(m_lock_fd);  // releases the lock
}

std::string ResumeStore::path_for(lt::sha1_hash const& info_hash, bool durable) const
{
	return fmt::format("{}/{}.{}", m_directory, to_hex(info_hash), durable ? "durable" : "volatile");
}

Status ResumeStore::save(lt::add_torrent_params const& params, TargetKey const& target, std::string const& stamp,
	bool durable)
{
	if (!enabled()) return Ok{};
	lt::entry record = lt::write_resume_data(params);
	record["ezio-target-path"] = target.path;
	record["ezio-target-device"] = std::int64_t(target.device);
	record["ezio-target-inode"] = std::int64_t(target.inode);
	record["ezio-target-size"] = target.size;
	record["ezio-stamp"] = stamp;
	std::string data;
	lt::bencode(std::back_inserter(data), record);

	MutexLock lock(m_mutex);
	std::string const path = path_for(params.info_hashes.v1, durable);
	std::string const temporary = fmt::format("{}.{}.{}.tmp", path, ::getpid(), m_next_temporary++);
	return write_atomically(path, temporary, data, durable);
}

Status ResumeStore::write_atomically(std::string const& path, std::string const& temporary, std::string const& data,
	bool durable)
{
	// Through a temporary and a rename, so that a crash leaves the old
	// record or the new one, never half of one; a durable one is synced
	// before the rename, and the rename after it.
	Status written = m_env.write_file(temporary, data, durable);
	if (written) written = m_env.rename_file(temporary, path);
	if (!written) {
		(void)m_env.remove_file(temporary);  // best effort: the error that matters is the one above
		return written;
	}
	if (durable) return m_env.sync_directory(m_directory);
	return Ok{};
}

Status ResumeStore::forget(lt::sha1_hash const& info_hash, bool durable)
{
	if (!enabled()) return Ok{};
	MutexLock lock(m_mutex);
	return m_env.remove_file(path_for(info_hash, durable));
}

bool ResumeStore::has_records(lt::sha1_hash const& info_hash) const
{
	if (!enabled()) return false;
	std::error_code ec;
	return std::filesystem::exists(path_for(info_hash, false), ec)
		|| std::filesystem::exists(path_for(info_hash, true), ec);
}

int ResumeStore::claim_target(lt::sha1_hash const& info_hash, TargetKey const& target)
{
	if (!enabled()) return 0;
	MutexLock lock(m_mutex);
	int removed = 0;
	std::error_code ec;
	for (auto const& entry : std::filesystem::directory_iterator(m_directory, ec)) {
		std::string const name = entry.path().filename().string();
		if (!name.ends_with(".volatile") && !name.ends_with(".durable")) continue;
		auto const data = read_file(entry.path().string());
		if (!data) continue;
		auto const record = parse_record(*data, std::nullopt, -1);
		if (!record || record->info_hash == info_hash || !record->target.same_place(target)) continue;
		if (auto const deleted = m_env.remove_file(entry.path().string()); deleted) {
			++removed;
			spdlog::info("resume record '{}' is for torrent {} on '{}', which torrent {} is about to overwrite: "
				"deleted", entry.path().string(), to_hex(record->info_hash), target.path, to_hex(info_hash));
		} else {
			// Its stamp no longer matches once the target is written, so its
			// claims would be verified, never trusted.
			spdlog::warn("cannot delete the stale resume record: {}", deleted.error());
		}
	}
	if (ec) spdlog::warn("cannot list the state directory '{}': {}", m_directory, ec.message());
	if (removed > 0)
		if (auto const synced = m_env.sync_directory(m_directory); !synced) spdlog::warn("{}", synced.error());
	return removed;
}

std::optional<ResumeClaim> ResumeStore::load(lt::sha1_hash const& info_hash, int num_pieces, TargetKey const& target,
	std::string const& stamp) const
{
	if (!enabled()) return std::nullopt;
	std::optional<ResumeClaim> best;
	for (bool const durable : {false, true}) {
		std::string const path = path_for(info_hash, durable);
		auto const data = read_file(path);
		if (!data) continue;
		auto record = parse_record(*data, info_hash, num_pieces);
		if (!record) {
			spdlog::warn("ignoring resume record '{}': it is not a readable record of this torrent", path);
			continue;
		}
		if (!(record->target == target)) {
			spdlog::info("resume record '{}' is for another target ({}); not used", path, record->target.path);
			continue;
		}
		if (record->have.none_set()) continue;
		ResumeClaim claim;
		claim.trusted = !stamp.empty() && record->stamp == stamp;
		if (!claim.trusted) claim.why_verify = why_not_trusted(record->stamp, stamp);
		claim.have = std::move(record->have);
		// A claim that counts as it is beats one to verify; then more pieces.
		bool const better = !best || (claim.trusted && !best->trusted)
			|| (claim.trusted == best->trusted && claim.have.count() > best->have.count());
		if (better) best = std::move(claim);
	}
	return best;
}

}  // namespace ezio::daemon
