// Running a helper program (partclone, blkid) to completion.
#pragma once

#include <string>
#include <vector>

namespace ezio {

struct CommandResult {
	int status = -1;      // exit status; 128 + N if killed by signal N; -1 if it could not start
	std::string output;   // stdout and stderr together
};

// Runs `argv` (no shell; argv[0] is looked up in PATH and in /sbin,
// /usr/sbin, where partclone and blkid live) with stdin from /dev/null and
// waits for it. Signals blocked in the caller are unblocked in the child.
CommandResult run_command(std::vector<std::string> const& argv);

}  // namespace ezio
