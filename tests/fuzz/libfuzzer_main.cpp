// libFuzzer entry point (built with clang: cmake -DEZIO_LIBFUZZER=ON, or
// scripts/fuzz). The first byte picks the parser, the rest is its input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/untrusted_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
	if (size == 0) return 0;
	std::string_view const input(reinterpret_cast<char const*>(data) + 1, size - 1);
	auto const broken = data[0] % 6 == 0 ? ezio::fuzz::check_torrent(input)
		: data[0] % 6 == 1                 ? ezio::fuzz::check_partclone_info(input)
		: data[0] % 6 == 2                 ? ezio::fuzz::check_resume_record(input)
		: data[0] % 6 == 3                 ? ezio::fuzz::check_udp_datagram(input)
		: data[0] % 6 == 4                 ? ezio::fuzz::check_peer_count(input)
										   : ezio::fuzz::check_chunk_frame(input);
	if (broken) {
		std::fprintf(stderr, "accepted input breaks an invariant: %s\n", broken->c_str());
		std::abort();
	}
	return 0;
}
