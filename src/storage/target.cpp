#include "storage/target.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ezio::storage {

namespace {

Error os_error(std::string const& what, std::string const& path, int err)
{
	return Error{fmt::format("{} '{}': {}", what, path, std::strerror(err))};
}

}  // namespace

Expected<std::shared_ptr<Target>> Target::open(std::string const& path, Access access)
{
	if (path.empty()) return Error{"no target given (save_path is empty)"};

	struct stat st{};
	if (::stat(path.c_str(), &st) != 0) {
		if (errno == ENOENT)
			return Error{fmt::format("target '{}' does not exist (raw mode writes to an existing "
				"block device or image file and never creates one)", path)};
		return os_error("cannot stat target", path, errno);
	}
	if (S_ISDIR(st.st_mode))
		return Error{fmt::format("target '{}' is a directory; raw mode needs a block device or an "
			"image file (start the daemon with -F to write files into a directory)", path)};
	bool const block_device = S_ISBLK(st.st_mode);
	if (!block_device && !S_ISREG(st.st_mode))
		return Error{fmt::format("target '{}' is neither a block device nor a regular file", path)};

	bool const writable = access == Access::read_write;
	int flags = O_CLOEXEC | (writable ? O_RDWR : O_RDONLY);
	// On a block device O_EXCL fails with EBUSY while the device is mounted
	// or opened exclusively elsewhere: writing under a mounted filesystem
	// would corrupt it.
	if (block_device && writable) flags |= O_EXCL;

	int const fd = ::open(path.c_str(), flags);
	if (fd < 0) {
		int const err = errno;
		if (err == EBUSY)
			return Error{fmt::format("target '{}' is busy: it is mounted or in use by another "
				"program; unmount it first", path)};
		return os_error("cannot open target", path, err);
	}

	std::shared_ptr<Target> target(new Target());
	target->m_fd = fd;  // owned from here on, closed by ~Target
	target->m_path = path;
	target->m_block_device = block_device;
	target->m_writable = writable;

	// Describe what was opened, not what the path named a moment ago.
	if (::fstat(fd, &st) != 0) return os_error("cannot stat target", path, errno);
	if (block_device) {
		std::uint64_t bytes = 0;
		if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) return os_error("cannot get the size of", path, errno);
		target->m_size = std::int64_t(bytes);
		target->m_identity = TargetIdentity{st.st_rdev, 0};
	} else {
		target->m_size = st.st_size;
		target->m_identity = TargetIdentity{st.st_dev, st.st_ino};
	}
	return target;
}

Target::~Target()
{
	if (m_fd >= 0) ::close(m_fd);
}

void Target::drop_page_cache() const
{
	// Advice only: if the kernel declines, hashing reads the cache as before.
	::posix_fadvise(m_fd, 0, 0, POSIX_FADV_DONTNEED);
}

}  // namespace ezio::storage
