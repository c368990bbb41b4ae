#include "common/torrent_state.hpp"

namespace ezio {

std::string torrent_state_name(std::int64_t state)
{
	switch (state) {
	case 1: return "checking";
	case 2: return "metadata";
	case 3: return "downloading";
	case 4: return "finished";
	case 5: return "seeding";
	case 7: return "checking-resume";
	default: return "unknown";
	}
}

}  // namespace ezio
