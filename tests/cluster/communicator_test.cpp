#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "distill/cluster/communicator.hpp"
#include "support/thread_ranks.hpp"

using namespace distill;
using namespace distill::test;

TEST_CASE("Communicator: fixed owners, round robin and in blocks", "[cluster]") {
  CHECK(owner_round_robin(0, 3) == 0);
  CHECK(owner_round_robin(4, 3) == 1);
  // Ten classes on three ranks: blocks [0, 3), [3, 6), [6, 10); every class has one owner.
  std::vector<int> owners;
  for (Index c = 0; c < 10; ++c) owners.push_back(owner_block(c, 10, 3));
  CHECK(owners == std::vector<int>{0, 0, 0, 1, 1, 1, 2, 2, 2, 2});
  for (Index c = 0; c < 10; ++c) CHECK(owner_block(c, 10, 1) == 0);
  // More ranks than shards: some ranks own none.
  CHECK(owner_block(0, 2, 3) == 1);
  CHECK(owner_block(1, 2, 3) == 2);
}

TEST_CASE("Communicator: a single process gathers its own bytes", "[cluster]") {
  const Communicator& one = single_process();
  CHECK(one.rank() == 0);
  CHECK(one.size() == 1);
  const std::vector<double> v{1.5, -2.0};
  CHECK(all_gather_values(one, v) == std::vector<std::vector<double>>{v});
  const auto shards = exchange_shards<double>(one, 2, {{1, {3.0}}, {0, {1.0, 2.0}}});
  CHECK(shards == std::vector<std::vector<double>>{{1.0, 2.0}, {3.0}});
  CHECK_THROWS_WITH(exchange_shards<double>(one, 2, {{0, {1.0}}}), Catch::Contains("no rank sent shard 1 of 2"));
  CHECK_THROWS_WITH(exchange_shards<double>(one, 2, {{0, {1.0}}, {0, {1.0}}}), Catch::Contains("sent shard 0"));
  CHECK_THROWS_WITH(one.abort(3, "stop"), Catch::Equals("stop"));
}

TEST_CASE("Communicator: shards summed in shard order give one process's bits on any rank count", "[cluster]") {
  // Values whose sum depends on the order of the additions.
  const std::vector<std::vector<float>> shards = {{1e8f, 1.0f}, {1.0f, -1e8f}, {-1e8f, 3.0f}, {0.5f, 1e8f}, {7.0f, 0.25f}};
  const std::vector<float> one = sum_in_shard_order(shards);
  for (int k : {1, 2, 3, 4}) {
    const auto sums = run_ranks<std::vector<float>>(k, [&](const Communicator& comm) {
      std::vector<std::pair<Index, std::vector<float>>> mine;
      for (Index s = 0; s < Index(shards.size()); ++s)
        if (owner_round_robin(s, comm.size()) == comm.rank()) mine.emplace_back(s, shards[std::size_t(s)]);
      return sum_in_shard_order(exchange_shards(comm, Index(shards.size()), mine));
    });
    for (const auto& s : sums) CHECK(s == one);
  }
  // Broadcast and gather of differing sizes.
  const auto got = run_ranks<std::vector<int>>(3, [](const Communicator& comm) {
    int value = comm.rank() == 2 ? 42 : -1;
    comm.broadcast(&value, sizeof value, 2);
    std::vector<int> mine(std::size_t(comm.rank()), comm.rank());
    std::vector<int> out{value};
    for (const auto& part : all_gather_values(comm, mine)) out.insert(out.end(), part.begin(), part.end());
    return out;
  });
  for (const auto& g : got) CHECK(g == std::vector<int>{42, 1, 2, 2});
}
