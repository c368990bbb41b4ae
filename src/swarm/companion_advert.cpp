#include "swarm/companion_advert.hpp"

namespace ezio::swarm {

void add_companion_advert(lt::entry& handshake, lt::sha1_hash const& companion)
{
	handshake[companion_advert_name] = companion.to_string();
}

std::optional<lt::sha1_hash> read_companion_advert(lt::bdecode_node const& handshake)
{
	if (handshake.type() != lt::bdecode_node::dict_t) return std::nullopt;
	lt::bdecode_node const advert = handshake.dict_find_string(companion_advert_name);
	if (!advert || advert.string_length() != int(lt::sha1_hash::size())) return std::nullopt;
	return lt::sha1_hash(advert.string_ptr());
}

}  // namespace ezio::swarm
