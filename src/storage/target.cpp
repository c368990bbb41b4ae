#include "storage/target.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace ezio::storage {

namespace {

Error os_error(std::string const& what, std::string const& path, int err)
{
	return Error{fmt::format("{} '{}': {}", what, path, std::strerror(err)), Errc::io};
}

Error is_a_directory(std::string const& path)
{
	return Error{fmt::format("target '{}' is a directory; raw mode needs a block device or an image file (start "
		"the daemon with -F to write files into a directory)", path), Errc::failed_precondition};
}

Error not_a_target(std::string const& path)
{
	return Error{fmt::format("target '{}' is neither a block device nor a regular file", path), Errc::failed_precondition};
}

// Opens `path` without following a symlink or a magic link (/proc/PID/root,
// /proc/PID/fd/N) anywhere in it, so what is opened is what the path names
// in this daemon's own mount namespace, now. Kernels without openat2 get
// O_NOFOLLOW (the last component only).
int open_without_links(std::string const& path, int flags)
{
	open_how how{};
	how.flags = std::uint64_t(flags);
	how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	long const fd = ::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how);
	if (fd < 0 && errno == ENOSYS) return ::open(path.c_str(), flags | O_NOFOLLOW);
	return int(fd);
}

// The path of an open descriptor, as the kernel names it (/proc/self/fd/N).
Expected<std::string> real_path_of(int fd)
{
	char buffer[PATH_MAX + 1];
	std::string const link = fmt::format("/proc/self/fd/{}", fd);
	ssize_t const n = ::readlink(link.c_str(), buffer, sizeof buffer - 1);
	if (n < 0) return os_error("cannot find the path of", link, errno);
	return std::string(buffer, std::size_t(n));
}

}  // namespace

Expected<std::shared_ptr<Target>> Target::open(std::string const& path, Access access)
{
	if (path.empty()) return Error{"no target given (save_path is empty)", Errc::invalid_argument};

	// Symlinks the admin made (/dev/disk/by-id/...) are resolved once; the
	// result is opened without following any link, so a link swapped in
	// meanwhile fails the open instead of leading elsewhere.
	char resolved[PATH_MAX];
	if (::realpath(path.c_str(), resolved) == nullptr) {
		if (errno == ENOENT)
			return Error{fmt::format("target '{}' does not exist (raw mode writes to an existing "
				"block device or image file and never creates one)", path), Errc::not_found};
		return os_error("cannot resolve target", path, errno);
	}

	// Opening some devices does things (a tape rewinds): refuse what cannot
	// be a target before opening it. The descriptor is checked again below.
	struct stat before{};
	if (::stat(resolved, &before) == 0 && !S_ISDIR(before.st_mode) && !S_ISBLK(before.st_mode)
		&& !S_ISREG(before.st_mode))
		return not_a_target(path);

	bool const writable = access == Access::read_write;
	// O_NONBLOCK: a FIFO named as a target must not hang the open; it is
	// refused below. On a block device O_EXCL fails with EBUSY while the
	// device is mounted or opened exclusively elsewhere: writing under a
	// mounted filesystem would corrupt it (for a regular file the kernel
	// ignores O_EXCL without O_CREAT).
	int const flags = O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (writable ? O_RDWR | O_EXCL : O_RDONLY);
	int const fd = open_without_links(resolved, flags);
	if (fd < 0) {
		int const err = errno;
		if (err == EBUSY)
			return Error{fmt::format("target '{}' is busy: it is mounted or in use by another "
				"program; unmount it first", path), Errc::failed_precondition};
		if (err == EISDIR) return is_a_directory(path);
		if (err == ELOOP || err == EXDEV)
			return Error{fmt::format("target '{}' changed while it was opened (a link appeared in its path)",
				path), Errc::failed_precondition};
		return os_error("cannot open target", path, err);
	}

	std::shared_ptr<Target> target(new Target());
	target->m_fd = fd;  // owned from here on, closed by ~Target
	target->m_path = path;
	target->m_writable = writable;

	// Describe what was opened, not what the path named a moment ago.
	struct stat st{};
	if (::fstat(fd, &st) != 0) return os_error("cannot stat target", path, errno);
	if (S_ISDIR(st.st_mode)) return is_a_directory(path);
	bool const block_device = S_ISBLK(st.st_mode);
	if (!block_device && !S_ISREG(st.st_mode)) return not_a_target(path);
	if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
		return os_error("cannot set up target", path, errno);
	auto real = real_path_of(fd);
	if (!real) return real.error_value();
	target->m_real_path = std::move(real.value());
	target->m_block_device = block_device;
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
