#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

// Fields to send in one HEADERS frame (a response head, a request head, trailers), built up
// one by one and handed to nghttp2 as the name/value array it takes. Names are lower-cased as
// HTTP/2 requires (RFC 9113 §8.2.1). The bytes live in the list, so the array stays valid
// until the next clear(), and the capacity is kept for the next head.
class Http2FieldList {
 public:
  void clear() {
    bytes_.clear();
    spans_.clear();
    nv_.clear();
  }
  void add(std::string_view name, std::string_view value) {
    const size_t at = bytes_.size();
    bytes_.append(name).append(value);
    char* const lower = bytes_.data() + at;
    for (size_t i = 0; i < name.size(); ++i) {
      const char c = lower[i];
      if (c >= 'A' && c <= 'Z') lower[i] = static_cast<char>(c - 'A' + 'a');
    }
    spans_.emplace_back(name.size(), value.size());
  }
  bool empty() const { return spans_.empty(); }
  // The array nghttp2 takes (pointing into the list): valid until the next add() or clear().
  const nghttp2_nv* nv() {
    nv_.clear();
    size_t at = 0;
    auto* base = reinterpret_cast<uint8_t*>(bytes_.data());
    for (const auto& [nameLength, valueLength] : spans_) {
      nv_.push_back(
          {base + at, base + at + nameLength, nameLength, valueLength, NGHTTP2_NV_FLAG_NONE});
      at += nameLength + valueLength;
    }
    return nv_.data();
  }
  size_t size() const { return spans_.size(); }
  // Each field's name and value, in order.
  template <class Visit>
  void forEach(Visit visit) const {
    size_t at = 0;
    for (const auto& [nameLength, valueLength] : spans_) {
      const std::string_view bytes(bytes_);
      visit(bytes.substr(at, nameLength), bytes.substr(at + nameLength, valueLength));
      at += nameLength + valueLength;
    }
  }

 private:
  std::string bytes_;
  std::vector<std::pair<size_t, size_t>> spans_;  // name and value lengths, in order
  std::vector<nghttp2_nv> nv_;
};

}  // namespace sluice
