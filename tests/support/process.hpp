// Child processes for integration tests: real daemons, real tools.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/subprocess.hpp"

namespace ezio::test {

class Process {
public:
	// Starts `argv` with stdout and stderr appended to `log_path`.
	// Throws std::runtime_error if it cannot start.
	static std::unique_ptr<Process> spawn(std::vector<std::string> const& argv, std::string const& log_path);

	~Process();  // SIGKILLs the process if it still runs
	Process(Process const&) = delete;
	Process& operator=(Process const&) = delete;

	pid_t pid() const { return m_pid; }
	void signal(int sig) const;

	// Waits for the exit. Returns the exit status (128 + signal if killed),
	// or nullopt if it still runs after `timeout`.
	std::optional<int> wait_for(std::chrono::milliseconds timeout);
	bool running();

	// Waits until `log_path` (its log) holds `marker`; returns the rest of
	// that line. Nullopt if the process exits first or `timeout` passes.
	std::optional<std::string> wait_for_line(std::string const& log_path, std::string const& marker,
		std::chrono::seconds timeout = std::chrono::seconds(15));

private:
	explicit Process(pid_t pid) : m_pid(pid) {}
	pid_t m_pid;
	std::optional<int> m_status;
};

using ezio::CommandResult;

// Runs a command to completion (no shell).
inline CommandResult run(std::vector<std::string> const& argv)
{
	return run_command(argv);
}

// Like run(), but throws std::runtime_error with the output if it fails.
std::string run_or_throw(std::vector<std::string> const& argv);

}  // namespace ezio::test
