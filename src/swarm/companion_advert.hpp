// The companion advert (docs/format.md, "The companion transfer"): in the
// extension handshake (BEP 10) of a Clonezilla-layout torrent T, an EZIO
// seeder that seeds T's companion C(T) names C's info-hash under
// "ezio_companion". C is served on the same listening port as T. Stock
// clients ignore the key. A source of T (a seeder) that will offer no
// companion (raw mode, --no-companion, or its making failed) says so with
// the integer 0 under the same key, so clients need not wait for one.
//
// What is read comes from a peer: anything but a 20-byte string is
// ignored. A named companion is only a hint; the client checks C's
// metadata against T before C may write anything.
#pragma once

#include <optional>

#include <libtorrent/bdecode.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/sha1_hash.hpp>

namespace ezio::swarm {

inline constexpr char const* companion_advert_name = "ezio_companion";

void add_companion_advert(lt::entry& handshake, lt::sha1_hash const& companion);
void add_no_companion(lt::entry& handshake);

// What a peer's handshake says of a companion.
struct CompanionAdvert {
	enum class Kind { silent, offers, declines };
	Kind kind = Kind::silent;
	lt::sha1_hash companion;  // when it offers one
};
CompanionAdvert read_companion_advert(lt::bdecode_node const& handshake);

}  // namespace ezio::swarm
