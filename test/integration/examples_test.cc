// Every config an operator may copy from the project passes `sluice check`: each file in
// examples/ and each YAML block of the README. The certificate files they name are made by the
// test (one test-CA certificate for every cert/key pair, the test CA for every `ca:`), in a
// directory laid out as the config expects.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "support/sluice_process.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Config {
  std::string name;  // where it comes from, for the failure message
  std::string yaml;
};

std::vector<Config> examples() {
  std::vector<Config> configs;
  for (const auto& entry : fs::directory_iterator(fs::path(SLUICE_PROJECT_DIR) / "examples")) {
    if (entry.path().extension() == ".yaml") {
      configs.push_back({entry.path().filename().string(), readFile(entry.path())});
    }
  }
  return configs;
}

std::vector<Config> readmeBlocks() {
  std::vector<Config> configs;
  std::istringstream lines(readFile(fs::path(SLUICE_PROJECT_DIR) / "README.md"));
  std::string block;
  bool inside = false;
  int number = 0;
  size_t lineNumber = 0, startedAt = 0;
  for (std::string line; std::getline(lines, line);) {
    ++lineNumber;
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
      startedAt = lineNumber;
    } else if (inside && line == "```") {
      inside = false;
      configs.push_back({"README.md block " + std::to_string(++number) + " (line " +
                             std::to_string(startedAt) + ")",
                         block});
    } else if (inside) {
      block += line + "\n";
    }
  }
  return configs;
}

// Writes `config` into a fresh directory with every relative certificate file it names, runs
// `sluice check` on it, and returns its exit code and what it printed. A certificate and its key
// share a path stem (certs/shop.pem, certs/shop.key): each stem gets its own certificate, RSA
// when the stem says so, ECDSA otherwise.
int check(const Config& config, std::string& output) {
  const fs::path dir = fs::temp_directory_path() / ("sluice-example-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::map<std::string, CertFactory::Issued> issuedByStem;
  const std::regex file(R"re((?:^|[\s{,])(cert|key|ca):\s*"?([^\s,}"]+))re");
  for (std::sregex_iterator it(config.yaml.begin(), config.yaml.end(), file), end; it != end;
       ++it) {
    const std::string kind = (*it)[1], path = (*it)[2];
    if (path.front() == '/') continue;
    fs::create_directories((dir / path).parent_path());
    const std::string stem = fs::path(path).replace_extension().string();
    if (kind != "ca" && !issuedByStem.count(stem)) {
      CertFactory& factory = CertFactory::instance();
      issuedByStem[stem] = stem.find("rsa") != std::string::npos
                               ? factory.issueRsa({"example.test"})
                               : factory.issue({"example.test"});
    }
    const CertFactory::Issued& issued = issuedByStem[stem];
    const std::string& from = kind == "cert"  ? issued.cert
                              : kind == "key" ? issued.key
                                              : CertFactory::instance().caPath();
    fs::copy_file(from, dir / path, fs::copy_options::overwrite_existing);
  }
  std::ofstream(dir / "sluice.yaml") << config.yaml;
  const int status = runCommand(
      std::string(SLUICE_BINARY) + " check -c " + (dir / "sluice.yaml").string() + " 2>&1", output);
  fs::remove_all(dir);
  return status;
}

TEST(Examples, EveryExampleConfigPassesCheck) {
  const std::vector<Config> configs = examples();
  ASSERT_GE(configs.size(), 6u);
  for (const Config& config : configs) {
    std::string output;
    EXPECT_EQ(check(config, output), 0) << config.name << "\n" << output;
    EXPECT_NE(output.find(": ok ("), std::string::npos) << config.name << "\n" << output;
  }
}

TEST(Examples, EveryYamlBlockOfTheReadmePassesCheck) {
  const std::vector<Config> configs = readmeBlocks();
  ASSERT_GE(configs.size(), 5u);
  for (const Config& config : configs) {
    std::string output;
    EXPECT_EQ(check(config, output), 0) << config.name << "\n" << config.yaml << output;
  }
}

}  // namespace
}  // namespace sluice::test
