#ifndef DISTILL_DATA_SAFETENSORS_FORMAT_IMPL_HPP
#define DISTILL_DATA_SAFETENSORS_FORMAT_IMPL_HPP

// SafetensorsFile to bytes and back: serialisation, the file round trip and the parser that
// validates every header field. The in-memory part is in safetensors_impl.hpp.

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "distill/data/file_io.hpp"
#include "distill/data/safetensors.hpp"

namespace distill {

// ---- Serialisation ----------------------------------------------------------------------

namespace detail {

// The 8-byte length and the JSON header, padded with spaces (which the format allows) so that
// the data begins at a multiple of 8 bytes and numpy can map it aligned.
inline std::string safetensors_prefix(const SafetensorsFile& file) {
  using nlohmann::json;
  json header = json::object();
  json meta = json::object();
  for (const auto& kv : file.metadata) {
    DISTILL_CHECK(!is_reserved_metadata_key(kv.first),
                  "safetensors: metadata key '" << kv.first << "' is reserved for distill");
    meta[kv.first] = kv.second;
  }
  meta[kSafetensorsVersionKey] = kSafetensorsFormatVersion;
  std::uint64_t offset = 0;
  for (const std::string& name : file.names()) {
    const SafetensorsTensor& t = file.tensor(name);
    header[name] = {{"dtype", dtype_name(t.dtype)},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
    meta[kSafetensorsCrcPrefix + name] = crc_hex(crc32_of(t.bytes));
  }
  header["__metadata__"] = std::move(meta);
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {  // names or metadata that are not valid UTF-8
    DISTILL_CHECK(false, "safetensors: cannot encode the header: " << e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string prefix(8, '\0');
  const std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) prefix[std::size_t(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return prefix + text;
}

}  // namespace detail

inline std::vector<std::uint8_t> serialize_safetensors(const SafetensorsFile& file) {
  const std::string prefix = detail::safetensors_prefix(file);
  std::vector<std::uint8_t> out(prefix.begin(), prefix.end());
  for (const std::string& name : file.names()) {
    const std::vector<std::uint8_t>& bytes = file.tensor(name).bytes;
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  return out;
}

inline void write_safetensors(const std::string& path, const SafetensorsFile& file) {
  const std::string prefix = detail::safetensors_prefix(file);
  std::vector<ByteRange> pieces{{prefix.data(), prefix.size()}};
  for (const std::string& name : file.names()) {
    const std::vector<std::uint8_t>& bytes = file.tensor(name).bytes;
    pieces.push_back({bytes.data(), bytes.size()});
  }
  write_file_atomic(path, pieces);
}

inline SafetensorsFile read_safetensors(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  return parse_safetensors(bytes.data(), bytes.size(), path);
}

// ---- Parsing ---------------------------------------------------------------------------

namespace detail {

// One header entry after validation; offsets are relative to the data region.
struct SafetensorsEntry {
  std::string name;
  Dtype dtype = Dtype::f32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;
};

// nlohmann keeps one of two equal keys silently; a callback sees every key, so duplicate
// tensor names (and duplicate fields) are rejected instead of shadowing each other.
inline nlohmann::json parse_header_json(const std::uint8_t* begin, const std::uint8_t* end,
                                        const std::string& file) {
  using nlohmann::json;
  std::vector<std::set<std::string>> open_objects;
  const json::parser_callback_t on_event = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      open_objects.pop_back();
    } else if (event == json::parse_event_t::key) {
      const std::string& key = parsed.get_ref<const std::string&>();
      DISTILL_CHECK(open_objects.back().insert(key).second,
                    file << ": " << (open_objects.size() == 1 ? "tensor name '" : "key '") << key
                         << "' appears twice in the header");
    }
    return true;
  };
  try {
    return json::parse(begin, end, on_event);
  } catch (const json::exception& e) {
    DISTILL_CHECK(false, file << ": header is not valid JSON: " << e.what());
  }
  return json();
}

inline Dtype parse_dtype(const nlohmann::json& value, const std::string& where) {
  DISTILL_CHECK(value.is_string(), where << ": dtype is not a string");
  const std::string& s = value.get_ref<const std::string&>();
  for (const Dtype d : {Dtype::f32, Dtype::f64, Dtype::i32, Dtype::i64, Dtype::u8})
    if (s == dtype_name(d)) return d;
  DISTILL_CHECK(false, where << ": unsupported dtype '" << s
                             << "' (distill reads F32, F64, I32, I64 and U8)");
  return Dtype::f32;
}

// A JSON integer that must be non-negative and fit an int64.
inline std::int64_t parse_count(const nlohmann::json& value, const std::string& where) {
  DISTILL_CHECK(value.is_number_integer(), where << " is not an integer: " << value.dump());
  if (value.is_number_unsigned()) {
    const std::uint64_t v = value.get<std::uint64_t>();
    DISTILL_CHECK(v <= std::uint64_t(std::numeric_limits<std::int64_t>::max()),
                  where << " is too large: " << v);
    return std::int64_t(v);
  }
  const std::int64_t v = value.get<std::int64_t>();
  DISTILL_CHECK(v >= 0, where << " is negative: " << v);
  return v;
}

inline SafetensorsEntry parse_entry(const std::string& name, const nlohmann::json& value,
                                    std::uint64_t data_size, const std::string& file) {
  const std::string where = file + ": tensor '" + name + "'";
  DISTILL_CHECK(!name.empty(), file << ": empty tensor name in the header");
  DISTILL_CHECK(value.is_object(), where << ": entry is not a JSON object");
  for (const auto& field : value.items())
    DISTILL_CHECK(field.key() == "dtype" || field.key() == "shape" || field.key() == "data_offsets",
                  where << ": unexpected field '" << field.key() << "'");
  for (const char* field : {"dtype", "shape", "data_offsets"})
    DISTILL_CHECK(value.contains(field), where << ": missing field '" << field << "'");
  SafetensorsEntry e;
  e.name = name;
  e.dtype = parse_dtype(value["dtype"], where);
  const nlohmann::json& shape = value["shape"];
  DISTILL_CHECK(shape.is_array(), where << ": shape is not an array");
  for (std::size_t i = 0; i < shape.size(); ++i)
    e.shape.push_back(parse_count(shape[i], where + ": dimension " + std::to_string(i)));
  const nlohmann::json& offsets = value["data_offsets"];
  DISTILL_CHECK(offsets.is_array() && offsets.size() == 2,
                where << ": data_offsets is not an array of two offsets");
  e.begin = std::uint64_t(parse_count(offsets[0], where + ": data_offsets begin"));
  e.end = std::uint64_t(parse_count(offsets[1], where + ": data_offsets end"));
  DISTILL_CHECK(e.begin <= e.end && e.end <= data_size,
                where << ": data_offsets [" << e.begin << ", " << e.end << "] are not inside the "
                      << data_size << "-byte data region");
  const std::int64_t numel = checked_numel(e.shape);
  DISTILL_CHECK(numel >= 0, where << ": shape " << shape_text(e.shape) << " is too large");
  DISTILL_CHECK(std::uint64_t(numel) * dtype_size(e.dtype) == e.end - e.begin,
                where << ": " << dtype_name(e.dtype) << " shape " << shape_text(e.shape)
                      << " does not match its " << e.end - e.begin << " bytes of data");
  return e;
}

// The tensors must tile the data region exactly: no overlap (one byte read as two tensors) and
// no holes (bytes that would hide unchecked content, as the format requires).
inline void check_coverage(std::vector<SafetensorsEntry>& entries, std::uint64_t data_size,
                           const std::string& file) {
  std::sort(entries.begin(), entries.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
              return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
            });
  std::uint64_t covered = 0;
  const SafetensorsEntry* last = nullptr;
  for (const SafetensorsEntry& e : entries) {
    DISTILL_CHECK(e.begin >= covered, file << ": tensors '" << last->name << "' [" << last->begin
                                           << ", " << last->end << ") and '" << e.name << "' ["
                                           << e.begin << ", " << e.end << ") overlap");
    DISTILL_CHECK(e.begin == covered, file << ": bytes [" << covered << ", " << e.begin
                                           << ") of the data region belong to no tensor");
    covered = e.end;
    last = &e;
  }
  DISTILL_CHECK(covered == data_size, file << ": bytes [" << covered << ", " << data_size
                                           << ") of the data region belong to no tensor");
}

// Verifies and removes the keys distill manages; what is left is the user's metadata.
inline void check_distill_metadata(SafetensorsFile& out, const std::string& file) {
  const auto version = out.metadata.find(kSafetensorsVersionKey);
  if (version != out.metadata.end()) {
    DISTILL_CHECK(version->second == kSafetensorsFormatVersion,
                  file << ": unsupported distill format version '" << version->second
                       << "' (this reader knows version " << kSafetensorsFormatVersion << ")");
    out.metadata.erase(version);
  }
  const std::string prefix = kSafetensorsCrcPrefix;
  for (auto it = out.metadata.lower_bound(prefix);
       it != out.metadata.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    const std::string tensor = it->first.substr(prefix.size());
    const std::string& stored = it->second;
    DISTILL_CHECK(out.contains(tensor), file << ": metadata has a CRC-32 for tensor '" << tensor
                                             << "', which the file does not hold");
    DISTILL_CHECK(
        stored.size() == 8 &&
            stored.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos,
        file << ": tensor '" << tensor << "': CRC-32 '" << stored << "' is not 8 hex digits");
    const std::string actual = crc_hex(crc32_of(out.tensor(tensor).bytes));
    std::string lower = stored;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return char(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c); });
    DISTILL_CHECK(lower == actual, file << ": tensor '" << tensor << "': CRC-32 mismatch (header "
                                        << stored << ", data " << actual
                                        << "): the data is corrupt");
    it = out.metadata.erase(it);
  }
}

}  // namespace detail

inline SafetensorsFile parse_safetensors(const std::uint8_t* data, std::size_t size,
                                         const std::string& file) {
  DISTILL_CHECK(size > 0, file << ": empty file");
  DISTILL_CHECK(size >= 8,
                file << ": file of " << size << " bytes is too short for the 8-byte header length");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | data[i];
  DISTILL_CHECK(n <= kMaxSafetensorsHeaderBytes, file << ": header length " << n
                                                      << " exceeds the limit of "
                                                      << kMaxSafetensorsHeaderBytes << " bytes");
  DISTILL_CHECK(n <= size - 8, file << ": header length " << n << " runs past the end of the "
                                    << size << "-byte file");
  const nlohmann::json header = detail::parse_header_json(data + 8, data + 8 + n, file);
  DISTILL_CHECK(header.is_object(), file << ": header is not a JSON object");
  const std::uint64_t data_size = size - 8 - n;
  SafetensorsFile out;
  std::vector<detail::SafetensorsEntry> entries;
  for (const auto& item : header.items()) {
    if (item.key() != "__metadata__") {
      entries.push_back(detail::parse_entry(item.key(), item.value(), data_size, file));
      continue;
    }
    DISTILL_CHECK(item.value().is_object(), file << ": __metadata__ is not a JSON object");
    for (const auto& kv : item.value().items()) {
      DISTILL_CHECK(kv.value().is_string(),
                    file << ": __metadata__ value of '" << kv.key() << "' is not a string");
      out.metadata[kv.key()] = kv.value().get<std::string>();
    }
  }
  detail::check_coverage(entries, data_size, file);
  const std::uint8_t* region = data + 8 + n;
  for (const detail::SafetensorsEntry& e : entries) {
    SafetensorsTensor t;
    t.dtype = e.dtype;
    t.shape = e.shape;
    t.bytes.assign(region + e.begin, region + e.end);
    out.add_raw(e.name, std::move(t));
  }
  detail::check_distill_metadata(out, file);
  return out;
}

inline std::map<std::string, std::string> read_safetensors_metadata(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DISTILL_CHECK(in.good(), path << ": cannot open: " << std::strerror(errno));
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  DISTILL_CHECK(size > 0, path << ": empty file");
  DISTILL_CHECK(size >= 8, path << ": file of " << size << " bytes is too short for the 8-byte header length");
  std::uint8_t prefix[8];
  in.read(reinterpret_cast<char*>(prefix), 8);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | prefix[i];
  DISTILL_CHECK(n <= kMaxSafetensorsHeaderBytes,
                path << ": header length " << n << " exceeds the limit of " << kMaxSafetensorsHeaderBytes << " bytes");
  DISTILL_CHECK(n <= size - 8, path << ": header length " << n << " runs past the end of the " << size << "-byte file");
  std::vector<std::uint8_t> text(static_cast<std::size_t>(n));
  in.read(reinterpret_cast<char*>(text.data()), std::streamsize(n));
  DISTILL_CHECK(in.good(), path << ": reading the header failed");
  const nlohmann::json header = detail::parse_header_json(text.data(), text.data() + text.size(), path);
  DISTILL_CHECK(header.is_object(), path << ": header is not a JSON object");
  std::map<std::string, std::string> metadata;
  const auto meta = header.find("__metadata__");
  if (meta == header.end()) return metadata;
  DISTILL_CHECK(meta->is_object(), path << ": __metadata__ is not a JSON object");
  for (const auto& kv : meta->items()) {
    DISTILL_CHECK(kv.value().is_string(), path << ": __metadata__ value of '" << kv.key() << "' is not a string");
    if (!detail::is_reserved_metadata_key(kv.key())) metadata[kv.key()] = kv.value().get<std::string>();
  }
  return metadata;
}

}  // namespace distill

#endif  // DISTILL_DATA_SAFETENSORS_FORMAT_IMPL_HPP
