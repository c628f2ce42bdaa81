#ifndef DISTILL_TESTS_SUPPORT_THREAD_RANKS_HPP
#define DISTILL_TESTS_SUPPORT_THREAD_RANKS_HPP

// K ranks as K threads of one process, for testing what runs across ranks without MPI: the
// collectives meet at a generation barrier and exchange through shared slots. run_ranks(K, f)
// calls f(comm) on K threads and returns their results in rank order.

#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "distill/cluster/communicator.hpp"

namespace distill::test {

class ThreadRanksShared {
 public:
  explicit ThreadRanksShared(int size) : size_(size), slots_(std::size_t(size)) {}

  void barrier() {
    std::unique_lock<std::mutex> lock(mutex_);
    const long generation = generation_;
    if (++waiting_ == size_) {
      waiting_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != generation; });
    }
  }
  std::vector<unsigned char>& slot(int r) { return slots_[std::size_t(r)]; }
  int size() const { return size_; }

 private:
  int size_;
  std::vector<std::vector<unsigned char>> slots_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int waiting_ = 0;
  long generation_ = 0;
};

class ThreadRank final : public Communicator {
 public:
  ThreadRank(ThreadRanksShared& shared, int rank) : shared_(shared), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return shared_.size(); }
  void broadcast(void* data, std::size_t bytes, int root) const override {
    if (rank_ == root) shared_.slot(root).assign(static_cast<unsigned char*>(data), static_cast<unsigned char*>(data) + bytes);
    shared_.barrier();
    if (rank_ != root) std::memcpy(data, shared_.slot(root).data(), bytes);
    shared_.barrier();
  }
  std::vector<std::vector<unsigned char>> all_gather(const void* data, std::size_t bytes) const override {
    const auto* p = static_cast<const unsigned char*>(data);
    shared_.slot(rank_).assign(p, p + bytes);
    shared_.barrier();
    std::vector<std::vector<unsigned char>> out;
    for (int r = 0; r < size(); ++r) out.push_back(shared_.slot(r));
    shared_.barrier();
    return out;
  }
  void barrier() const override { shared_.barrier(); }
  [[noreturn]] void abort(int, const std::string& message) const override { detail::throw_error(message); }

 private:
  ThreadRanksShared& shared_;
  int rank_;
};

/// f(comm) on `size` threads, one per rank; the results in rank order. An exception of any rank
/// is rethrown (the test fails); a rank that throws must not leave the others waiting.
template <class R>
std::vector<R> run_ranks(int size, const std::function<R(const Communicator&)>& f) {
  ThreadRanksShared shared(size);
  std::vector<R> out(static_cast<std::size_t>(size));
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(size));
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r)
    threads.emplace_back([&, r] {
      try {
        const ThreadRank comm(shared, r);
        out[std::size_t(r)] = f(comm);
      } catch (...) {
        errors[std::size_t(r)] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return out;
}

}  // namespace distill::test

#endif  // DISTILL_TESTS_SUPPORT_THREAD_RANKS_HPP
