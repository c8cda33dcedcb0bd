#include "ember/exec/communicator.h"

#include <cstdint>
#include <cstring>

#include "ember/base/status_macros.h"

namespace ember {

Result<std::vector<double>> AllGatherDoubles(Communicator& comm, std::span<const double> mine, Deadline deadline) {
  Bytes bytes(mine.size() * sizeof(double), '\0');
  if (!mine.empty()) std::memcpy(bytes.data(), mine.data(), bytes.size());
  EMBER_ASSIGN_OR_RETURN(std::vector<Bytes> all, comm.AllGather(std::move(bytes), deadline));
  std::vector<double> out;
  for (const Bytes& part : all) {
    if (part.size() % sizeof(double) != 0) return DataLoss("AllGatherDoubles: a rank sent a partial double");
    const size_t at = out.size(), n = part.size() / sizeof(double);
    out.resize(at + n);
    if (n > 0) std::memcpy(out.data() + at, part.data(), part.size());
  }
  return out;
}

Result<std::vector<std::string>> AllGatherStrings(Communicator& comm, const std::vector<std::string_view>& mine,
                                                  Deadline deadline) {
  Bytes bytes;  // each string as a 4-byte length and its bytes
  for (std::string_view v : mine) {
    const uint32_t n = static_cast<uint32_t>(v.size());
    bytes.append(reinterpret_cast<const char*>(&n), sizeof(n));
    bytes.append(v);
  }
  EMBER_ASSIGN_OR_RETURN(std::vector<Bytes> all, comm.AllGather(std::move(bytes), deadline));
  std::vector<std::string> out;
  for (const Bytes& part : all) {
    for (size_t at = 0; at < part.size();) {
      uint32_t n = 0;
      if (at + sizeof(n) > part.size()) return DataLoss("AllGatherStrings: a rank sent a truncated length");
      std::memcpy(&n, part.data() + at, sizeof(n));
      at += sizeof(n);
      if (at + n > part.size()) return DataLoss("AllGatherStrings: a rank sent a truncated string");
      out.push_back(part.substr(at, n));
      at += n;
    }
  }
  return out;
}

}  // namespace ember
