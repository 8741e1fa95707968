#include "http/http1/body_framer.h"

#include "http/ascii.h"
#include "http/hop_by_hop.h"

namespace sluice {

void BodyFramer::start(std::string* out, Mode mode, size_t maxTrailerBytes,
                       size_t maxTrailerFields) {
  out_ = out;
  mode_ = mode;
  chunkOpen_ = inTrailerValue_ = pieceEndedEarly_ = folded_ = false;
  maxTrailerBytes_ = maxTrailerBytes;
  maxTrailerFields_ = maxTrailerFields;
  trailerBytes_ = trailerFields_ = 0;
  name_.clear();
  value_.clear();
  keptBytes_.clear();
  keptSpans_.clear();
  keptViews_.clear();
}

void BodyFramer::chunkStart(uint64_t size) {
  if (mode_ != Mode::kChunked || size == 0 || !out_) return;
  char hex[17];
  size_t at = sizeof hex;
  do {
    hex[--at] = "0123456789abcdef"[size & 0xf];
    size >>= 4;
  } while (size != 0);
  out_->append(hex + at, sizeof hex - at).append("\r\n");
  chunkOpen_ = true;
}

void BodyFramer::chunkEnd() {
  if (!chunkOpen_) return;
  out_->append("\r\n");
  chunkOpen_ = false;
}

void BodyFramer::trailerName(const char* at, size_t length) {
  if (inTrailerValue_) {
    name_.clear();
    value_.clear();
    inTrailerValue_ = folded_ = false;
  }
  trailerBytes_ += length;
  if (trailerBytes_ <= maxTrailerBytes_) name_.append(at, length);
}

void BodyFramer::trailerValue(const char* at, size_t length, const char* feedStart,
                              const char* feedEnd) {
  if (inTrailerValue_ && (pieceEndedEarly_ || at != feedStart)) folded_ = true;
  pieceEndedEarly_ = at + length != feedEnd;
  inTrailerValue_ = true;
  trailerBytes_ += length;
  if (trailerBytes_ <= maxTrailerBytes_) value_.append(at, length);
}

MessageError BodyFramer::trailerComplete(int tooLargeStatus) {
  if (folded_) return {400, "obsolete line folding in a trailer field"};
  inTrailerValue_ = true;  // the next name starts a new field
  if (trailerBytes_ > maxTrailerBytes_ || ++trailerFields_ > maxTrailerFields_) {
    return {tooLargeStatus, "trailer fields over the head limits"};
  }
  if (!isToken(name_)) return {400, "invalid trailer field name"};
  if (hasLineBreak(value_)) {
    return {400, "obsolete line folding in a trailer field"};
  }
  addTrailer(name_, trimWhitespace(value_));
  return {};
}

void BodyFramer::addTrailer(std::string_view name, std::string_view value) {
  if (!mayForwardTrailer(name)) return;
  keptBytes_.append(name).append(value);
  keptSpans_.emplace_back(static_cast<uint32_t>(name.size()), static_cast<uint32_t>(value.size()));
  keptViews_.clear();
}

void BodyFramer::finish() {
  chunkEnd();
  if (mode_ != Mode::kChunked || !out_) return;
  out_->append("0\r\n");
  for (const HttpHeader& field : trailers())
    out_->append(field.name).append(": ").append(field.value).append("\r\n");
  out_->append("\r\n");
}

const std::vector<HttpHeader>& BodyFramer::trailers() {
  if (keptViews_.size() != keptSpans_.size()) {
    keptViews_.clear();
    size_t at = 0;
    for (const auto& [nameLength, valueLength] : keptSpans_) {
      keptViews_.push_back({std::string_view(keptBytes_).substr(at, nameLength),
                            std::string_view(keptBytes_).substr(at + nameLength, valueLength)});
      at += nameLength + valueLength;
    }
  }
  return keptViews_;
}

}  // namespace sluice
