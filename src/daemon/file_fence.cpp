#include "daemon/file_fence.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace ezio::daemon {

namespace {

Error os_error(std::string const& what, int err)
{
	return Error{fmt::format("{}: {}", what, std::strerror(err)), Errc::io};
}

// The per-mount flags of what `fd` lies on, as mount(2) flags: a bind
// remount must keep them (a read-only image repository stays read-only).
unsigned long kept_mount_flags(int fd)
{
	struct statvfs vfs{};
	if (::fstatvfs(fd, &vfs) != 0) return 0;
	unsigned long flags = 0;
	if (vfs.f_flag & ST_RDONLY) flags |= MS_RDONLY;
	if (vfs.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
	if (vfs.f_flag & ST_NOATIME) flags |= MS_NOATIME;
	if (vfs.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
	if (vfs.f_flag & ST_RELATIME) flags |= MS_RELATIME;
	return flags;
}

std::string path_of_fd(int fd)
{
	char buffer[4096];
	ssize_t const n = ::readlink(fmt::format("/proc/self/fd/{}", fd).c_str(), buffer, sizeof buffer);
	return n > 0 ? std::string(buffer, std::size_t(n)) : std::string();
}

}  // namespace

FencedDir::FencedDir(int fd, std::string mount_path, std::string real_path, dev_t device, ino_t inode)
	: m_fd(fd), m_path(std::move(mount_path)), m_real_path(std::move(real_path)), m_device(device), m_inode(inode)
{}

FencedDir::~FencedDir()
{
	// Lazily: libtorrent may still hold files open; new opens by path fail.
	if (::umount2(m_path.c_str(), MNT_DETACH) != 0)
		spdlog::warn("cannot unmount the fence of '{}' at {}: {}", m_real_path, m_path, std::strerror(errno));
	else if (::rmdir(m_path.c_str()) != 0)
		spdlog::debug("cannot remove {}: {}", m_path, std::strerror(errno));
	::close(m_fd);
}

namespace {

// The fences' tmpfs on `base`, itself nosymfollow: the check that the
// kernel has the flag before any torrent needs it.
Status mount_base(std::string const& base)
{
	std::error_code ec;
	std::filesystem::create_directories(base, ec);
	if (ec) return Error{fmt::format("cannot create {}: {}", base, ec.message()), Errc::io};
	if (::mount("ezio-fence", base.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=1m") != 0)
		return os_error(fmt::format("cannot mount the fences' tmpfs on {}", base), errno);
	if (::mount(nullptr, base.c_str(), nullptr, MS_PRIVATE, nullptr) != 0)
		return os_error(fmt::format("cannot make {} private", base), errno);
	unsigned long const flags = MS_REMOUNT | MS_BIND | MS_NOSYMFOLLOW | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (::mount(nullptr, base.c_str(), nullptr, flags, nullptr) != 0)
		return os_error("this kernel cannot mount with nosymfollow (Linux 5.10 or later can)", errno);
	return Ok{};
}

}  // namespace

Expected<std::unique_ptr<FileFence>> FileFence::enter(std::string const& base)
{
	if (::unshare(CLONE_NEWNS) != 0)
		return os_error("cannot make the mount namespace that fences -F targets (run as root, with CAP_SYS_ADMIN)",
			errno);
	// Slave: the host's mounts still reach this namespace (an image
	// repository mounted later), none of ours reaches the host.
	if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
		return os_error("cannot make this daemon's mounts its own", errno);
	std::string const fallback = "/run/ezio-fence";
	auto mounted = mount_base(base);
	if (!mounted && base != fallback && mount_base(fallback)) {
		spdlog::warn("{}; the fences live on {} instead", mounted.error(), fallback);
		return std::unique_ptr<FileFence>(new FileFence(fallback));
	}
	if (!mounted) return mounted.error_value();
	return std::unique_ptr<FileFence>(new FileFence(base));
}

Expected<std::shared_ptr<FencedDir const>> FileFence::pin(std::string const& directory)
{
	int const fd = ::open(directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int const err = errno;
		if (err == ENOENT) return Error{fmt::format("target '{}' does not exist", directory), Errc::failed_precondition};
		if (err == ENOTDIR)
			return Error{fmt::format("'{}' is not a directory; in -F mode the target is a directory "
				"that the extents are written into as files", directory), Errc::failed_precondition};
		return os_error(fmt::format("cannot open target '{}'", directory), err);
	}
	// Closed here on failure; kept by the FencedDir on success.
	struct Closer {
		int fd;
		~Closer()
		{
			if (fd >= 0) ::close(fd);
		}
	} closer{fd};

	struct stat st{};
	if (::fstat(fd, &st) != 0) return os_error(fmt::format("cannot stat target '{}'", directory), errno);
	std::string const real_path = path_of_fd(fd);
	if (real_path.empty()) return os_error(fmt::format("cannot tell where target '{}' is", directory), errno);

	std::string const mount_path = fmt::format("{}/{}", m_base, m_next.fetch_add(1));
	if (::mkdir(mount_path.c_str(), 0700) != 0) return os_error(fmt::format("cannot create {}", mount_path), errno);
	auto undo = [&](std::string const& what) {
		int const err = errno;
		::umount2(mount_path.c_str(), MNT_DETACH);
		::rmdir(mount_path.c_str());
		return os_error(fmt::format("cannot fence target '{}': {}", directory, what), err);
	};
	// What was opened, not what the path names now: no rename or link
	// between the open and the mount changes which directory is fenced.
	if (::mount(fmt::format("/proc/self/fd/{}", fd).c_str(), mount_path.c_str(), nullptr, MS_BIND, nullptr) != 0)
		return undo("bind mount");
	if (::mount(nullptr, mount_path.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) return undo("make it private");
	unsigned long const flags = MS_REMOUNT | MS_BIND | MS_NOSYMFOLLOW | MS_NOSUID | MS_NODEV | kept_mount_flags(fd);
	if (::mount(nullptr, mount_path.c_str(), nullptr, flags, nullptr) != 0) return undo("remount nosymfollow");
	closer.fd = -1;
	return std::make_shared<FencedDir const>(fd, mount_path, real_path, st.st_dev, st.st_ino);
}

namespace {

// The walk of first_link_on_path, skipping components in `checked` (and
// adding those it checks), when many paths share their folders.
std::optional<std::string> first_link(std::string const& directory, std::string const& relative,
	std::set<std::string>& checked)
{
	std::filesystem::path walked;
	for (auto const& part : std::filesystem::path(relative)) {
		walked /= part;
		if (!checked.insert(walked.string()).second) continue;
		struct stat st{};
		if (::lstat((std::filesystem::path(directory) / walked).c_str(), &st) != 0) break;
		if (S_ISLNK(st.st_mode)) return walked.string();
	}
	return std::nullopt;
}

}  // namespace

std::optional<std::string> first_link_on_path(std::string const& directory, std::string const& relative)
{
	std::set<std::string> checked;
	return first_link(directory, relative, checked);
}

std::optional<std::string> first_link_below(std::string const& directory, lt::file_storage const& files)
{
	std::set<std::string> checked;  // relative paths walked already
	for (lt::file_index_t const f : files.file_range()) {
		if (files.pad_file_at(f)) continue;
		if (auto link = first_link(directory, files.file_path(f), checked)) return link;
	}
	return std::nullopt;
}

}  // namespace ezio::daemon
