#include "swarm/companion_advert.hpp"

namespace ezio::swarm {

void add_companion_advert(lt::entry& handshake, lt::sha1_hash const& companion)
{
	handshake[companion_advert_name] = companion.to_string();
}

void add_no_companion(lt::entry& handshake)
{
	handshake[companion_advert_name] = 0;
}

CompanionAdvert read_companion_advert(lt::bdecode_node const& handshake)
{
	if (handshake.type() != lt::bdecode_node::dict_t) return {};
	lt::bdecode_node const advert = handshake.dict_find(companion_advert_name);
	if (advert.type() == lt::bdecode_node::int_t && advert.int_value() == 0)
		return {CompanionAdvert::Kind::declines, {}};
	if (advert.type() != lt::bdecode_node::string_t || advert.string_length() != int(lt::sha1_hash::size()))
		return {};
	return {CompanionAdvert::Kind::offers, lt::sha1_hash(advert.string_ptr())};
}

}  // namespace ezio::swarm
