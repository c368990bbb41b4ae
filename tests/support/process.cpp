#include "support/process.hpp"

#include "support/scratch.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ezio::test {

namespace {

int decode(int status)
{
	if (WIFEXITED(status)) return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
	return -1;
}

pid_t spawn_with_output(std::vector<std::string> const& argv, std::string const& log_path)
{
	std::vector<char*> args;
	for (auto const& a : argv) args.push_back(const_cast<char*>(a.c_str()));
	args.push_back(nullptr);

	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	int const flags = O_WRONLY | O_CREAT | O_APPEND;
	posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), flags, 0644);
	posix_spawn_file_actions_adddup2(&actions, 1, 2);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);

	// Children must not inherit the test's blocked signals.
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

	pid_t pid = 0;
	int const rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
	return pid;
}

}  // namespace

std::unique_ptr<Process> Process::spawn(std::vector<std::string> const& argv, std::string const& log_path)
{
	return std::unique_ptr<Process>(new Process(spawn_with_output(argv, log_path)));
}

Process::~Process()
{
	if (running()) {
		::kill(m_pid, SIGKILL);
		wait_for(std::chrono::seconds(10));
	}
}

void Process::signal(int sig) const
{
	::kill(m_pid, sig);
}

std::optional<int> Process::wait_for(std::chrono::milliseconds timeout)
{
	if (m_status) return m_status;
	auto const deadline = std::chrono::steady_clock::now() + timeout;
	for (;;) {
		int status = 0;
		pid_t const r = ::waitpid(m_pid, &status, WNOHANG);
		if (r == m_pid) {
			m_status = decode(status);
			return m_status;
		}
		if (r < 0 && errno != EINTR) return std::nullopt;
		if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
}

bool Process::running()
{
	return !wait_for(std::chrono::milliseconds(0)).has_value();
}

std::optional<std::string> Process::wait_for_line(std::string const& log_path, std::string const& marker,
	std::chrono::seconds timeout)
{
	for (auto const deadline = std::chrono::steady_clock::now() + timeout;;) {
		// Read before asking whether it runs: a process that printed the
		// line and exited has still said it.
		std::string const text = read_file(log_path);
		if (auto const at = text.find(marker); at != std::string::npos) {
			auto const from = at + marker.size();
			return text.substr(from, text.find('\n', from) - from);
		}
		if (!running() || std::chrono::steady_clock::now() > deadline) return std::nullopt;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
}

std::string run_or_throw(std::vector<std::string> const& argv)
{
	CommandResult const r = run(argv);
	if (r.status != 0) {
		std::string command;
		for (auto const& a : argv) command += a + " ";
		throw std::runtime_error(command + "failed with status " + std::to_string(r.status) + ":\n" + r.output);
	}
	return r.output;
}

}  // namespace ezio::test
