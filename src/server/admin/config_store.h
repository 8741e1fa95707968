#pragma once

#include <string>

namespace sluice {

// Where the configuration is kept: load the current version, and replace it only if it is still
// the version the caller started from (compare-and-swap). The file is the first store; an etcd
// store (cluster mode) is the second, and change notification comes with it (a file's is SIGHUP).
class ConfigStore {
 public:
  virtual ~ConfigStore() = default;

  struct Version {
    std::string text;
    std::string id;  // changes whenever the stored text does (a file: its SHA-256)
  };
  virtual bool load(Version& out, std::string& error) = 0;

  enum class Swap { kDone, kConflict, kFailed };
  // Stores `text` if the current version is `expectedId`: kConflict (nothing written) when
  // someone else changed it, kFailed (`error` says why) when it could not be written. On kDone,
  // `newId` is the stored version's id.
  virtual Swap compareAndSwap(const std::string& expectedId, const std::string& text,
                              std::string& newId, std::string& error) = 0;
};

// The config file: read whole; written with writeFileAtomically() (core/atomic_file.h).
class FileConfigStore final : public ConfigStore {
 public:
  explicit FileConfigStore(std::string path) : path_(std::move(path)) {}
  bool load(Version& out, std::string& error) override;
  Swap compareAndSwap(const std::string& expectedId, const std::string& text, std::string& newId,
                      std::string& error) override;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The SHA-256 of `text` as hex: a file version's id.
std::string versionIdOf(const std::string& text);

}  // namespace sluice
