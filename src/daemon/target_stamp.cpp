#include "daemon/target_stamp.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <libtorrent/hasher.hpp>

#include "common/hex.hpp"

namespace ezio::daemon {

namespace {

std::optional<std::string> read_line(std::string const& path)
{
	std::ifstream in(path);
	std::string line;
	if (!in || !std::getline(in, line)) return std::nullopt;
	return line;
}

std::string times_of(struct stat const& st)
{
	return fmt::format("{}:{}:{}:{}.{}:{}.{}", st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec,
		st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

// "written/discarded" sectors from a sysfs block `stat` file (fields 7 and
// 14, counted since boot). Not the I/O counts: every fdatasync counts as a
// write I/O (a flush) without changing a byte.
std::optional<std::string> write_counters(std::filesystem::path const& dir)
{
	auto const line = read_line(dir / "stat");
	if (!line) return std::nullopt;
	std::istringstream fields(*line);
	std::vector<std::uint64_t> values;
	for (std::uint64_t v = 0; fields >> v;) values.push_back(v);
	if (values.size() < 7) return std::nullopt;
	auto const at = [&](std::size_t field) { return field <= values.size() ? values[field - 1] : 0; };
	return fmt::format("{}/{}", at(7), at(14));
}

std::string block_stamp(dev_t device)
{
	std::error_code ec;
	std::filesystem::path const dir = std::filesystem::canonical(
		fmt::format("/sys/dev/block/{}:{}", major(device), minor(device)), ec);
	if (ec) return {};
	bool const partition = std::filesystem::exists(dir / "partition", ec);
	std::filesystem::path const disk = partition ? dir.parent_path() : dir;

	auto const own = write_counters(dir);
	auto const whole = write_counters(disk);
	if (!own || !whole) return {};
	std::string stamp = fmt::format("w={};disk-w={};seq={}", *own, *whole,
		read_line(disk / "diskseq").value_or("?"));
	if (auto const backing = read_line(disk / "loop" / "backing_file")) {
		struct stat st{};
		if (::stat(backing->c_str(), &st) != 0) return {};
		stamp += fmt::format(";loop={}@{}", *backing, times_of(st));
	}
	return stamp;
}

}  // namespace

std::string boot_id()
{
	static std::string const id = read_line("/proc/sys/kernel/random/boot_id").value_or("");
	return id;
}

std::string raw_target_stamp(storage::Target const& target, bool flush)
{
	if (boot_id().empty()) return {};
	struct stat st{};
	if (::fstat(target.fd(), &st) != 0) return {};
	if (S_ISBLK(st.st_mode)) {
		if (flush && ::fdatasync(target.fd()) != 0) return {};
		std::string const device = block_stamp(st.st_rdev);
		return device.empty() ? std::string() : fmt::format("boot={};block={}", boot_id(), device);
	}
	return fmt::format("boot={};file={}", boot_id(), times_of(st));
}

std::string file_target_stamp(lt::file_storage const& files, std::string const& save_path)
{
	if (boot_id().empty()) return {};
	// One digest for all files: a torrent may have thousands.
	lt::hasher digest;
	for (lt::file_index_t const f : files.file_range()) {
		if (files.pad_file_at(f)) continue;
		struct stat st{};
		std::string const entry = ::stat(files.file_path(f, save_path).c_str(), &st) != 0 ? "-," : times_of(st) + ",";
		digest.update(entry.data(), int(entry.size()));
	}
	return fmt::format("boot={};files={}", boot_id(), to_hex(digest.final()));
}

std::string write_stamp(std::shared_ptr<storage::Target> const& opened, lt::torrent_info const& ti,
	std::string const& save_path, bool flush)
{
	return opened ? raw_target_stamp(*opened, flush) : file_target_stamp(ti.files(), save_path);
}

}  // namespace ezio::daemon
