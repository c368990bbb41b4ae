#pragma once

namespace ezio {

// The release version, from CMake's project(VERSION).
char const* version();

}  // namespace ezio
