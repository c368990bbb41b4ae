#include "storage/target_registry.hpp"

namespace ezio::storage {

void TargetRegistry::put(lt::sha1_hash const& info_hash, PreparedTarget target)
{
	MutexLock lock(m_mutex);
	m_targets[info_hash] = std::move(target);
}

PreparedTarget TargetRegistry::take(lt::sha1_hash const& info_hash)
{
	MutexLock lock(m_mutex);
	auto const it = m_targets.find(info_hash);
	if (it == m_targets.end()) return {};
	auto target = std::move(it->second);
	m_targets.erase(it);
	return target;
}

}  // namespace ezio::storage
