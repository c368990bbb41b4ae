#include "storage/target_registry.hpp"

namespace ezio::storage {

void TargetRegistry::put(lt::sha1_hash const& info_hash, std::shared_ptr<Target> target)
{
	std::lock_guard<std::mutex> lock(m_mutex);
	m_targets[info_hash] = std::move(target);
}

std::shared_ptr<Target> TargetRegistry::take(lt::sha1_hash const& info_hash)
{
	std::lock_guard<std::mutex> lock(m_mutex);
	auto const it = m_targets.find(info_hash);
	if (it == m_targets.end()) return nullptr;
	auto target = std::move(it->second);
	m_targets.erase(it);
	return target;
}

}  // namespace ezio::storage
