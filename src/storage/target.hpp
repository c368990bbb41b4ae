// The device or image file a torrent is written to (or seeded from).
//
// Opening a target checks what a user can get wrong: the path must exist and
// be a block device or a regular file (raw mode never creates files), and a
// block device opened for writing must not be mounted or held by anybody
// else (O_EXCL). The file descriptor stays open for the target's lifetime
// and is shared by all I/O threads (pread/pwrite need no lock).
//
// Thread-safety: immutable after open(); safe to share.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/expected.hpp"

namespace ezio::storage {

// Identifies the underlying device or file, whatever path names it, so two
// torrents can be kept from writing to the same place.
struct TargetIdentity {
	dev_t device = 0;   // st_rdev for block devices, st_dev for files
	ino_t inode = 0;    // 0 for block devices
	bool operator==(TargetIdentity const&) const = default;
};

class Target {
public:
	enum class Access { read_only, read_write };

	// Opens `path`: its symlinks resolved once, then opened without
	// following any link (a link swapped in meanwhile fails the open), and
	// checked on the descriptor. Fails with a message a user can act on.
	static Expected<std::shared_ptr<Target>> open(std::string const& path, Access access);

	~Target();
	Target(Target const&) = delete;
	Target& operator=(Target const&) = delete;

	int fd() const { return m_fd; }
	std::string const& path() const { return m_path; }
	// Where the opened descriptor is, as the kernel names it in this
	// daemon's mount namespace: what an allow-list is checked against.
	std::string const& real_path() const { return m_real_path; }
	std::int64_t size() const { return m_size; }
	bool is_block_device() const { return m_block_device; }
	bool writable() const { return m_writable; }
	TargetIdentity identity() const { return m_identity; }

	// Drops the target's clean pages from the page cache (dirty ones are
	// written out first), so what is read next comes from the disk. Before
	// hashing what a target holds: after a failed writeback the cache may
	// hold data the disk never got.
	void drop_page_cache() const;

private:
	Target() = default;

	int m_fd = -1;
	std::string m_path;
	std::string m_real_path;
	std::int64_t m_size = 0;
	bool m_block_device = false;
	bool m_writable = false;
	TargetIdentity m_identity;
};

}  // namespace ezio::storage
