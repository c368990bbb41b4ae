#include "daemon/resume_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/read_resume_data.hpp>
#include <libtorrent/write_resume_data.hpp>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"

namespace ezio::daemon {

namespace {

// Writes `data` to `path` through a temporary file and a rename, so that a
// crash leaves the old record or the new one, never half of one. With
// `durable`, the file and the directory entry are synced too.
Status write_atomically(std::string const& path, std::string const& data, bool durable)
{
	std::string const temporary = path + ".tmp";
	int const fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) return Error{fmt::format("cannot write '{}': {}", temporary, std::strerror(errno))};
	std::size_t done = 0;
	while (done < data.size()) {
		ssize_t const n = ::write(fd, data.data() + done, data.size() - done);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) {
			int const err = errno;
			::close(fd);
			return Error{fmt::format("cannot write '{}': {}", temporary, std::strerror(err))};
		}
		done += std::size_t(n);
	}
	if (durable && ::fdatasync(fd) != 0) {
		int const err = errno;
		::close(fd);
		return Error{fmt::format("cannot sync '{}': {}", temporary, std::strerror(err))};
	}
	::close(fd);
	if (::rename(temporary.c_str(), path.c_str()) != 0)
		return Error{fmt::format("cannot rename '{}': {}", temporary, std::strerror(errno))};
	if (durable) {
		int const dir = ::open(std::filesystem::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir >= 0) {
			::fsync(dir);
			::close(dir);
		}
	}
	return Ok{};
}

}  // namespace

ResumeStore::ResumeStore(std::string directory) : m_directory(std::move(directory)), m_boot_id(boot_id())
{
	if (m_directory.empty()) return;
	std::error_code ec;
	std::filesystem::create_directories(m_directory, ec);
	if (ec) {
		spdlog::warn("cannot create the state directory '{}' ({}); progress will not survive a restart", m_directory,
			ec.message());
		m_directory.clear();
	}
}

std::string ResumeStore::boot_id()
{
	std::ifstream in("/proc/sys/kernel/random/boot_id");
	std::string id;
	std::getline(in, id);
	return id;
}

std::string ResumeStore::path_for(lt::sha1_hash const& info_hash, bool durable) const
{
	return fmt::format("{}/{}.{}", m_directory, to_hex(info_hash), durable ? "durable" : "volatile");
}

Status ResumeStore::save(lt::add_torrent_params const& params, TargetKey const& target, bool durable)
{
	if (!enabled()) return Ok{};
	lt::entry record = lt::write_resume_data(params);
	record["ezio-target-path"] = target.path;
	record["ezio-target-device"] = std::int64_t(target.device);
	record["ezio-target-inode"] = std::int64_t(target.inode);
	record["ezio-target-size"] = target.size;
	record["ezio-boot-id"] = m_boot_id;
	std::string data;
	lt::bencode(std::back_inserter(data), record);

	std::lock_guard<std::mutex> lock(m_mutex);
	return write_atomically(path_for(params.info_hashes.v1, durable), data, durable);
}

void ResumeStore::forget(lt::sha1_hash const& info_hash, bool durable)
{
	if (!enabled()) return;
	std::lock_guard<std::mutex> lock(m_mutex);
	::unlink(path_for(info_hash, durable).c_str());
}

std::optional<lt::add_torrent_params> ResumeStore::load(lt::sha1_hash const& info_hash, TargetKey const& target) const
{
	if (!enabled()) return std::nullopt;
	if (auto params = read(path_for(info_hash, false), info_hash, target, true)) return params;
	return read(path_for(info_hash, true), info_hash, target, false);
}

std::optional<lt::add_torrent_params> ResumeStore::read(std::string const& path, lt::sha1_hash const& info_hash,
	TargetKey const& target, bool require_this_boot) const
{
	std::ifstream in(path, std::ios::binary);
	if (!in) return std::nullopt;
	std::string const data((std::istreambuf_iterator<char>(in)), {});
	lt::error_code ec;
	lt::bdecode_node const root = lt::bdecode(data, ec);
	if (ec || root.type() != lt::bdecode_node::dict_t) {
		spdlog::warn("ignoring unreadable resume record '{}'", path);
		return std::nullopt;
	}
	TargetKey const recorded{std::string(root.dict_find_string_value("ezio-target-path")),
		std::uint64_t(root.dict_find_int_value("ezio-target-device")),
		std::uint64_t(root.dict_find_int_value("ezio-target-inode")), root.dict_find_int_value("ezio-target-size")};
	if (!(recorded == target)) {
		spdlog::info("resume record '{}' is for another target ({}); starting from scratch", path, recorded.path);
		return std::nullopt;
	}
	if (require_this_boot && root.dict_find_string_value("ezio-boot-id") != m_boot_id) return std::nullopt;
	lt::add_torrent_params params = lt::read_resume_data(root, ec);
	if (ec || params.info_hashes.v1 != info_hash) {
		spdlog::warn("ignoring resume record '{}': {}", path, ec ? ec.message() : "another torrent");
		return std::nullopt;
	}
	return params;
}

}  // namespace ezio::daemon
