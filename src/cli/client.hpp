// ezioctl's connection to a daemon: the EZIO gRPC API with errors turned
// into one line a person can act on.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "common/expected.hpp"
#include "ezio.grpc.pb.h"

namespace ezio::cli {

class Client {
public:
	// `address`: ADDR:PORT or unix:PATH, as given to the daemon's -l.
	// `token`: the daemon's API token, if it has one.
	explicit Client(std::string address, std::string token = {});

	Expected<std::string> version();
	Status add(AddRequest const& request);
	Expected<UpdateStatus> status(std::vector<std::string> const& hashes);
	Status pause(std::string const& hash);
	Status resume(std::string const& hash);
	Expected<int> set_cache_size(int megabytes);
	// Succeeds also if the daemon closes the connection while stopping.
	Status shutdown();

private:
	// One unary RPC with a deadline (they answer in milliseconds).
	template <typename Request, typename Response, typename Method>
	grpc::Status call(Method method, Request const& request, Response& response,
		std::chrono::seconds timeout = std::chrono::seconds(10));

	Error failure(grpc::Status const& status) const;

	std::string m_address;
	std::string m_token;
	std::unique_ptr<EZIO::Stub> m_stub;
};

}  // namespace ezio::cli
