#include "storage/raw_disk_io.hpp"

#include <optional>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/disk_observer.hpp>
#include <libtorrent/operations.hpp>
#include <libtorrent/performance_counters.hpp>
#include <spdlog/spdlog.h>

#include "api/memory_budget.hpp"
#include "storage/chunk_storage.hpp"
#include "storage/extent_storage.hpp"

namespace ezio::storage {

namespace {

lt::storage_error make_error(boost::system::errc::errc_t code, lt::operation_t op)
{
	return lt::storage_error(boost::system::errc::make_error_code(code), op);
}

lt::storage_error aborted_error(lt::operation_t op)
{
	return lt::storage_error(boost::asio::error::operation_aborted, op);
}

}  // namespace

RawDiskIO::RawDiskIO(lt::io_context& ioc, lt::settings_interface const& settings, EngineConfig const& config,
	TargetRegistry& targets, std::shared_ptr<IoBackend> io)
	: m_ioc(ioc)
	, m_settings(settings)
	, m_targets(targets)
	, m_io(make_counting_io(std::move(io), m_stats))
	, m_pool(api::MemoryBudget::from_setting(settings.get_int(lt::settings_pack::cache_size)).bytes(), [this](BlockPool::Observers o) { on_memory_available(std::move(o)); })
	, m_completions(ioc)
	, m_workers(WorkerPool::Config{config.threads, config.flush_after}, m_pool, *this, m_stats, m_completions)
	, m_staged(std::size_t(m_workers.size()))
	, m_write_timer(ioc)
	, m_alive(std::make_shared<RawDiskIO*>(this))
{
	// Reads parked for lack of memory are retried once there is some again.
	m_pool.set_space_callback([this] {
		m_workers.post_all([](PieceCache& cache, Completions& out) { cache.retry_parked(out); });
	});
	settings_updated();
}

RawDiskIO::~RawDiskIO()
{
	abort(true);
	*m_alive = nullptr;
}

lt::storage_holder RawDiskIO::new_torrent(lt::storage_params const& params, std::shared_ptr<void> const&)
{
	lt::storage_index_t index;
	if (m_free_slots.empty()) {
		index = m_slots.end_index();
		m_slots.emplace_back();
	} else {
		index = m_free_slots.back();
		m_free_slots.pop_back();
	}
	Slot& slot = m_slots[index];
	slot = Slot{};

	PreparedTarget prepared = m_targets.take(params.info_hash);
	std::optional<ExtentMap> extents;
	if (!prepared.chunks) {
		auto built = ExtentMap::build(params.files);
		if (!built) {
			spdlog::error("torrent {}: {}", params.path, built.error());
			slot.open_error = make_error(boost::system::errc::invalid_argument, lt::operation_t::file_open);
			return lt::storage_holder(index, *this);
		}
		extents = std::move(built.value());
	}

	slot.check = prepared.check;
	std::shared_ptr<Target> target = std::move(prepared.target);
	if (!target) {
		auto opened = Target::open(params.path, Target::Access::read_write);
		if (!opened) {
			spdlog::error("{}", opened.error());
			slot.open_error = make_error(boost::system::errc::no_such_device, lt::operation_t::file_open);
			return lt::storage_holder(index, *this);
		}
		target = std::move(opened.value());
	}

	if (extents)
		slot.storage = std::make_shared<ExtentStorage>(m_next_storage_id++, params.info_hash, std::move(*extents),
			std::move(target), *m_io);
	else
		slot.storage = std::make_shared<ChunkStorage>(m_next_storage_id++, params.info_hash, std::move(prepared.chunks),
			std::move(target), *m_io);
	{
		MutexLock lock(m_by_hash_mutex);
		m_by_hash[params.info_hash] = slot.storage;
	}
	return lt::storage_holder(index, *this);
}

void RawDiskIO::remove_torrent(lt::storage_index_t index)
{
	Slot& slot = m_slots[index];
	if (slot.storage) {
		{
			MutexLock lock(m_by_hash_mutex);
			auto const it = m_by_hash.find(slot.storage->info_hash());
			if (it != m_by_hash.end() && it->second.lock() == slot.storage) m_by_hash.erase(it);
		}
		// Held blocks (parts of pieces a layout writes only whole) outlive
		// the flushes of a running torrent; they go with the torrent, after
		// the jobs queued before.
		submit_all();
		m_workers.post_all([storage = slot.storage](PieceCache& cache, Completions& out) {
			cache.flush_storage(*storage, out, PieceCache::Held::drop);
		});
	}
	// Jobs still queued hold their own reference; the target closes after them.
	slot = Slot{};
	m_free_slots.push_back(index);
}

void RawDiskIO::async_read(lt::storage_index_t index, lt::peer_request const& r,
	std::function<void(lt::disk_buffer_holder, lt::storage_error const&)> handler, lt::disk_job_flags_t)
{
	auto const& storage = m_slots[index].storage;
	if (m_aborted || !storage) {
		lt::storage_error const error = m_aborted ? aborted_error(lt::operation_t::file_read) : m_slots[index].open_error;
		post_to_network([h = std::move(handler), error] { h(lt::disk_buffer_holder(), error); });
		return;
	}
	post_piece(*storage, r.piece, [storage, r, h = std::move(handler)](PieceCache& cache, Completions& out) mutable {
		cache.read(storage, r, std::move(h), out);
	});
}

bool RawDiskIO::async_write(lt::storage_index_t index, lt::peer_request const& r, char const* buf,
	std::shared_ptr<lt::disk_observer> observer, std::function<void(lt::storage_error const&)> handler,
	lt::disk_job_flags_t)
{
	auto const& storage = m_slots[index].storage;
	char* block = nullptr;
	if (!m_aborted && storage && r.length > 0 && r.length <= BlockPool::block_size) block = m_pool.allocate();
	if (block == nullptr) {
		lt::storage_error const error = m_aborted ? aborted_error(lt::operation_t::file_write)
			: !storage ? m_slots[index].open_error
			: r.length <= 0 || r.length > BlockPool::block_size
				? make_error(boost::system::errc::invalid_argument, lt::operation_t::file_write)
				: make_error(boost::system::errc::not_enough_memory, lt::operation_t::alloc_cache_piece);
		post_to_network([h = std::move(handler), error] { h(error); });
		return false;
	}
	// `buf` is only valid during this call.
	std::memcpy(block, buf, std::size_t(r.length));
	post_piece(*storage, r.piece, [storage, r, block, h = std::move(handler)](PieceCache& cache, Completions& out) mutable {
		cache.write(storage, r, block, std::move(h), out);
	}, r.length);

	if (!m_pool.exceeded(std::move(observer))) return false;
	// Peers stop sending until memory is back under the low watermark. The
	// read cache and blocks of incomplete pieces would otherwise hold that
	// memory until more data arrives, which it no longer does: give them up.
	EngineStats::add(m_stats.backpressure_events, 1);
	if (!m_flush_requested.exchange(true)) {
		submit_all();
		m_workers.post_all([](PieceCache& cache, Completions& out) { cache.relieve_pressure(out); });
	}
	return true;
}

void RawDiskIO::async_hash(lt::storage_index_t index, lt::piece_index_t piece, lt::span<lt::sha256_hash> v2,
	lt::disk_job_flags_t, std::function<void(lt::piece_index_t, lt::sha1_hash const&, lt::storage_error const&)> handler)
{
	Slot& slot = m_slots[index];
	auto const& storage = slot.storage;
	if (!m_aborted && piece >= lt::piece_index_t(0) && piece < slot.unclaimed.end_index() && slot.unclaimed[piece]) {
		slot.unclaimed.clear_bit(piece);
		post_to_network([h = std::move(handler), piece] { h(piece, lt::sha1_hash(), lt::storage_error()); });
		return;
	}
	if (m_aborted || !storage || !v2.empty()) {
		// v2 block hashes are not supported; such torrents are refused when
		// added, so this only answers a caller that bypassed that check.
		lt::storage_error const error = m_aborted ? aborted_error(lt::operation_t::file_read)
			: !storage ? m_slots[index].open_error
			: make_error(boost::system::errc::operation_not_supported, lt::operation_t::file_read);
		post_to_network([h = std::move(handler), piece, error] { h(piece, lt::sha1_hash(), error); });
		return;
	}
	post_piece(*storage, piece, [storage, piece, h = std::move(handler)](PieceCache& cache, Completions& out) mutable {
		cache.hash(storage, piece, std::move(h), out);
	});
}

void RawDiskIO::async_hash2(lt::storage_index_t, lt::piece_index_t piece, int, lt::disk_job_flags_t,
	std::function<void(lt::piece_index_t, lt::sha256_hash const&, lt::storage_error const&)> handler)
{
	post_to_network([h = std::move(handler), piece] {
		h(piece, lt::sha256_hash(), make_error(boost::system::errc::operation_not_supported, lt::operation_t::file_read));
	});
}

void RawDiskIO::async_move_storage(lt::storage_index_t, std::string path, lt::move_flags_t,
	std::function<void(lt::status_t, std::string const&, lt::storage_error const&)> handler)
{
	// A partition cannot move; its torrent stays where it is.
	post_to_network([h = std::move(handler), path = std::move(path)] {
		h(lt::status_t::fatal_disk_error, path,
			make_error(boost::system::errc::operation_not_supported, lt::operation_t::file_rename));
	});
}

void RawDiskIO::async_release_files(lt::storage_index_t index, std::function<void()> handler)
{
	// The target stays open (there is one fd per torrent, not per file);
	// releasing means nothing is left in memory.
	flush_then(index, std::move(handler));
}

void RawDiskIO::async_check_files(lt::storage_index_t index, lt::add_torrent_params const* resume_data,
	lt::aux::vector<std::string, lt::file_index_t>, std::function<void(lt::status_t, lt::storage_error const&)> handler)
{
	// Nothing on a raw target tells which pieces it already holds: they come
	// from a resume record (believed, or verified by hashing the pieces it
	// claims), or, when asked, from hashing every piece; a seed is added with
	// its pieces marked verified. A later recheck (after a failed sync)
	// starts from nothing.
	Slot& slot = m_slots[index];
	lt::storage_error const error = slot.open_error;
	StartCheck check = std::exchange(slot.check, StartCheck::trust_record);
	bool from_page_cache = false;
	if (slot.storage) {
		MutexLock lock(m_by_hash_mutex);
		if (m_verify_next.erase(slot.storage->info_hash()) != 0) {
			check = StartCheck::verify_all;
			from_page_cache = true;
		}
	}
	slot.unclaimed.clear();
	lt::status_t status = lt::status_t::no_error;
	if (!slot.storage) {
		status = lt::status_t::fatal_disk_error;
	} else if (check == StartCheck::verify_all) {
		status = lt::status_t::need_full_check;
	} else if (check == StartCheck::verify_record && resume_data != nullptr && !resume_data->have_pieces.none_set()) {
		status = lt::status_t::need_full_check;
		int const pieces = slot.storage->num_pieces();
		slot.unclaimed.resize(pieces, true);
		for (lt::piece_index_t p{0}; p < slot.unclaimed.end_index() && p < resume_data->have_pieces.end_index(); ++p)
			if (resume_data->have_pieces[p]) slot.unclaimed.clear_bit(p);
	}
	if (status == lt::status_t::need_full_check && !from_page_cache) slot.storage->target().drop_page_cache();
	post_to_network([h = std::move(handler), status, error] { h(status, error); });
}

void RawDiskIO::async_stop_torrent(lt::storage_index_t index, std::function<void()> handler)
{
	flush_then(index, std::move(handler));
}

void RawDiskIO::async_rename_file(lt::storage_index_t, lt::file_index_t file, std::string name,
	std::function<void(std::string const&, lt::file_index_t, lt::storage_error const&)> handler)
{
	// Extent names are disk offsets; renaming one would move data.
	post_to_network([h = std::move(handler), file, name = std::move(name)] {
		h(name, file, make_error(boost::system::errc::operation_not_supported, lt::operation_t::file_rename));
	});
}

void RawDiskIO::async_delete_files(lt::storage_index_t, lt::remove_flags_t,
	std::function<void(lt::storage_error const&)> handler)
{
	// Never: the target is somebody's partition.
	spdlog::warn("refusing to delete the files of a raw-mode torrent: its target is left as it is");
	post_to_network([h = std::move(handler)] {
		h(make_error(boost::system::errc::operation_not_supported, lt::operation_t::file_remove));
	});
}

void RawDiskIO::async_set_file_priority(lt::storage_index_t,
	lt::aux::vector<lt::download_priority_t, lt::file_index_t> prio,
	std::function<void(lt::storage_error const&, lt::aux::vector<lt::download_priority_t, lt::file_index_t>)> handler)
{
	// Priorities decide what libtorrent downloads; on a raw target nothing
	// has to be created or removed for them.
	post_to_network([h = std::move(handler), prio = std::move(prio)]() mutable { h(lt::storage_error(), std::move(prio)); });
}

void RawDiskIO::async_clear_piece(lt::storage_index_t index, lt::piece_index_t piece,
	std::function<void(lt::piece_index_t)> handler)
{
	auto const& storage = m_slots[index].storage;
	if (m_aborted || !storage) {
		post_to_network([h = std::move(handler), piece] { h(piece); });
		return;
	}
	post_piece(*storage, piece, [storage, piece, h = std::move(handler)](PieceCache& cache, Completions& out) {
		cache.clear_piece(*storage, piece, out);
		out.push_back([h, piece] { h(piece); });
	});
}

void RawDiskIO::update_stats_counters(lt::counters& c) const
{
	EngineStatsSnapshot const now = snapshot(m_stats);
	constexpr std::int64_t block = BlockPool::block_size;
	c.inc_stats_counter(lt::counters::num_write_ops, now.write_ops - m_reported.write_ops);
	c.inc_stats_counter(lt::counters::num_blocks_written, now.write_bytes / block - m_reported.write_bytes / block);
	c.inc_stats_counter(lt::counters::num_read_ops, now.read_ops - m_reported.read_ops);
	c.inc_stats_counter(lt::counters::num_blocks_read, now.read_bytes / block - m_reported.read_bytes / block);
	c.inc_stats_counter(lt::counters::num_blocks_hashed, now.blocks_hashed - m_reported.blocks_hashed);
	c.inc_stats_counter(lt::counters::disk_write_time, now.write_micros - m_reported.write_micros);
	c.inc_stats_counter(lt::counters::disk_read_time, now.read_micros - m_reported.read_micros);
	c.inc_stats_counter(lt::counters::disk_hash_time, now.hash_micros - m_reported.hash_micros);
	c.set_value(lt::counters::disk_blocks_in_use, m_pool.bytes_in_use() / block);
	m_reported = now;
}

std::vector<lt::open_file_state> RawDiskIO::get_status(lt::storage_index_t) const
{
	return {};
}

void RawDiskIO::abort(bool)
{
	{
		MutexLock lock(m_by_hash_mutex);
		if (m_aborted.exchange(true)) return;
	}
	submit_all();
	m_write_timer.cancel();
	// Runs every queued job and writes out every block still in memory.
	m_workers.stop();
	spdlog::info("engine stats: budget_mib={} peak_mib={} backpressure_events={} cache_hits={} cache_misses={} "
		"read_mib={} write_mib={} io_errors={} chunks_decoded={} chunks_remade={} chunk_ms={}",
		m_pool.budget() >> 20, m_pool.peak_bytes_in_use() >> 20, m_stats.backpressure_events.load(),
		m_stats.cache_hits.load(), m_stats.cache_misses.load(), m_stats.read_bytes.load() >> 20,
		m_stats.write_bytes.load() >> 20, m_stats.io_errors.load(), m_stats.chunks_decoded.load(),
		m_stats.chunks_remade.load(), m_stats.chunk_micros.load() / 1000);
	// A clean shutdown leaves every target durable.
	for (Slot const& slot : m_slots) {
		if (!slot.storage || !slot.storage->target().writable()) continue;
		if (auto const error = slot.storage->sync())
			spdlog::error("fdatasync {} failed at shutdown: {}", slot.storage->target().path(), error.ec.message());
	}
}

void RawDiskIO::submit_jobs()
{
	constexpr std::int64_t write_batch = 1 << 20;
	for (std::size_t w = 0; w < m_staged.size(); ++w) {
		Staged& s = m_staged[w];
		if (!s.ready && s.write_bytes < write_batch) continue;
		m_workers.post(int(w), s.jobs);
		s = Staged{};
	}
}

void RawDiskIO::submit_all()
{
	for (std::size_t w = 0; w < m_staged.size(); ++w) {
		m_workers.post(int(w), m_staged[w].jobs);
		m_staged[w] = Staged{};
	}
}

void RawDiskIO::settings_updated()
{
	int const blocks = m_settings.get_int(lt::settings_pack::cache_size);
	if (blocks <= 0) return;
	std::int64_t const bytes = api::MemoryBudget::from_setting(blocks).bytes();
	if (bytes == m_pool.budget()) return;
	spdlog::info("engine memory budget: {} MiB (was {} MiB)", bytes >> 20, m_pool.budget() >> 20);
	m_pool.set_budget(bytes);
	// A smaller budget leaves the caches above their limit: trim them.
	if (m_pool.above_high_watermark() || m_workers.clean_bytes() > m_pool.cache_limit()) {
		submit_all();
		m_workers.post_all([](PieceCache& cache, Completions& out) { cache.relieve_pressure(out); });
	}
}

void RawDiskIO::free_disk_buffer(char* buffer)
{
	m_pool.release(buffer);
}

void RawDiskIO::verify_at_next_check(lt::sha1_hash const& info_hash)
{
	MutexLock lock(m_by_hash_mutex);
	m_verify_next.insert(info_hash);
}

Status RawDiskIO::sync(lt::sha1_hash const& info_hash, std::function<void(lt::storage_error const&)> done)
{
	std::shared_ptr<RawStorage> storage;
	{
		MutexLock lock(m_by_hash_mutex);
		if (m_aborted) return Error{"the engine has stopped", Errc::failed_precondition};
		auto const it = m_by_hash.find(info_hash);
		if (it != m_by_hash.end()) storage = it->second.lock();
		if (!storage) return Error{"the torrent's storage is not open", Errc::failed_precondition};
	}
	// Jobs are queued on the network thread only; the barrier goes there too,
	// behind everything queued before.
	post_to_network([this, storage, done = std::move(done)] {
		if (m_aborted) {
			done(lt::storage_error(boost::asio::error::operation_aborted, lt::operation_t::file));
			return;
		}
		flush_everywhere(storage, true, [storage, done](Completions&) { done(storage->sync()); });
	});
	return Ok{};
}

void RawDiskIO::post_piece(RawStorage const& storage, lt::piece_index_t piece, Job job, int write_bytes)
{
	Staged& staged = m_staged[std::size_t(m_workers.worker_for(storage.id(), static_cast<int>(piece)))];
	staged.jobs.push_back(std::move(job));
	staged.write_bytes += write_bytes;
	if (write_bytes == 0) staged.ready = true;

	if (staged.ready) {
		// libtorrent calls submit_jobs() after a burst of calls; this makes
		// sure nothing waits if it ever does not.
		if (m_submit_posted) return;
		m_submit_posted = true;
		boost::asio::post(m_ioc, [alive = m_alive] {
			if (RawDiskIO* self = *alive) {
				self->m_submit_posted = false;
				self->submit_jobs();
			}
		});
		return;
	}
	if (m_write_timer_armed) return;
	m_write_timer_armed = true;
	m_write_timer.expires_after(std::chrono::milliseconds(20));
	m_write_timer.async_wait([alive = m_alive](boost::system::error_code const& ec) {
		RawDiskIO* self = *alive;
		if (ec || self == nullptr) return;
		self->m_write_timer_armed = false;
		self->submit_all();
	});
}

void RawDiskIO::flush_everywhere(std::shared_ptr<RawStorage> const& storage, bool keep_cache,
	std::function<void(Completions&)> then)
{
	submit_all();  // the barrier comes after everything queued before it
	auto remaining = std::make_shared<std::atomic<int>>(m_workers.size());
	m_workers.post_all([storage, keep_cache, remaining, then = std::move(then), queue = &m_completions](
						   PieceCache& cache, Completions& out) {
		if (keep_cache)
			cache.write_storage(*storage, out);
		else
			cache.flush_storage(*storage, out);
		queue->push(out);
		if (remaining->fetch_sub(1) == 1) then(out);
	});
}

void RawDiskIO::flush_then(lt::storage_index_t index, std::function<void()> handler)
{
	auto const& storage = m_slots[index].storage;
	if (m_aborted || !storage) {
		if (handler) post_to_network(std::move(handler));
		return;
	}
	flush_everywhere(storage, false, [h = std::move(handler)](Completions& out) {
		if (h) out.push_back(h);
	});
}

void RawDiskIO::post_to_network(std::function<void()> fn)
{
	boost::asio::post(m_ioc, std::move(fn));
}

void RawDiskIO::on_memory_available(BlockPool::Observers observers)
{
	m_flush_requested.store(false);
	post_to_network([observers = std::move(observers)] {
		for (auto const& o : observers) o->on_disk();
	});
}

std::unique_ptr<lt::disk_interface> make_engine(lt::io_context& ioc, lt::settings_interface const& settings,
	EngineConfig const& config, TargetRegistry& targets, std::shared_ptr<IoBackend> io, Engine** running)
{
	auto engine = std::make_unique<RawDiskIO>(ioc, settings, config, targets, std::move(io));
	*running = engine.get();
	return engine;
}

}  // namespace ezio::storage
