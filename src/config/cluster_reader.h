#pragma once

#include <string>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace sluice {

// Reads `cluster:` (README, "Cluster mode"): the node's identity, where it keeps the last good
// config, and how it reaches etcd. Relative paths resolve against `directory`; a password file
// is read now, so a missing one is an error at load, not at the first request.
void readCluster(Reader& r, const YAML::Node& node, const std::string& directory,
                 const std::string& configBase, ClusterConfig& cluster);

// cluster.node.listen_address: the VIPs listening on the wildcard address listen on the node's
// own address instead (several nodes on one host, or a host whose other addresses are not for
// traffic).
void bindVipsToNode(const ClusterConfig& cluster, std::vector<VipConfig>& vips);

}  // namespace sluice
