// An Env over the real file system that records every call and fails the
// ones a test asks it to: the seam the durability rules are tested through,
// without root and without a failing disk.
#pragma once

#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "common/env.hpp"
#include "common/mutex.hpp"

namespace ezio::test {

class FakeEnv final : public Env {
public:
	enum class Op { write, write_synced, rename, sync_directory, remove, sync_file };
	struct Call {
		Op op;
		std::string path;
		bool operator==(Call const&) const = default;
	};

	// Every call of `op` from now on fails with EIO, and does nothing.
	void fail(Op op)
	{
		MutexLock lock(m_mutex);
		m_failing.insert(op);
	}
	void heal()
	{
		MutexLock lock(m_mutex);
		m_failing.clear();
	}
	std::vector<Call> calls() const
	{
		MutexLock lock(m_mutex);
		return m_calls;
	}

	Status write_file(std::string const& path, std::string_view data, bool sync) override
	{
		if (auto const failed = called(sync ? Op::write_synced : Op::write, path)) return *failed;
		return system().write_file(path, data, sync);
	}
	Status rename_file(std::string const& from, std::string const& to) override
	{
		if (auto const failed = called(Op::rename, from)) return *failed;
		return system().rename_file(from, to);
	}
	Status sync_directory(std::string const& path) override
	{
		if (auto const failed = called(Op::sync_directory, path)) return *failed;
		return system().sync_directory(path);
	}
	Status remove_file(std::string const& path) override
	{
		if (auto const failed = called(Op::remove, path)) return *failed;
		return system().remove_file(path);
	}
	Status sync_file(std::string const& path) override
	{
		if (auto const failed = called(Op::sync_file, path)) return *failed;
		return system().sync_file(path);
	}

private:
	// Records the call; the error to return if `op` is to fail.
	std::optional<Status> called(Op op, std::string const& path)
	{
		MutexLock lock(m_mutex);
		m_calls.push_back({op, path});
		if (m_failing.count(op) == 0) return std::nullopt;
		return Status(Error{"injected: " + std::string(std::strerror(EIO)) + " on '" + path + "'", Errc::io});
	}

	mutable Mutex m_mutex;
	std::set<Op> m_failing EZIO_GUARDED_BY(m_mutex);
	std::vector<Call> m_calls EZIO_GUARDED_BY(m_mutex);
};

}  // namespace ezio::test
