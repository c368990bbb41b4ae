// Per-test working space on tmpfs: what every test that touches files uses
// (unit and integration tests alike), instead of its own mkstemp.
#pragma once

#include <string>

namespace ezio::test {

// A fresh, empty directory under /dev/shm (tmpfs: fast, and sparse files
// are free), removed with everything in it when the test ends, also when
// an assertion fails.
class ScratchDir {
public:
	ScratchDir();
	~ScratchDir();
	ScratchDir(ScratchDir const&) = delete;
	ScratchDir& operator=(ScratchDir const&) = delete;

	std::string const& path() const { return m_path; }
	std::string file(std::string const& name) const { return m_path + "/" + name; }
	// Creates an empty file `name` in the directory and returns its path.
	std::string empty_file(std::string const& name) const;

private:
	std::string m_path;
};

}  // namespace ezio::test
