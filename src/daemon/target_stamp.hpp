// A target's write stamp: a short text that changes whenever anybody writes
// the target, so a resume record can tell whether the data it describes may
// have changed since it was written (docs/resume.md).
//
// - Every stamp names the boot: after a reboot nothing that was in the page
//   cache is known to have reached the disk, and anything may have written
//   the disk meanwhile.
// - A block device: the kernel's I/O counters of the device and, for a
//   partition, of its whole disk (sectors written and discarded, counted
//   since boot), the disk's sequence number (/sys/block/*/diskseq, new for
//   each medium: a loop device re-attached, a disk swapped) and, for a loop
//   device, the identity and times of its backing file (which can be
//   written without the loop device). The counters move at writeback, so
//   with `flush` the device is fdatasync'ed first: data a program wrote a
//   moment ago then shows.
// - An image file: its inode, size, and modification and change times
//   (written by every write(); the change time cannot be set back).
// - A directory of extent files (-F): the size and times of every file.
//
// A stamp that cannot be read is empty, and an empty stamp matches nothing:
// unsure means verify.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <memory>
#include <string>

#include <libtorrent/file_storage.hpp>
#include <libtorrent/torrent_info.hpp>

#include "storage/target.hpp"

namespace ezio::daemon {

std::string raw_target_stamp(storage::Target const& target, bool flush);

std::string file_target_stamp(lt::file_storage const& files, std::string const& save_path);

// This boot's identity (/proc/sys/kernel/random/boot_id), empty if unknown.
std::string boot_id();

// The stamp of a torrent's target: of the opened raw target, or (-F, no
// target opened) of the torrent's files under `save_path`.
std::string write_stamp(std::shared_ptr<storage::Target> const& opened, lt::torrent_info const& ti,
	std::string const& save_path, bool flush);

}  // namespace ezio::daemon
