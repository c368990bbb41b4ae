// The daemon's seam to the file system for the small files it keeps itself
// (the resume records) and for the syncs of -F mode's files: every write,
// fdatasync, rename and removal goes through an Env, so a test can make any one of them fail and check what is
// left behind, without root and without a failing disk. LevelDB's Env is
// the model. Reads and directory listings do not go through it: the rules
// under test are about what is durable, not about what is read.
//
// Thread-safety: Env::system() may be used from any thread; fakes say.
#pragma once

#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace ezio {

class Env {
public:
	virtual ~Env() = default;

	// Creates or truncates `path` (mode 0600, a symlink is not followed) and
	// writes `data` to it; with `sync`, fdatasyncs it before closing. Errors
	// are Errc::io and name the path.
	virtual Status write_file(std::string const& path, std::string_view data, bool sync) = 0;
	// rename(2): atomic within a directory.
	virtual Status rename_file(std::string const& from, std::string const& to) = 0;
	// fsync of a directory, so that renames and removals in it hold across
	// a crash.
	virtual Status sync_directory(std::string const& path) = 0;
	// Removes `path`; one that does not exist is not an error.
	virtual Status remove_file(std::string const& path) = 0;
	// fdatasync of an existing file written by somebody else (-F mode's
	// extent files, written by libtorrent's own storage).
	virtual Status sync_file(std::string const& path) = 0;

	// The real file system.
	static Env& system();
};

}  // namespace ezio
