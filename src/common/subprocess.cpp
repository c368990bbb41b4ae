#include "common/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace ezio {

namespace {

// PATH with the system directories appended: a root shell's PATH has them,
// a user's may not.
std::string search_path()
{
	char const* path = std::getenv("PATH");
	std::string result = path != nullptr ? path : "/usr/bin:/bin";
	for (char const* dir : {"/usr/sbin", "/sbin"}) result += std::string(":") + dir;
	return result;
}

std::string find_program(std::string const& name)
{
	if (name.find('/') != std::string::npos) return name;
	std::string const path = search_path();
	std::size_t start = 0;
	while (start <= path.size()) {
		std::size_t const end = path.find(':', start);
		std::string const dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
		std::string const candidate = (dir.empty() ? "." : dir) + "/" + name;
		if (::access(candidate.c_str(), X_OK) == 0) return candidate;
		if (end == std::string::npos) break;
		start = end + 1;
	}
	return name;
}

}  // namespace

CommandResult run_command(std::vector<std::string> const& argv)
{
	CommandResult result;
	if (argv.empty()) return result;

	int pipe_fds[2];
	if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
		result.output = std::strerror(errno);
		return result;
	}
	std::vector<char*> args;
	for (auto const& a : argv) args.push_back(const_cast<char*>(a.c_str()));
	args.push_back(nullptr);

	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

	std::string const program = find_program(argv[0]);
	pid_t pid = 0;
	int const rc = ::posix_spawn(&pid, program.c_str(), &actions, &attr, args.data(), environ);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	::close(pipe_fds[1]);
	if (rc != 0) {
		::close(pipe_fds[0]);
		result.output = argv[0] + ": " + std::strerror(rc);
		return result;
	}

	char buffer[4096];
	for (;;) {
		ssize_t const n = ::read(pipe_fds[0], buffer, sizeof(buffer));
		if (n > 0) result.output.append(buffer, std::size_t(n));
		else if (n == 0 || errno != EINTR) break;
	}
	::close(pipe_fds[0]);

	int status = 0;
	while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
	if (WIFEXITED(status)) result.status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status)) result.status = 128 + WTERMSIG(status);
	return result;
}

}  // namespace ezio
