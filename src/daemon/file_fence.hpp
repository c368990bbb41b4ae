// -F mode's fence: no byte is read or written outside the directory that
// AddTorrent named and --allow-target admitted, whatever links a local user
// makes below it, before or during the transfer.
//
// libtorrent's own storage (what -F mode uses) opens a torrent's files by
// path and follows every symbolic link on the way: a link `evil -> /etc/x`
// made inside an allowed directory once let a torrent named `evil` write
// into /etc/x as root. So in -F mode the daemon runs in a mount namespace
// of its own, and libtorrent reaches each target directory only through a
// bind mount of the directory that was opened and judged, mounted with
// `nosymfollow`: the kernel refuses to follow any link on it (ELOOP) at
// every open, create, mkdir and stat, and a link swapped in later is
// refused as well as one made before. The bind is not recursive and
// receives no mount events, so no mount a user makes inside the directory
// shows through it; renaming the directory away does not move the bind.
// The mounts live on a small tmpfs of the namespace, over the state
// directory's `fence` folder, so nothing is left on the host if the daemon
// dies. docs/security.md, "-F mode".
//
// Thread-safety: FileFence::enter() before any other thread of the process
// starts (a mount namespace is per thread until then); pin() from any
// thread; a FencedDir may be released on any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <libtorrent/file_storage.hpp>

#include "common/expected.hpp"

namespace ezio::daemon {

// One target directory as libtorrent sees it: a nosymfollow bind mount of
// it. Unmounted (lazily: files still open stay usable) when released. It
// keeps the directory open, so the mount it lies on stays busy: the host
// cannot unmount an image repository while a torrent uses it.
class FencedDir {
public:
	// Takes `fd` (the directory, opened O_PATH).
	FencedDir(int fd, std::string mount_path, std::string real_path, dev_t device, ino_t inode);
	~FencedDir();
	FencedDir(FencedDir const&) = delete;
	FencedDir& operator=(FencedDir const&) = delete;

	// Where libtorrent reaches the directory (the bind mount).
	std::string const& path() const { return m_path; }
	// Where the opened directory is, as the kernel names it: what
	// --allow-target is judged on.
	std::string const& real_path() const { return m_real_path; }
	dev_t device() const { return m_device; }
	ino_t inode() const { return m_inode; }

private:
	int const m_fd;
	std::string const m_path;
	std::string const m_real_path;
	dev_t const m_device;
	ino_t const m_inode;
};

class FileFence {
public:
	// Enters a mount namespace of the daemon's own (it still sees the
	// host's mounts as they come and go) and mounts the tmpfs the fences
	// live on at `base` (created if missing; /run/ezio-fence if it cannot
	// be). Fails without CAP_SYS_ADMIN, or on a kernel without nosymfollow
	// (before Linux 5.10). REQUIRES: no other thread in the process yet.
	static Expected<std::unique_ptr<FileFence>> enter(std::string const& base);

	// Opens `directory` (the links in the path the caller gave are
	// followed once, here) and bind-mounts what was opened, nosymfollow.
	Expected<std::shared_ptr<FencedDir const>> pin(std::string const& directory);

private:
	explicit FileFence(std::string base) : m_base(std::move(base)) {}

	std::string const m_base;
	std::atomic<std::uint64_t> m_next{0};
};

// The first symbolic link on the way from `directory` to `relative` (a path
// below it), each component checked without following it; nullopt if
// there is none or a component does not exist.
std::optional<std::string> first_link_on_path(std::string const& directory, std::string const& relative);

// The first symbolic link on the way from `directory` to any file of
// `files`, checked component by component without following one, as a path
// relative to `directory`; nullopt if there is none. A component that does
// not exist ends that file's walk (a download creates it).
std::optional<std::string> first_link_below(std::string const& directory, lt::file_storage const& files);

}  // namespace ezio::daemon
