#include "support/scratch_dir.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace ezio::test {

namespace fs = std::filesystem;

ScratchDir::ScratchDir()
{
	static std::atomic<int> counter{0};
	m_path = fmt::format("/dev/shm/ezio-test-{}-{}", ::getpid(), counter++);
	fs::remove_all(m_path);
	fs::create_directories(m_path);
}

ScratchDir::~ScratchDir()
{
	std::error_code ec;
	fs::remove_all(m_path, ec);
}

std::string ScratchDir::empty_file(std::string const& name) const
{
	std::string const path = file(name);
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	if (!out) throw std::runtime_error(fmt::format("cannot create {}", path));
	return path;
}

}  // namespace ezio::test
