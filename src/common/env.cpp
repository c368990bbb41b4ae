#include "common/env.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ezio {
namespace {

Error os_error(std::string_view what, std::string const& path, int err)
{
	return Error{fmt::format("cannot {} '{}': {}", what, path, std::strerror(err)), Errc::io};
}

class SystemEnv final : public Env {
public:
	Status write_file(std::string const& path, std::string_view data, bool sync) override
	{
		int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) return os_error("write", path, errno);
		std::size_t done = 0;
		while (done < data.size()) {
			ssize_t const n = ::write(fd, data.data() + done, data.size() - done);
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0) {
				int const err = n < 0 ? errno : EIO;
				::close(fd);
				return os_error("write", path, err);
			}
			done += std::size_t(n);
		}
		if (sync && ::fdatasync(fd) != 0) {
			int const err = errno;
			::close(fd);
			return os_error("sync", path, err);
		}
		if (::close(fd) != 0) return os_error("write", path, errno);
		return Ok{};
	}

	Status rename_file(std::string const& from, std::string const& to) override
	{
		if (::rename(from.c_str(), to.c_str()) != 0) return os_error("rename", from, errno);
		return Ok{};
	}

	Status sync_directory(std::string const& path) override
	{
		return open_and_sync(path, O_DIRECTORY, ::fsync);
	}

	Status remove_file(std::string const& path) override
	{
		if (::unlink(path.c_str()) != 0 && errno != ENOENT) return os_error("delete", path, errno);
		return Ok{};
	}

	Status sync_file(std::string const& path) override
	{
		return open_and_sync(path, 0, ::fdatasync);
	}

private:
	// Opens `path` read-only (with `flags` more) and syncs it with `sync`.
	static Status open_and_sync(std::string const& path, int flags, int (*sync)(int))
	{
		int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
		if (fd < 0) return os_error("open", path, errno);
		int const rc = sync(fd);
		int const err = errno;
		::close(fd);
		if (rc != 0) return os_error("sync", path, err);
		return Ok{};
	}
};

}  // namespace

Env& Env::system()
{
	static SystemEnv env;
	return env;
}

}  // namespace ezio
