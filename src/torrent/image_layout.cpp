#include "torrent/image_layout.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "common/subprocess.hpp"

namespace ezio::torrent {

namespace {

// partclone hashes its used-block list in pieces of this size, whatever its
// -z says (partclone 0.3.23).
constexpr int partclone_piece_length = 16 << 20;

std::string partclone_for(std::string const& fs_type)
{
	static std::map<std::string, std::string> const tools{{"ext2", "partclone.extfs"}, {"ext3", "partclone.extfs"},
		{"ext4", "partclone.extfs"}, {"vfat", "partclone.fat"}, {"fat", "partclone.fat"}, {"msdos", "partclone.fat"},
		{"ntfs", "partclone.ntfs"}, {"xfs", "partclone.xfs"}, {"btrfs", "partclone.btrfs"},
		{"exfat", "partclone.exfat"}, {"f2fs", "partclone.f2fs"}, {"hfsplus", "partclone.hfsp"},
		{"minix", "partclone.minix"}, {"apfs", "partclone.apfs"}};
	auto const it = tools.find(fs_type);
	return it == tools.end() ? std::string() : it->second;
}

// Removes a temporary directory when it goes out of scope.
struct TempDir {
	std::string path;
	~TempDir()
	{
		std::error_code ec;
		if (!path.empty()) std::filesystem::remove_all(path, ec);
	}
};

}  // namespace

Expected<std::int64_t> image_size(std::string const& path)
{
	int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) return Error{fmt::format("cannot open '{}': {}", path, std::strerror(errno)), Errc::io};
	struct stat st{};
	std::int64_t size = -1;
	if (::fstat(fd, &st) == 0) {
		if (S_ISREG(st.st_mode)) size = st.st_size;
		std::uint64_t bytes = 0;
		if (S_ISBLK(st.st_mode) && ::ioctl(fd, BLKGETSIZE64, &bytes) == 0) size = std::int64_t(bytes);
	}
	::close(fd);
	if (size < 0) return Error{fmt::format("'{}' is neither an image file nor a block device", path), Errc::invalid_argument};
	return size;
}

Expected<std::vector<Extent>> data_extents(std::string const& path)
{
	auto const size = image_size(path);
	if (!size) return size.error_value();
	int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) return Error{fmt::format("cannot open '{}': {}", path, std::strerror(errno)), Errc::io};

	std::vector<Extent> extents;
	off_t position = 0;
	std::string error;
	while (position < *size) {
		off_t const data = ::lseek(fd, position, SEEK_DATA);
		if (data < 0) {
			if (errno != ENXIO)  // ENXIO: no data after `position`
				error = fmt::format("'{}' cannot tell its data from its holes (SEEK_DATA: {}); use --image instead",
					path, std::strerror(errno));
			break;
		}
		off_t hole = ::lseek(fd, data, SEEK_HOLE);
		if (hole < 0) hole = *size;
		extents.push_back(Extent{data, hole - data});
		position = hole;
	}
	::close(fd);
	if (!error.empty()) return Error{error, Errc::io};
	if (extents.empty()) return Error{fmt::format("'{}' holds no data", path), Errc::invalid_argument};
	return extents;
}

Expected<PartcloneInfo> filesystem_extents(std::string const& path, std::string fs_type)
{
	if (fs_type.empty()) {
		CommandResult const probe = run_command({"blkid", "-p", "-o", "value", "-s", "TYPE", path});
		fs_type = probe.output.substr(0, probe.output.find('\n'));
		if (probe.status != 0 || fs_type.empty())
			return Error{fmt::format("blkid finds no filesystem on '{}'; name it with --fs, or use --image", path), Errc::invalid_argument};
	}
	std::string const tool = partclone_for(fs_type);
	if (tool.empty())
		return Error{fmt::format("no partclone tool for a '{}' filesystem; use --image or --data", fs_type), Errc::invalid_argument};

	char pattern[] = "/tmp/ezioctl-partclone-XXXXXX";
	if (::mkdtemp(pattern) == nullptr) return Error{fmt::format("mkdtemp: {}", std::strerror(errno)), Errc::io};
	TempDir const out{pattern};
	CommandResult const run = run_command({tool, "-c", "-t", "-s", path, "-O", out.path, "-z",
		std::to_string(partclone_piece_length)});
	if (run.status != 0) {
		std::string tail = run.output.size() > 2000 ? run.output.substr(run.output.size() - 2000) : run.output;
		return Error{fmt::format("{} failed on '{}' (status {}): {}", tool, path, run.status, tail), Errc::internal};
	}
	std::ifstream in(out.path + "/torrent.info", std::ios::binary);
	if (!in) return Error{fmt::format("{} wrote no torrent.info", tool), Errc::internal};
	std::string const text((std::istreambuf_iterator<char>(in)), {});
	return parse_partclone_info(text);
}

}  // namespace ezio::torrent
