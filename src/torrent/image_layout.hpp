// Which parts of an image or device hold data: the extents a torrent of it
// covers when it is not made from partclone's list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "torrent/partclone_info.hpp"

namespace ezio::torrent {

// The size of a block device or regular file.
Expected<std::int64_t> image_size(std::string const& path);

// The allocated ranges of a sparse image file (SEEK_DATA / SEEK_HOLE), in
// order. Holes read as zeros and need not travel. Fails for block devices
// and filesystems that cannot tell.
Expected<std::vector<Extent>> data_extents(std::string const& path);

// The used blocks of the filesystem on `path`, as partclone lists them
// (`partclone.<fs> -c -t`), with their 16 MiB piece hashes. `fs_type` is
// blkid's name for it (ext4, ntfs, vfat, xfs, btrfs, ...); empty means ask
// blkid.
Expected<PartcloneInfo> filesystem_extents(std::string const& path, std::string fs_type);

}  // namespace ezio::torrent
